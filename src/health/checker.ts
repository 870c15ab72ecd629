/**
 * The probe contract (seesaw healthcheck/core.go `Checker`): one object per configured checker,
 * `check()` runs one probe and always resolves with a Result, never rejects, so the runner needs
 * no error paths. Every probe enforces its own timeout; the monitor adds a backstop deadline.
 */

/** Outcome of one probe. */
export interface Result {
  /** The probe passed. */
  readonly ok: boolean;
  /** Human-readable reason, shown by `lvsadm --health` ("connected", "status 503", ...). */
  readonly message: string;
  /** Wall time the probe took, in ms. */
  readonly durationMs: number;
  /**
   * Absolute weight the real server should get (MISC_CHECK misc_dynamic exit 2..255 → status−2).
   * Undefined leaves the weight as it was.
   */
  readonly weight?: number;
  /** Weight added to the configured weight (FILE_CHECK value × weight, keepalived.conf(5) `track_file`). */
  readonly weightOffset?: number;
}

/** Per-probe inputs the monitor decides. */
export interface CheckContext {
  /** Give up after this long (the checker's connect_timeout / misc_timeout), ms. */
  readonly timeoutMs: number;
  /** Which part to check: the URL index for HTTP_GET/SSL_GET (check_http.c); 0 otherwise. */
  readonly part: number;
}

/** One health checker bound to its target. */
export interface Checker {
  /** Checker kind as in the config model (`tcp`, `http`, `misc`, ...). */
  readonly type: string;
  /** Runs one probe. Resolves, never rejects. */
  check(ctx: CheckContext): Promise<Result>;
  /** Releases resources held between probes (sockets, timers); idempotent. */
  close?(): void;
}

/** A monotonic millisecond clock used to measure probe durations. */
export function elapsedSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e6;
}

/** Builds a Result with the duration measured from `startNs`. */
export function resultOf(ok: boolean, message: string, startNs: bigint, extra?: Partial<Result>): Result {
  return { ok, message, durationMs: Math.round(elapsedSince(startNs) * 1000) / 1000, ...extra };
}
