import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatOverload,
  judgeOverload,
  OVERLOAD_TARGET,
  overloadRates,
} from '../../bench/lib/packet-overload.js';

describe('packet benchmark overload check', () => {
  it('offers 2x and 4x the judged rate', () => {
    assert.deepEqual(overloadRates(100_000), [200_000, 400_000]);
    assert.deepEqual(overloadRates(0), []);
  });

  it('meets the target only when both multiples keep 0.9x of the judged forwarding', () => {
    const judged = { target: 1e5, offered: 1e5, forwarded: 99_000 };
    const good = judgeOverload(judged, [
      { target: 2e5, offered: 2e5, forwarded: 95_000 },
      { target: 4e5, offered: 3.9e5, forwarded: 90_000 },
    ]);
    assert.equal(good.met, true);
    assert.deepEqual(
      good.points.map((p) => p.factor),
      [2, 4],
    );
    const livelock = judgeOverload(judged, [
      { target: 2e5, offered: 2e5, forwarded: 60_000 },
      { target: 4e5, offered: 4e5, forwarded: 0 },
    ]);
    assert.equal(livelock.met, false);
    assert.equal(livelock.points[1]?.ratio, 0);
    assert.match(
      formatOverload('lvsd-nat', livelock),
      /4x: offered 4\.00x, forwarded 0\.00x \(0 pps\).*missed/,
    );
  });

  it('does not count a multiple the generator could not reach as overload', () => {
    const r = judgeOverload({ target: 1e5, offered: 1e5, forwarded: 1e5 }, [
      { target: 2e5, offered: 1.2e5, forwarded: 1.2e5 },
      { target: 4e5, offered: 1.3e5, forwarded: 1.3e5 },
    ]);
    assert.equal(r.met, false);
    assert.match(formatOverload('lvsd-nat', r), /not judged: the generator reached only 1\.20x and 1\.30x/);
  });

  it('reports an unjudged run with its reason', () => {
    const r = judgeOverload(undefined, [], 'no rate passed');
    assert.equal(r.met, false);
    assert.match(formatOverload('lvsd-dr', r), /not judged \(no rate passed\)/);
  });

  it('met is exactly: every ratio >= target and every offered multiple >= 1.5', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(
          fc.record({
            o: fc.double({ min: 0, max: 5, noNaN: true }),
            f: fc.double({ min: 0, max: 2, noNaN: true }),
          }),
          {
            minLength: 2,
            maxLength: 2,
          },
        ),
        (base, pts) => {
          const judged = { target: base, offered: base, forwarded: base };
          const r = judgeOverload(
            judged,
            pts.map((p) => ({ target: 0, offered: p.o * base, forwarded: p.f * base })),
          );
          const want = pts.every((p) => p.f >= OVERLOAD_TARGET - 1e-9 && p.o >= 1.5 - 1e-9);
          // Floating point: only check the clear cases.
          if (pts.some((p) => Math.abs(p.f - OVERLOAD_TARGET) < 1e-6 || Math.abs(p.o - 1.5) < 1e-6)) return;
          assert.equal(r.met, want);
        },
      ),
    );
  });
});
