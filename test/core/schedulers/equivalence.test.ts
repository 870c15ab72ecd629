/**
 * Property tests: for random dest lists, weights, thresholds, loads and add/edit/delete sequences,
 * every indexed scheduler picks exactly what the kernel's linear scan (kernel-reference.ts) picks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONN_COUNT, type Dest } from '../../../src/core/dest.js';
import { randomBelow } from '../../../src/core/schedulers/twos.js';
import { DEST_F } from '../../../src/core/types.js';
import { destConfig } from '../../helpers/table.js';
import { type Built, build, bytes, pkt, xorshift } from './helpers.js';
import {
  RefRr,
  RefWrr,
  refFo,
  refIsOverloaded,
  refLc,
  refNq,
  refOvf,
  refSed,
  refTwos,
  refWlc,
} from './kernel-reference.js';

type Op =
  | { t: 'add' | 'edit'; i: number; w: number; u: number; l: number }
  | { t: 'del'; i: number }
  | { t: 'bind' | 'unbind' | 'flip'; i: number; active: boolean }
  | { t: 'pick'; dst: number };

const addr = (i: number) => `10.0.0.${i + 1}`;
const idx = fc.integer({ min: 0, max: 5 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constantFrom('add' as const, 'edit' as const),
      i: idx,
      w: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(8, 12, 18, 40)),
      u: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
      l: fc.integer({ min: 0, max: 6 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ t: fc.constant('del' as const), i: idx }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constantFrom('bind' as const, 'unbind' as const, 'flip' as const),
      i: idx,
      active: fc.boolean(),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({ t: fc.constant('pick' as const), dst: fc.integer({ min: 0, max: 3 }) }),
    weight: 4,
  },
);

interface Harness {
  b: Built;
  known: Map<number, Dest>;
  apply(op: Op, onChange: (kind: 'add' | 'del' | 'upd', before: Dest[], d: Dest) => void): boolean;
}

function harness(sched: string, opts: Parameters<typeof build>[2] = {}): Harness {
  const b = build(sched, [], opts);
  const known = new Map<number, Dest>();
  const linked = (i: number) => b.svc.dests.find((d) => d.addr === addr(i));
  return {
    b,
    known,
    apply(op, onChange) {
      if (op.t === 'pick') return true;
      if (op.t === 'add' || op.t === 'edit') {
        const l = Math.min(op.l, op.u);
        const cfg = destConfig(addr(op.i), 80, { weight: op.w, uThreshold: op.u, lThreshold: l });
        const before = [...b.svc.dests];
        if (op.t === 'add' && !linked(op.i)) {
          const d = b.table.addDest(b.key, cfg);
          known.set(op.i, d);
          onChange('add', before, d);
        } else if (op.t === 'edit' && linked(op.i)) {
          onChange('upd', before, b.table.editDest(b.key, cfg));
        }
        return false;
      }
      if (op.t === 'del') {
        const d = linked(op.i);
        if (d) {
          const before = [...b.svc.dests];
          b.table.delDest(b.key, { addr: d.addr, port: 80 }, 0);
          onChange('del', before, d);
        }
        return false;
      }
      // Load changes also hit deleted (trash) dests, whose counts keep moving.
      const lo = op as Extract<Op, { active: boolean }>;
      const d = known.get(lo.i);
      if (!d) return false;
      const kind = lo.active ? CONN_COUNT.ACTIVE : CONN_COUNT.INACTIVE;
      if (lo.t === 'bind') d.bind(kind);
      else if (lo.t === 'unbind') {
        if ((lo.active ? d.activeConns : d.inactConns) > 0) d.unbind(kind);
      } else if (lo.active ? d.inactConns > 0 : d.activeConns > 0) d.setActivity(!lo.active, lo.active);
      return false;
    },
  };
}

const runs = { numRuns: 200 };
const seq = fc.array(opArb, { minLength: 1, maxLength: 150, size: 'max' });

const stateless: [string, (l: readonly Dest[]) => Dest | null][] = [
  ['lc', refLc],
  ['wlc', refWlc],
  ['sed', refSed],
  ['nq', refNq],
  ['fo', refFo],
  ['ovf', refOvf],
];

for (const [name, ref] of stateless) {
  test(`${name}: the indexed pick equals the kernel's linear scan after every operation`, () => {
    fc.assert(
      fc.property(seq, (ops) => {
        const h = harness(name);
        for (const op of ops) {
          h.apply(op, () => {});
          const got = h.b.svc.sched?.schedule(h.b.svc, pkt(), 0) ?? null;
          assert.equal(got?.addr ?? null, ref(h.b.svc.dests)?.addr ?? null);
        }
      }),
      runs,
    );
  });
}

test('twos: picks equal the kernel walk under the same random source', () => {
  fc.assert(
    fc.property(seq, fc.integer({ min: 1, max: 2 ** 31 }), (ops, seed) => {
      const h = harness('twos', { schedulerOptions: { random: xorshift(seed) } });
      const r = xorshift(seed);
      for (const op of ops) {
        h.apply(op, () => {});
        const got = h.b.svc.sched?.schedule(h.b.svc, pkt(), 0) ?? null;
        assert.equal(got?.addr ?? null, refTwos(h.b.svc.dests, r)?.addr ?? null);
      }
    }),
    runs,
  );
});

test('rr: picks and pointer moves equal the kernel list walk', () => {
  fc.assert(
    fc.property(seq, (ops) => {
      const h = harness('rr');
      const ref = new RefRr();
      for (const op of ops) {
        h.apply(op, (kind, before, d) => {
          if (kind === 'del') ref.del(before, d);
        });
        if (op.t !== 'pick') continue;
        const got = h.b.svc.sched?.schedule(h.b.svc, pkt(), 0) ?? null;
        assert.equal(got?.addr ?? null, ref.schedule(h.b.svc.dests)?.addr ?? null);
      }
    }),
    runs,
  );
});

test('wrr: picks and {cl, cw, mw, di} resets equal the kernel scan', () => {
  fc.assert(
    fc.property(seq, (ops) => {
      const h = harness('wrr');
      const ref = new RefWrr();
      ref.init([]);
      for (const op of ops) {
        h.apply(op, () => ref.changed(h.b.svc.dests));
        if (op.t !== 'pick') continue;
        for (let k = 0; k < 3; k++) {
          const got = h.b.svc.sched?.schedule(h.b.svc, pkt(), 0) ?? null;
          assert.equal(got?.addr ?? null, ref.schedule(h.b.svc.dests)?.addr ?? null);
        }
      }
    }),
    runs,
  );
});

/** A plain lblc: Map of entries, linear wlc and is_overloaded scans. */
function refLblc() {
  const m = new Map<string, Dest>();
  return (list: readonly Dest[], dst: string): Dest | null => {
    const en = m.get(dst);
    if (en && en.flags & DEST_F.AVAILABLE && en.weight > 0 && !refIsOverloaded(en, list)) return en;
    const d = refWlc(list);
    if (d) m.set(dst, d);
    return d;
  };
}

/** A plain lblcr with BigInt set min/max scans. */
function refLblcr(expiration: number) {
  const m = new Map<string, { set: Dest[]; lastmod: number }>();
  const oh = (d: Dest) => BigInt(d.activeConns * 256 + d.inactConns);
  const avail = (d: Dest) => (d.flags & DEST_F.AVAILABLE) !== 0;
  const ovl = (d: Dest) => (d.flags & DEST_F.OVERLOAD) !== 0;
  return (list: readonly Dest[], dst: string, now: number): Dest | null => {
    const en = m.get(dst);
    if (!en) {
      const d = refWlc(list);
      if (d) m.set(dst, { set: [d], lastmod: now });
      return d;
    }
    let min: Dest | null = null;
    for (const d of en.set) {
      if (ovl(d)) continue;
      if (!min) {
        if (d.weight > 0 && avail(d)) min = d;
      } else if (avail(d) && oh(min) * BigInt(d.weight) > oh(d) * BigInt(min.weight)) min = d;
    }
    if (en.set.length > 1 && now > en.lastmod + expiration) {
      let max: Dest | null = null;
      for (const d of en.set) {
        if (!max) {
          if (d.weight > 0) max = d;
        } else if (d.weight > 0 && oh(max) * BigInt(d.weight) < oh(d) * BigInt(max.weight)) max = d;
      }
      if (max) {
        en.set.splice(en.set.indexOf(max), 1);
        en.lastmod = now;
      }
    }
    if (min && !refIsOverloaded(min, list)) return min;
    const d = refWlc(list);
    if (d && !en.set.includes(d)) {
      en.set.unshift(d);
      en.lastmod = now;
    }
    return d;
  };
}

for (const name of ['lblc', 'lblcr']) {
  test(`${name}: picks equal a linear-scan reference with a plain entry map`, () => {
    fc.assert(
      fc.property(seq, (ops) => {
        const h = harness(name, { schedulerOptions: { lblcExpirationMs: 5000 } });
        const ref = name === 'lblc' ? refLblc() : refLblcr(5000);
        let now = 0;
        for (const op of ops) {
          now += 1000;
          h.apply(op, () => {});
          if (op.t !== 'pick') continue;
          const dst = `198.51.100.${op.dst}`;
          const p = { ...pkt(), dstAddr: bytes(dst) };
          const got = h.b.svc.sched?.schedule(h.b.svc, p, now) ?? null;
          assert.equal(got?.addr ?? null, ref(h.b.svc.dests, dst, now)?.addr ?? null);
        }
      }),
      runs,
    );
  });
}

test('randomBelow equals the kernel get_random_u32_below (multiply-high with rejection) for any ceil', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 8, maxLength: 8 }),
      (ceil, draws) => {
        const ref = () => {
          let k = 0;
          let m = BigInt(ceil) * BigInt(draws[k++] as number);
          if (m % 2n ** 32n < BigInt(ceil)) {
            const bound = (2n ** 32n - BigInt(ceil)) % BigInt(ceil);
            while (m % 2n ** 32n < bound && k < draws.length) m = BigInt(ceil) * BigInt(draws[k++] as number);
          }
          return Number(m >> 32n);
        };
        let k = 0;
        const got = randomBelow(ceil, () => draws[k++ % draws.length] as number);
        assert.equal(got, ref());
      },
    ),
  );
});
