/**
 * PURE per-checker up/down stepping: keepalived's `tcp_epilog`/`http epilog`
 * retry logic, and ldirectord's failurecount/checkcount expressed in the same terms. No clock and
 * no I/O: every function takes `now` and returns a new state plus the state change, if any.
 */

/** Timing and retry parameters of one checker, all times in ms. */
export interface CheckerTimingSpec {
  /** Extra attempts after a failure before declaring down (keepalived `retry`, ldirectord failurecount−1). */
  readonly retry: number;
  readonly delayBeforeRetry: number;
  readonly delayLoop: number;
  /** Probe timeout; the monitor's backstop deadline is this plus a grace period. */
  readonly connectTimeout: number;
  /** keepalived: before the first state change one failure marks down (retry_it pre-set to retry). */
  readonly immediateFirstDown: boolean;
  /** Number of parts checked in turn (HTTP URLs); 1 for every other checker. */
  readonly parts: number;
  /** HTTP `fast_recovery`: walk URLs back-to-back while recovering. */
  readonly fastRecovery: boolean;
  /** HTTP: while down poll the failed URL every max(delay_before_retry, delay_loop) (check_http.c). */
  readonly httpPolling: boolean;
  /** ldirectord `checkcount`: probes per check; one pass among them passes the check. */
  readonly checkcount: number;
}

/** What the monitor remembers about one checker. */
export interface CheckerState {
  /** keepalived `is_up`. */
  readonly up: boolean;
  /** keepalived `has_run`: at least one result has been applied. */
  readonly hasRun: boolean;
  /** keepalived `retry_it`: failures counted toward `retry`. */
  readonly retryIt: number;
  /** Part (URL index) the next probe checks. */
  readonly part: number;
  /** URL remembered when the checker went down (`failed_url`), or -1. */
  readonly failedPart: number;
  /** checkcount attempts already failed in the current check. */
  readonly attempt: number;
  /** When the next probe is due. */
  readonly nextAt: number;
  /** Time of the last up/down change (or of creation). */
  readonly since: number;
}

/** The change a step caused, reported to the real server. */
export type CheckerChange = 'up' | 'down' | undefined;

/** Initial state: up unless alpha (keepalived starts a checker up; check_data.c starts an alpha one down). */
export function initialCheckerState(t: CheckerTimingSpec, alpha: boolean, firstAt: number): CheckerState {
  return {
    up: !alpha,
    hasRun: false,
    retryIt: t.immediateFirstDown ? t.retry : 0,
    part: 0,
    failedPart: -1,
    attempt: 0,
    nextAt: firstAt,
    since: firstAt,
  };
}

/** Applies a passing probe at `now` (check_tcp.c `tcp_epilog` success branch; check_http.c URL walk). */
export function checkerSucceeded(
  s: CheckerState,
  t: CheckerTimingSpec,
  now: number,
): { state: CheckerState; change: CheckerChange } {
  const base = { ...s, retryIt: 0, attempt: 0, hasRun: true };
  if (s.failedPart >= 0 && s.part === s.failedPart && t.parts > 1) {
    // The failed URL passes again: re-walk every URL from the first before declaring up
    // (check_http.c `epilog`).
    return {
      state: { ...base, failedPart: -1, part: 0, nextAt: now + (t.fastRecovery ? 0 : t.delayLoop) },
      change: undefined,
    };
  }
  if (s.part + 1 < t.parts) {
    const fast = t.fastRecovery && !s.up;
    return {
      state: { ...base, part: s.part + 1, nextAt: now + (fast ? 0 : t.delayLoop) },
      change: undefined,
    };
  }
  const state = { ...base, part: 0, failedPart: -1, nextAt: now + t.delayLoop };
  if (!s.up) return { state: { ...state, up: true, since: now }, change: 'up' };
  return { state, change: undefined };
}

/** Applies a failing probe at `now` (check_tcp.c `tcp_epilog` failure branches). */
export function checkerFailed(
  s: CheckerState,
  t: CheckerTimingSpec,
  now: number,
): { state: CheckerState; change: CheckerChange } {
  // ldirectord checkcount: another attempt right away before the check counts as failed.
  if (s.attempt + 1 < t.checkcount)
    return { state: { ...s, attempt: s.attempt + 1, nextAt: now }, change: undefined };
  const base = { ...s, attempt: 0, hasRun: true };
  if (!s.up) {
    // Step 4: already down, stays down; the failing URL becomes the one polled.
    const wait = t.httpPolling ? Math.max(t.delayBeforeRetry, t.delayLoop) : t.delayLoop;
    return { state: { ...base, failedPart: s.part, nextAt: now + wait }, change: undefined };
  }
  if (s.retryIt >= t.retry) {
    // Step 2: retries exhausted (or the first-failure rule) → down.
    const wait = t.httpPolling ? Math.max(t.delayBeforeRetry, t.delayLoop) : t.delayLoop;
    return {
      state: { ...base, up: false, retryIt: 0, failedPart: s.part, nextAt: now + wait, since: now },
      change: 'down',
    };
  }
  // Step 3: one more attempt of the same part after delay_before_retry.
  return { state: { ...base, retryIt: s.retryIt + 1, nextAt: now + t.delayBeforeRetry }, change: undefined };
}

/**
 * Carries state over a reload to an identical checker (keepalived ipwrapper.c `migrate_checkers`):
 * up/down and has_run are kept, retry_it is clamped so one more failure still needs no more
 * attempts than configured.
 */
export function migrateCheckerState(old: CheckerState, t: CheckerTimingSpec): CheckerState {
  return {
    ...old,
    retryIt: Math.min(old.retryIt, t.retry),
    part: old.part < t.parts ? old.part : 0,
    failedPart: old.failedPart < t.parts ? old.failedPart : -1,
  };
}

/**
 * Worst-case time from the first failing probe of a healthy checker to its "down" (check_tcp.c
 * `tcp_epilog`).
 */
export function worstCaseDetectionMs(t: CheckerTimingSpec): number {
  const attempts = (t.retry + 1) * t.checkcount;
  return attempts * t.connectTimeout + t.retry * t.delayBeforeRetry;
}
