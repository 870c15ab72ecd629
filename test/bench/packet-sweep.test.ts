import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bestPass,
  generatorLimited,
  nextRate,
  passes,
  SWEEP_POLICY,
  type SweepPoint,
} from '../../bench/lib/packet-sweep.js';

/**
 * A model director: forwards everything up to `cap`, and under overload only `overload` × cap
 * (receive work on dropped frames starves it: livelock). The generator offers at most `gen`.
 */
function runSweep(cap: number, overload: number, gen: number): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (let rate = nextRate(points); rate !== undefined; rate = nextRate(points)) {
    const offered = rate === 0 ? gen : Math.min(rate, gen);
    const forwarded = offered <= cap ? offered : cap * overload;
    points.push({ target: rate, offered, forwarded });
  }
  return points;
}

describe('offered-rate sweep', () => {
  it('starts with one unpaced probe and stops there when the director forwarded it', () => {
    assert.equal(nextRate([]), 0);
    const p = [{ target: 0, offered: 4e5, forwarded: 3.9e5 }];
    assert.equal(nextRate(p), undefined);
    assert.ok(generatorLimited(p));
    assert.equal(bestPass(p), 0);
  });

  it('carries on an eighth of the offered rate down when the unpaced probe forwarded nothing', () => {
    const p: SweepPoint[] = [{ target: 0, offered: 8e5, forwarded: 0 }];
    assert.equal(nextRate(p), 1e5);
    p.push({ target: 1e5, offered: 1e5, forwarded: 1e5 });
    assert.ok(bestPass(p) === 1);
    // A livelocked director (0 forwarded under overload) still gets a judged rate.
    const pts = runSweep(2e5, 0, 8e5);
    const b = bestPass(pts);
    assert.ok(b > 0, JSON.stringify(pts));
    assert.ok((pts[b] as SweepPoint).offered <= 2e5 && (pts[b] as SweepPoint).offered >= 1e5);
  });

  it('tries the overloaded forwarded rate next, then backs off while nothing passes', () => {
    const p: SweepPoint[] = [{ target: 0, offered: 6e5, forwarded: 1e5 }];
    assert.equal(nextRate(p), 1e5);
    p.push({ target: 1e5, offered: 1e5, forwarded: 8e4 });
    assert.equal(nextRate(p), 7e4);
    assert.ok(!generatorLimited(p));
    assert.equal(bestPass(p), -1);
  });

  it('bisects between the best pass and the lowest failure above it', () => {
    const p: SweepPoint[] = [
      { target: 0, offered: 6e5, forwarded: 1e5 },
      { target: 1e5, offered: 1e5, forwarded: 1e5 },
    ];
    assert.equal(nextRate(p), Math.round(Math.sqrt(1e5 * 6e5)));
    // Within the resolution: done.
    p.push({ target: 1.05e5, offered: 1.05e5, forwarded: 9e4 });
    assert.equal(nextRate(p), undefined);
  });

  it('judges a point by what was offered, not by what was asked', () => {
    assert.ok(passes({ target: 5e5, offered: 2e5, forwarded: 1.95e5 }));
    assert.ok(!passes({ target: 5e5, offered: 2e5, forwarded: 1.8e5 }));
    assert.ok(!passes({ target: 1, offered: 0, forwarded: 0 }));
  });

  it('never reports more than the capacity, never less than the overload showed, and ends bounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20_000, max: 550_000 }),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        fc.integer({ min: 600_000, max: 700_000 }),
        (cap, overload, gen) => {
          const pts = runSweep(cap, overload, gen);
          assert.ok(pts.length <= SWEEP_POLICY.maxSteps);
          const b = bestPass(pts);
          assert.ok(b >= 0, 'the overloaded rate itself passes');
          const best = pts[b] as SweepPoint;
          // A pass may lose up to 5%: the rate can exceed the capacity by that much, never more.
          assert.ok(best.forwarded <= cap);
          assert.ok(best.offered <= cap / SWEEP_POLICY.passRatio);
          assert.ok(best.offered >= Math.round(cap * overload) - 1);
          // Stopped early only when the bracket is within the resolution.
          if (pts.length < SWEEP_POLICY.maxSteps) {
            const hi = Math.min(...pts.filter((p) => !passes(p)).map((p) => p.offered));
            assert.ok(hi / best.offered <= SWEEP_POLICY.resolution);
          }
        },
      ),
    );
  });

  it('ends at the generator when the director forwards everything it can be offered', () => {
    const pts = runSweep(1e6, 0.5, 6e5);
    assert.equal(pts.length, 1);
    assert.ok(generatorLimited(pts));
  });
});

describe('offered-rate sweep under a starved generator', () => {
  it('stops instead of asking again for a rate the generator fell short of', () => {
    const p: SweepPoint[] = [
      { target: 0, offered: 6e5, forwarded: 1e5 },
      { target: 1e5, offered: 1e5, forwarded: 1e5 },
      { target: 244949, offered: 1.5e5, forwarded: 1.5e5 },
    ];
    // Best pass 150k, lowest failure 600k: the midpoint is 300k, not asked yet.
    assert.equal(nextRate(p), 300000);
    p.push({ target: 300000, offered: 1.5e5, forwarded: 1.5e5 });
    // Still bracketed by 150k..600k, but 300k was asked and only 150k came: done.
    assert.equal(nextRate(p), undefined);
  });
});
