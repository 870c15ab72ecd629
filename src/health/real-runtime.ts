/**
 * Runtime records of real servers and their checkers, shared by the service monitor, the reload
 * migration and the views: effective weight, the probe backstop, and model → timing mapping.
 */
import type { CheckerConfig, RealServer } from '../config/model.js';
import { destId } from '../config/to-commands.js';
import type { Result } from './checker.js';
import { type CheckerState, type CheckerTimingSpec, initialCheckerState } from './checker-state.js';
/** Runtime of one checker. */
export interface CheckerRuntime {
  /** Stable id across reloads (kept when the checker is carried over). */
  readonly uid: number;
  readonly cfg: CheckerConfig;
  readonly timing: CheckerTimingSpec;
  state: CheckerState;
  /** seq of the probe in flight, 0 when idle. */
  inFlight: number;
  /** Backstop deadline of the probe in flight. */
  deadline: number;
  /** Weight contribution (MISC dynamic / FILE_CHECK). */
  offset: number;
  /** ldirectord combined checktype: ticks skipped since the last negotiate probe. */
  skipped: number;
  /** ldirectord combined: a failed connect forces the next negotiate probe. */
  forceNext: boolean;
  last: (Result & { readonly at: number }) | undefined;
}

/** Runtime of one real server. */
export interface RealRuntime {
  readonly rs: RealServer;
  readonly id: string;
  readonly checkers: CheckerRuntime[];
  alive: boolean;
  since: number;
  message: string;
}

/** The probe's backstop: a probe that has not answered by timeout + this counts as failed. */
export const PROBE_GRACE_MS = 1000;
const INT32_MAX = 2147483647;

/** Timing spec of a model checker (keepalived's defaults are already resolved by the config layer). */
export function timingOf(c: CheckerConfig): CheckerTimingSpec {
  const http = c.type === 'http' || c.type === 'https';
  // The model has no checkcount field yet; ldirectord's deprecated checkcount is read if present.
  const checkcount = (c as { checkcount?: number }).checkcount ?? 1;
  return {
    retry: c.retry,
    delayBeforeRetry: c.delayBeforeRetry,
    delayLoop: c.delayLoop,
    connectTimeout: c.type === 'misc' ? c.timeout : c.connectTimeout,
    immediateFirstDown: c.immediateFirstDown,
    parts: http ? Math.max(1, c.urls.length) : 1,
    fastRecovery: http ? c.fastRecovery : false,
    httpPolling: http,
    checkcount: Math.max(1, checkcount),
  };
}

/** Effective weight: configured plus checker offsets, clamped to IPVS's range. */
export function effectiveWeight(r: RealRuntime): number {
  let w = r.rs.dest.weight;
  for (const c of r.checkers) w += c.offset;
  return Math.min(INT32_MAX, Math.max(0, w));
}

/** Fresh runtime of a real server with its checkers in their initial states. */
export function newRealRuntime(
  rs: RealServer,
  now: number,
  firstAt: (c: CheckerConfig) => number,
  uid: () => number,
  forceDown = false,
): RealRuntime {
  const checkers: CheckerRuntime[] = rs.checkers.map((cfg) => {
    const timing = timingOf(cfg);
    return {
      uid: uid(),
      cfg,
      timing,
      state: { ...initialCheckerState(timing, cfg.alpha || rs.alpha || forceDown, firstAt(cfg)), since: now },
      inFlight: 0,
      deadline: 0,
      offset: 0,
      skipped: 0,
      forceNext: false,
      last: undefined,
    };
  });
  const alive = checkers.every((c) => c.state.up);
  return {
    rs,
    id: destId(rs.dest),
    checkers,
    alive,
    since: now,
    message: alive ? 'initial: up' : 'initial: down (alpha)',
  };
}
