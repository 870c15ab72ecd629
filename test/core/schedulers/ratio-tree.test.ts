/**
 * RatioTree against a straight port of the kernel's two-stage scan (ip_vs_wlc.c
 * ip_vs_wlc_schedule: the first eligible dest, then a later one replaces it only when
 * `loh * dest->weight > doh * least->weight`, in s64, here BigInt) for any mix of small leaves
 * (double compares) and huge ones (exact tie-breaks), through every path that changes a leaf.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RatioTree } from '../../../src/core/schedulers/ratio-tree.js';

interface Leaf {
  ok: boolean;
  num: number;
  den: number;
}

/** ip_vs_wlc_schedule over leaves: the first eligible, then strictly better ones by cross-multiplication. */
function refScan(leaves: readonly Leaf[]): number {
  let best = -1;
  for (let i = 0; i < leaves.length; i++) {
    const l = leaves[i] as Leaf;
    if (!l.ok) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const b = leaves[best] as Leaf;
    if (BigInt(b.num) * BigInt(l.den) > BigInt(l.num) * BigInt(b.den)) best = i;
  }
  return best;
}

// Small values tie often; huge ones (past 2^32 and 2^20, up to 2^53) force the exact path, and
// 9007199254740989 / 6755399441055742 rounds to the same double as 4 / 3 though it is smaller.
const numArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 6 },
  { arbitrary: fc.constant(4), weight: 1 },
  { arbitrary: fc.constantFrom(2 ** 32, 2 ** 52 + 1, 2 ** 53 - 1, 9007199254740989), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), weight: 1 },
);
const denArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 6 },
  { arbitrary: fc.constant(3), weight: 1 },
  { arbitrary: fc.constantFrom(2 ** 20, 2 ** 52, 6755399441055742, 2 ** 53 - 1), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), weight: 1 },
);
const leafArb = fc.record({ ok: fc.boolean(), num: numArb, den: denArb });

test('the tree root equals the kernel scan after every leaf update, small and huge fractions mixed', () => {
  fc.assert(
    fc.property(
      fc.array(leafArb, { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), leafArb), { maxLength: 120 }),
      (init, ops) => {
        const t = new RatioTree();
        const leaves = init.map((l) => ({ ...l }));
        t.reset(leaves.length);
        leaves.forEach((l, i) => {
          t.setLeaf(i, l.ok, l.num, l.den);
        });
        t.build();
        assert.equal(t.winner(), refScan(leaves));
        for (const [at, l] of ops) {
          const i = at % leaves.length;
          leaves[i] = { ...l };
          t.update(i, l.ok, l.num, l.den);
          assert.equal(t.winner(), refScan(leaves));
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('a huge leaf that won an exact tie above its parent gives it up once it turns small with the same key', () => {
  // 9007199254740989 / 6755399441055742 is 1/(3b) below 4/3 and rounds to the same double. Leaf 2
  // wins its own pair (leaf 3 is ineligible) and, exactly smaller, the root from leaf 0 (4/3).
  // As 4/3 itself it ties leaf 0, which is leftmost and takes the root back, though leaf 2's
  // parent keeps the same winner and key.
  const t = new RatioTree();
  t.reset(4);
  t.setLeaf(0, true, 4, 3);
  t.setLeaf(1, false, 0, 1);
  t.setLeaf(2, true, 9007199254740989, 6755399441055742);
  t.setLeaf(3, false, 0, 1);
  t.build();
  assert.equal(4 / 3, 9007199254740989 / 6755399441055742);
  assert.equal(t.winner(), 2);
  t.update(2, true, 4, 3);
  assert.equal(t.winner(), 0);
  t.update(2, true, 9007199254740989, 6755399441055742);
  assert.equal(t.winner(), 2);
});
