import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { availabilityOf } from '../../src/health/availability.js';

const H = 3_600_000;

test('two failures: MTBF, MTTR and A from the recorded up and down periods', () => {
  // up 0-10h, down 10-11h, up 11-20h, down 20-23h, up 23-30h.
  const s = availabilityOf(
    [
      { at: 0, up: true },
      { at: 10 * H, up: false },
      { at: 11 * H, up: true },
      { at: 20 * H, up: false },
      { at: 23 * H, up: true },
    ],
    30 * H,
  );
  assert.equal(s.failures, 2);
  assert.equal(s.upMs, 26 * H);
  assert.equal(s.downMs, 4 * H);
  assert.equal(s.mtbfMs, 13 * H);
  assert.equal(s.mttrMs, 2 * H);
  assert.equal(s.availability, 13 / 15);
  assert.ok(Math.abs(s.uptimePct - (100 * 26) / 30) < 1e-9);
});

test('no failure yet: MTBF is the observed up time, MTTR 0 and A 1', () => {
  const s = availabilityOf([{ at: 5, up: true }], 5 + H);
  assert.deepEqual([s.failures, s.mtbfMs, s.mttrMs, s.availability, s.uptimePct], [0, H, 0, 1, 100]);
});

test('an outage in progress counts toward MTTR up to now', () => {
  const s = availabilityOf(
    [
      { at: 0, up: true },
      { at: 3 * H, up: false },
    ],
    4 * H,
  );
  assert.deepEqual([s.up, s.failures, s.mtbfMs, s.mttrMs, s.availability], [false, 1, 3 * H, H, 0.75]);
});

test('initial down time (alpha) lowers uptime % but is not a failure or a repair', () => {
  const s = availabilityOf(
    [
      { at: 0, up: false },
      { at: H, up: true },
    ],
    4 * H,
  );
  assert.deepEqual([s.failures, s.mttrMs, s.availability, s.uptimePct], [0, 0, 1, 75]);
});

test('never up: A is 0, not 1', () => {
  const s = availabilityOf([{ at: 0, up: false }], H);
  assert.deepEqual([s.availability, s.uptimePct, s.mtbfMs], [0, 0, 0]);
});

test('nothing observed: uptime % and A are NaN', () => {
  assert.ok(Number.isNaN(availabilityOf([], 100).availability));
  assert.ok(Number.isNaN(availabilityOf([{ at: 100, up: true }], 100).uptimePct));
});

test('repeated states are absorbed and do not count as failures', () => {
  const s = availabilityOf(
    [
      { at: 0, up: true },
      { at: 1, up: true },
      { at: 2, up: false },
      { at: 3, up: false },
      { at: 4, up: true },
    ],
    10,
  );
  assert.deepEqual([s.failures, s.upMs, s.downMs], [1, 8, 2]);
});

test('property: up + down = observed, 0 ≤ A ≤ 1, and A = uptime when every down follows a failure', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 1000 }),
      (gaps, tail) => {
        let at = 0;
        const tr = gaps.map((g, i) => {
          at += g;
          return { at, up: i % 2 === 0 };
        });
        const s = availabilityOf(tr, at + tail);
        assert.equal(s.upMs + s.downMs, s.observedMs);
        assert.equal(s.observedMs, at + tail - (tr[0]?.at ?? 0));
        assert.ok(s.availability >= 0 && s.availability <= 1);
        if (s.failures > 0) assert.ok(Math.abs(s.availability * 100 - s.uptimePct) < 1e-6);
      },
    ),
  );
});
