import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, load, pick, replay } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

/** A u32 that get_random_u32_below(ceil) maps to r: its low half is >= ceil, so never rejected. */
const draw = (r: number, ceil: number) => Math.ceil((r * 2 ** 32) / ceil) + 1;

test('twos draws r in [0, total] and walks eligible dests: r = 0 is the first, r = total the last', () => {
  // Eligible: A (1), C (3); B is weight 0. total = 4, ceil = 5.
  const list = [
    { addr: A, weight: 1 },
    { addr: B, weight: 0 },
    { addr: C, weight: 3 },
  ];
  const cases: [number, number, string][] = [
    [0, 0, A],
    [1, 1, A],
    [2, 2, C],
    [4, 4, C],
  ];
  for (const [r1, r2, want] of cases) {
    const b = build('twos', list, { schedulerOptions: { random: replay([draw(r1, 5), draw(r2, 5)]) } });
    assert.equal(pick(b), want, `r1=${r1} r2=${r2}`);
  }
});

test('twos returns choice2 only when strictly less loaded per weight', () => {
  const list = [
    { addr: A, weight: 1 },
    { addr: C, weight: 3 },
  ];
  // choice1 = A (r1 = 1), choice2 = C (r2 = 3); total 4.
  const r = replay([draw(1, 5), draw(3, 5)]);
  const b = build('twos', list, { schedulerOptions: { random: r } });
  load(b.by[A]!, 1); // A: 256/1
  load(b.by[C]!, 3); // C: 768/3 = 256: tie keeps choice1
  assert.equal(pick(b), A);
  b.by[C]!.unbind(0); // C: 512/3 < 256
  assert.equal(pick(b), C);
});

test('twos skips OVERLOAD dests and gives none when nothing is eligible', () => {
  const b = build(
    'twos',
    [
      { addr: A, weight: 2, u: 1 },
      { addr: B, weight: 0 },
    ],
    {
      schedulerOptions: { random: replay([1, 1]) },
    },
  );
  assert.equal(pick(b), A);
  load(b.by[A]!, 1);
  assert.equal(pick(b), '-');
});
