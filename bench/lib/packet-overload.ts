/**
 * The packet benchmark's overload check (pure): once a sweep has judged a director's sustainable
 * rate (the highest offered rate it forwards ≥ 95% of, bench/lib/packet-sweep.ts), the same run
 * offers it 2× and 4× that rate and records what it still forwards. A director in receive
 * livelock (the receive work on its core running ahead of the process that drains the rings)
 * forwards less the more it is offered, down to nothing; issue 19 asks for ≥ 0.9× of the judged
 * rate at both multiples. A point that forwarded nothing is a result, never an abort.
 */

/** The multiples of the judged rate the check offers. */
export const OVERLOAD_FACTORS = [2, 4] as const;
/** Target: forwarded under overload ≥ this × forwarded at the judged rate. */
export const OVERLOAD_TARGET = 0.9;

/** One measured point, as the sweep records it. */
export interface OverloadPoint {
  /** Rate asked of the generator (frames/s); 0 = unpaced. */
  target: number;
  offered: number;
  forwarded: number;
}

/** The check of one run. */
export interface OverloadResult {
  /** Forwarded pps at the judged point (the 1× reference). */
  judged: number;
  /** Offered pps at the judged point. */
  judgedOffered: number;
  /** One entry per factor: what was offered (as a multiple of judgedOffered) and forwarded. */
  points: { factor: number; offeredX: number; forwarded: number; ratio: number }[];
  /** Every point forwarded ≥ OVERLOAD_TARGET × judged, and the generator reached ≥ 1.5× each time. */
  met: boolean;
  /** Why it is not judged (generator-limited sweep, no passing point, generator short of 1.5×), or undefined. */
  unjudged?: string;
}

/** Rates to offer for the check: factor × the judged point's offered rate (rounded). */
export function overloadRates(judgedOffered: number): number[] {
  if (!(judgedOffered > 0)) return [];
  return OVERLOAD_FACTORS.map((f) => Math.round(f * judgedOffered));
}

/**
 * Judges a run: `judged` is the sweep's chosen passing point, `points` the overload points in
 * OVERLOAD_FACTORS order. A multiple the generator could not reach (offered < 1.5× the judged
 * rate) cannot show overload, so the run is not met on it.
 */
export function judgeOverload(
  judged: OverloadPoint | undefined,
  points: readonly OverloadPoint[],
  unjudged?: string,
): OverloadResult {
  if (!judged || unjudged !== undefined || points.length === 0)
    return {
      judged: judged?.forwarded ?? 0,
      judgedOffered: judged?.offered ?? 0,
      points: [],
      met: false,
      unjudged: unjudged ?? 'no judged rate',
    };
  const out = points.map((p, i) => ({
    factor: OVERLOAD_FACTORS[i] ?? 0,
    offeredX: judged.offered > 0 ? p.offered / judged.offered : 0,
    forwarded: p.forwarded,
    ratio: judged.forwarded > 0 ? p.forwarded / judged.forwarded : 0,
  }));
  const short = out.filter((p) => p.offeredX < 1.5);
  const met = short.length === 0 && out.every((p) => p.ratio >= OVERLOAD_TARGET);
  const r: OverloadResult = { judged: judged.forwarded, judgedOffered: judged.offered, points: out, met };
  // A busy load core (the generator's) cannot overload anyone: say so rather than "missed".
  if (short.length)
    r.unjudged = `the generator reached only ${short.map((p) => `${p.offeredX.toFixed(2)}x`).join(' and ')} of the judged rate`;
  return r;
}

/** One line per run for the report: `2×: offered 1.9×, forwarded 0.97× (123,456 pps)`. */
export function formatOverload(name: string, r: OverloadResult): string {
  if (r.unjudged && r.points.length === 0) return `${name}: not judged (${r.unjudged})`;
  const pts = r.points.map(
    (p) =>
      `${p.factor}x: offered ${p.offeredX.toFixed(2)}x, forwarded ${p.ratio.toFixed(2)}x (${Math.round(p.forwarded).toLocaleString('en-US')} pps)`,
  );
  const verdict = r.unjudged ? `not judged: ${r.unjudged}` : r.met ? 'met' : 'missed';
  return `${name}: 1x ${Math.round(r.judged).toLocaleString('en-US')} pps; ${pts.join('; ')} [${verdict}]`;
}
