/**
 * The packet benchmark's offered-rate search (pure): finds the highest offered rate a director
 * forwards almost entirely (≥ `passRatio`), instead of judging it only under overload. Overload
 * is a poor yardstick on one core: receive work (NAPI, XDP, AF_PACKET copies) runs ahead of the
 * process that should drain it, so past saturation a director forwards less the more it is
 * offered (livelock) and the figure says more about the overload than about the director.
 *
 * A sweep starts with one unpaced probe (rate 0: as fast as the generator goes). If the director
 * forwards that, the generator is the limit and the sweep ends. Otherwise it tries the probe's
 * forwarded rate, steps down by `backoff` until a rate passes, then bisects (geometrically)
 * between the best pass and the lowest failure until they are within `resolution` of each other
 * or `maxSteps` points were measured.
 */

/** One measured point of a sweep. */
export interface SweepPoint {
  /** Rate asked of the generator (frames/s); 0 = unpaced. */
  target: number;
  /** Frames/s the generator actually put on the wire (client interface counter). */
  offered: number;
  /** Frames/s that reached the real servers. */
  forwarded: number;
}

/** How a sweep decides. */
export interface SweepPolicy {
  /** A point passes when forwarded ≥ passRatio × offered. */
  passRatio: number;
  /** Stop bisecting when lowest failure / best pass ≤ this. */
  resolution: number;
  /** Hard bound on the points per sweep (the unpaced probe included). */
  maxSteps: number;
  /** Factor applied to the last target while no paced point has passed yet. */
  backoff: number;
}

/** Default policy: ≥ 95% forwarded, 10% resolution, at most 7 points. */
export const SWEEP_POLICY: SweepPolicy = { passRatio: 0.95, resolution: 1.1, maxSteps: 7, backoff: 0.7 };

/** True when the director forwarded (almost) all of what was offered at this point. */
export function passes(p: SweepPoint, policy: SweepPolicy = SWEEP_POLICY): boolean {
  return p.offered > 0 && p.forwarded >= policy.passRatio * p.offered;
}

/** Index of the passing point with the highest offered rate, or -1 when none passed. */
export function bestPass(points: readonly SweepPoint[], policy: SweepPolicy = SWEEP_POLICY): number {
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as SweepPoint;
    if (passes(p, policy) && (best < 0 || p.offered > (points[best] as SweepPoint).offered)) best = i;
  }
  return best;
}

/** True when the unpaced probe (the first point) passed: the generator, not the director, set the rate. */
export function generatorLimited(points: readonly SweepPoint[], policy: SweepPolicy = SWEEP_POLICY): boolean {
  const p = points[0];
  return p !== undefined && p.target === 0 && passes(p, policy);
}

/**
 * The next rate to offer (frames/s; 0 = the unpaced probe), or undefined when the sweep is done.
 */
export function nextRate(
  points: readonly SweepPoint[],
  policy: SweepPolicy = SWEEP_POLICY,
): number | undefined {
  if (points.length === 0) return 0;
  if (points.length >= policy.maxSteps || generatorLimited(points, policy)) return undefined;
  const probe = points[0] as SweepPoint;
  const b = bestPass(points, policy);
  const last = points[points.length - 1] as SweepPoint;
  if (b < 0) {
    // Nothing passed yet: first the rate the director managed under overload, then lower. A
    // director in receive livelock forwards (almost) nothing unpaced: start an eighth down then.
    const first = probe.forwarded >= 0.01 * probe.offered ? probe.forwarded : probe.offered / 8;
    const next = points.length === 1 ? first : last.target * policy.backoff;
    return next >= 1 ? Math.round(next) : undefined;
  }
  const lo = (points[b] as SweepPoint).offered;
  let hi = Number.POSITIVE_INFINITY;
  for (const p of points) if (!passes(p, policy) && p.offered > lo) hi = Math.min(hi, p.offered);
  // Every failure lies below the best pass (noise): nothing left to narrow.
  if (!Number.isFinite(hi) || hi / lo <= policy.resolution) return undefined;
  const next = Math.round(Math.sqrt(lo * hi));
  // Asked for before and the generator fell short of it (its CPU is taken): asking again
  // would only repeat that point.
  if (points.some((p) => p.target > 0 && Math.abs(p.target - next) <= 0.01 * next)) return undefined;
  return next;
}
