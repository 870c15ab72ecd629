/**
 * `vrrp_track_process`, pure: which processes match (keepalived/core/track_process.c read_procs(),
 * check_params()) and the quorum with its fork/terminate delays (check_process_fork(),
 * check_process_termination(), process_gained_quorum_timer_thread(),
 * process_lost_quorum_timer_thread()). The caller feeds the number of matching processes it sees
 * and the time; the result, quorum or not, is an up/down tracked object (weight > 0 adds while up,
 * < 0 subtracts while down, 0 faults while down; keepalived/vrrp/vrrp_track.c
 * process_update_track_process_status()).
 */

/** What to match, from the vrrp_track_process block. */
export interface ProcessMatchSpec {
  readonly process: string;
  readonly params?: readonly string[];
  readonly paramMatch: 'none' | 'exact' | 'partial' | 'initial';
  readonly fullCommand: boolean;
}

/** One process as /proc shows it. */
export interface ProcEntry {
  /** `comm` from /proc/PID/stat (the kernel keeps at most 15 characters). */
  readonly comm: string;
  /** /proc/PID/cmdline split at its NUL bytes. */
  readonly argv: readonly string[];
  /** State Z: keepalived skips zombies. */
  readonly zombie: boolean;
}

/** The parameters as keepalived compares them: each followed by a NUL. */
function nulJoined(args: readonly string[]): string {
  return args.map((a) => `${a}\0`).join('');
}

/** check_params(): `params` are the process's arguments after argv[0]. */
function paramsMatch(spec: ProcessMatchSpec, params: readonly string[]): boolean {
  const want = spec.params ? nulJoined(spec.params) : undefined;
  const have = nulJoined(params);
  if (spec.paramMatch === 'exact' && want === undefined && have.length === 0) return true;
  if (have.length < (want?.length ?? 0)) return false;
  if (spec.paramMatch === 'exact')
    return have.length === (want?.length ?? 0) && (want === undefined || have === want);
  if (want === undefined) return true;
  if (spec.paramMatch === 'partial') return have.startsWith(want);
  // initial: the last parameter may be a prefix of the process's argument.
  return want.length === 1 || have.startsWith(want.slice(0, -1));
}

/** Whether process `p` counts for `spec` (read_procs()). */
export function processMatches(spec: ProcessMatchSpec, p: ProcEntry): boolean {
  if (p.zombie) return false;
  const name = spec.fullCommand ? p.argv[0] : p.comm;
  if (name !== spec.process) return false;
  return spec.paramMatch === 'none' || paramsMatch(spec, p.argv.slice(1));
}

/**
 * The quorum of one tracked process: up while quorum ≤ count ≤ quorum_max. A change caused by
 * more processes waits fork_delay, one caused by fewer waits terminate_delay; a change back while
 * that delay runs cancels it, as keepalived cancels the opposite timer.
 */
export class ProcessQuorum {
  #count = 0;
  #up: boolean;
  #pending: number | undefined;

  constructor(
    readonly quorum: number,
    readonly quorumMax: number,
    readonly forkDelayMs: number,
    readonly terminateDelayMs: number,
    initialCount: number,
  ) {
    this.#count = initialCount;
    // The first scan decides at once (initialise_process_tracking_priorities()).
    this.#up = this.#inQuorum(initialCount);
  }

  /** Quorum as last reported. */
  get up(): boolean {
    return this.#up;
  }

  /** When a delayed change falls due, if one is pending. */
  get deadline(): number | undefined {
    return this.#pending;
  }

  #inQuorum(n: number): boolean {
    return n >= this.quorum && n <= this.quorumMax;
  }

  /** A new count of matching processes seen at `now`; returns true if `up` changed. */
  observe(count: number, now: number): boolean {
    const before = this.#count;
    this.#count = count;
    if (count === before) return this.tick(now);
    const q = this.#inQuorum(count);
    if (this.#pending !== undefined) {
      // The opposite event while a timer runs cancels it and the state never changed.
      if (q === this.#up) this.#pending = undefined;
      return this.tick(now);
    }
    if (q === this.#up) return false;
    const delay = count > before ? this.forkDelayMs : this.terminateDelayMs;
    if (delay > 0) {
      this.#pending = now + delay;
      return false;
    }
    this.#up = q;
    return true;
  }

  /** Applies a delayed change due by `now`; returns true if `up` changed. */
  tick(now: number): boolean {
    if (this.#pending === undefined || now < this.#pending) return false;
    this.#pending = undefined;
    const q = this.#inQuorum(this.#count);
    if (q === this.#up) return false;
    this.#up = q;
    return true;
  }
}
