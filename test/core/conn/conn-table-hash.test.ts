import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConnKeyIndex, fold6, MAX_LOAD, slotsFor } from '../../../src/core/conn-hash.js';
import { CONN_F, ConnTable } from '../../../src/core/conn-table.js';

const SEED = 0x2545f491;
const w = (...x: number[]) => Uint32Array.from([...x, 0, 0, 0, 0].slice(0, 4));
const V = w(0xcb007101);
const D = w(0xc6336401);

/** Key words of a TCP IPv4 conn client a:cport → vaddr:vport. */
const key = (a: number, cport: number, vaddr: number, vport: number) =>
  [a | 0, vaddr | 0, (cport << 16) | vport] as const;

test('slot counts step through 2^k and 3·2^(k-1), so growth is ×1.5 or ×1.33', () => {
  assert.deepEqual(
    [1, 64, 65, 96, 97, 129, 193, 1000].map((x) => slotsFor(x)),
    [64, 64, 96, 96, 128, 192, 256, 1024],
  );
});

test('keys that share a home slot (same client and port, other virtual address) are all found and removable', () => {
  const ix = new ConnKeyIndex(100, SEED);
  // The hash covers only (client, cport, protocol), so these 20 keys collide on one home slot.
  for (let k = 0; k < 20; k++) ix.insert(...key(0x0a000001, 5000, 0xcb000000 + k, 80 + k), 1, k);
  assert.equal(ix.check(), 19, 'a run of 20 slots from one home');
  for (let k = 0; k < 20; k++) assert.equal(ix.find(...key(0x0a000001, 5000, 0xcb000000 + k, 80 + k), 1), k);
  // Remove from the middle of the run: later keys must move back and stay findable.
  for (const k of [10, 0, 19, 5]) assert.equal(ix.remove(0x0a000001, 5000, 1, k), true);
  assert.equal(ix.check(), 15);
  for (let k = 0; k < 20; k++) {
    const want = [10, 0, 19, 5].includes(k) ? -1 : k;
    assert.equal(ix.find(...key(0x0a000001, 5000, 0xcb000000 + k, 80 + k), 1), want);
  }
  assert.equal(ix.remove(0x0a000001, 5000, 1, 10), false, 'a removed entry is gone');
  assert.equal(ix.find(...key(0x0a000001, 5000, 0xcb000000 + 3, 83), 2), -1, 'protocol code must match');
});

test('equal keys are found newest first, and removing the newest uncovers the older one', () => {
  const ix = new ConnKeyIndex(100, SEED);
  const k = key(0x0a000002, 1234, 0xcb000001, 443);
  ix.insert(...k, 1, 7);
  ix.insert(...key(0x0a000002, 1234, 0xcb000009, 443), 1, 8); // a neighbour with the same home
  ix.insert(...k, 1, 9);
  ix.insert(...k, 1, 11);
  assert.equal(ix.find(...k, 1), 11);
  ix.remove(0x0a000002, 1234, 1, 11);
  assert.equal(ix.find(...k, 1), 9);
  ix.remove(0x0a000002, 1234, 1, 7); // removing the oldest leaves the newer one first
  assert.equal(ix.find(...k, 1), 9);
  ix.remove(0x0a000002, 1234, 1, 9);
  assert.equal(ix.find(...k, 1), -1);
  assert.equal(ix.find(...key(0x0a000002, 1234, 0xcb000009, 443), 1), 8);
  ix.check();
});

test('a cluster that wraps past the last slot keeps working through removal', () => {
  const ix = new ConnKeyIndex(1, SEED);
  const n = ix.n;
  // Find client addresses whose home is the last slot.
  const at: number[] = [];
  for (let a = 1; at.length < 4; a++) if (ix.home(ix.hash(a, 7, 1)) === n - 1) at.push(a);
  for (const [k, a] of at.entries()) ix.insert(...key(a, 7, 1, 1), 1, k);
  const slots = at.map((a, k) => ix.slotOf(a, 7, 1, k));
  assert.deepEqual(slots, [n - 1, 0, 1, 2]);
  ix.remove(at[0] as number, 7, 1, 0);
  assert.deepEqual(
    at.slice(1).map((a, k) => ix.slotOf(a, 7, 1, k + 1)),
    [n - 1, 0, 1],
    'each later entry moved back one slot, across the end',
  );
  assert.equal(ix.slots[(2 << 2) + 3], 0, 'the freed slot at the end of the run is empty');
  ix.check();
});

test('the index grows past its load limit and keeps every key, with equal keys still newest first', () => {
  const ix = new ConnKeyIndex(1, SEED);
  const first = ix.n;
  for (let k = 0; k < 20_000; k++) ix.insert(...key(0x0a000000 + (k >>> 3), 1000 + (k & 7), 1, 80), 1, k);
  ix.insert(...key(0x0a000000, 1000, 1, 80), 1, 20_000); // duplicate of key 0, newer
  assert.ok(ix.n > first);
  assert.ok(ix.used <= ix.n * MAX_LOAD);
  assert.ok(ix.used > (ix.n * MAX_LOAD) / 1.5, 'growth is by at most 1.5×');
  ix.check();
  for (let k = 1; k < 20_000; k += 7) {
    assert.equal(ix.find(...key(0x0a000000 + (k >>> 3), 1000 + (k & 7), 1, 80), 1), k);
  }
  assert.equal(ix.find(...key(0x0a000000, 1000, 1, 80), 1), 20_000);
  ix.resize(slotsFor(ix.n + 1));
  assert.equal(ix.find(...key(0x0a000000, 1000, 1, 80), 1), 20_000, 'order survives a rebuild');
  ix.remove(0x0a000000, 1000, 1, 20_000);
  assert.equal(ix.find(...key(0x0a000000, 1000, 1, 80), 1), 0);
});

/** Occupied slot numbers and the summed distance from home; both are independent of insertion order. */
function layout(ix: ConnKeyIndex): { occupied: number[]; displacement: number } {
  const occupied: number[] = [];
  let displacement = 0;
  for (let s = 0; s < ix.n; s++) {
    const w3 = ix.slots[(s << 2) + 3] as number;
    if (w3 === 0) continue;
    occupied.push(s);
    const h = ix.home(
      ix.hash(ix.slots[s << 2] as number, (ix.slots[(s << 2) + 2] as number) >>> 16, (w3 >>> 28) & 3),
    );
    displacement += s >= h ? s - h : s + ix.n - h;
  }
  return { occupied, displacement };
}

test('deletion leaves no tombstones: after heavy churn the layout is that of a fresh table and then every slot empties', () => {
  const ix = new ConnKeyIndex(4096, SEED);
  const fresh = new ConnKeyIndex(4096, SEED);
  const live = new Set<number>();
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 2000; k++) {
      ix.insert(...key(next * 2654435761, next & 0xffff, 1, 80), 2, next);
      live.add(next++);
    }
    for (const k of [...live].slice(0, live.size - 500)) {
      assert.ok(ix.remove((k * 2654435761) | 0, k & 0xffff, 2, k));
      live.delete(k);
    }
  }
  for (const k of live) fresh.insert(...key(k * 2654435761, k & 0xffff, 1, 80), 2, k);
  assert.equal(ix.used, live.size);
  assert.equal(ix.n, fresh.n, 'churn alone never grows the table');
  ix.check();
  assert.deepEqual(
    layout(ix),
    layout(fresh),
    'same slots and probe lengths as a fresh table with the same keys',
  );
  for (const k of [...live]) ix.remove((k * 2654435761) | 0, k & 0xffff, 2, k);
  assert.ok(
    ix.slots.every((x) => x === 0),
    'every slot cleared',
  );
});

test('a conn table returns the newest of two conns with the same tuple, then the older once it is killed', () => {
  const t = new ConnTable();
  const C = w(0xc0000201);
  const a = t.create(4, 6, C, 4000, V, 80, 4, D, 80, 0, 0, 1, 1, 0);
  const b = t.create(4, 6, C, 4000, V, 80, 4, D, 81, 0, 0, 1, 1, 0);
  assert.equal(t.findIn(4, 6, C, 4000, V, 80), b);
  assert.equal(t.findOut(4, 6, D, 80, C, 4000), a, 'the reply lookup still tells them apart by dport');
  t.kill(b);
  assert.equal(t.findIn(4, 6, C, 4000, V, 80), a);
  t.checkIndex();
});

test('neutralising a template with a client port moves it in the index so it can still be freed', () => {
  const t = new ConnTable();
  const C = w(0xc0000202);
  const tpl = t.create(4, 17, C, 5060, V, 5060, 4, D, 5060, CONN_F.TEMPLATE, 0, 1, 1, 0);
  t.neutralise(tpl);
  t.checkIndex();
  t.kill(tpl);
  assert.equal(t.checkIndex(), 0);
  assert.equal(t.count, 0);
});

test('IPv6 conns whose addresses fold to the same 32 bits are told apart by the full address', () => {
  const t = new ConnTable();
  const a = w(0x20010db8, 1, 0, 5);
  // Same fold: change word 1 and compensate in word 0.
  const b0 = (0x20010db8 ^ Math.imul(1, 0x9e3779b1) ^ Math.imul(2, 0x9e3779b1)) >>> 0;
  const b = w(b0, 2, 0, 5);
  assert.equal(fold6(a[0]!, a[1]!, a[2]!, a[3]!), fold6(b[0]!, b[1]!, b[2]!, b[3]!));
  const v6 = w(0x20010db8, 0, 0, 0x100);
  const ia = t.create(6, 6, a, 7000, v6, 443, 6, w(0x20010db8, 9, 0, 1), 443, 0, 0, 1, 1, 0);
  const ib = t.create(6, 6, b, 7000, v6, 443, 6, w(0x20010db8, 9, 0, 2), 443, 0, 0, 1, 1, 0);
  assert.equal(t.findIn(6, 6, a, 7000, v6, 443), ia);
  assert.equal(t.findIn(6, 6, b, 7000, v6, 443), ib);
  assert.equal(t.findOut(6, 6, w(0x20010db8, 9, 0, 1), 443, a, 7000), ia);
  assert.equal(t.findOut(6, 6, w(0x20010db8, 9, 0, 1), 443, b, 7000), -1);
  const tpl = t.create(6, 6, b, 0, v6, 443, 6, w(0x20010db8, 9, 0, 2), 443, CONN_F.TEMPLATE, 0, 1, 1, 0);
  assert.equal(t.findTemplate(6, 6, b, v6, 443), tpl);
  assert.equal(t.findTemplate(6, 6, a, v6, 443), -1);
  t.kill(ia);
  assert.equal(t.findIn(6, 6, a, 7000, v6, 443), -1);
  assert.equal(t.findIn(6, 6, b, 7000, v6, 443), ib);
  t.checkIndex();
});

test('a sweep removes exactly the dead entries and leaves a valid index with equal keys newest first', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ c: fc.nat(15), p: fc.nat(3), v: fc.nat(2), dead: fc.boolean() }), {
        minLength: 1,
        maxLength: 600,
      }),
      (rows) => {
        const ix = new ConnKeyIndex(1, SEED); // grows while filling, and wraps clusters often
        const alive = new Uint8Array(rows.length);
        rows.forEach((r, k) => {
          ix.insert(...key(r.c, r.p, r.v, 80), 1, k);
          alive[k] = r.dead ? 0 : 1;
        });
        const freed = ix.sweep(alive, 1, 0, 1);
        assert.equal(freed, rows.filter((r) => r.dead).length);
        ix.check();
        for (const r of rows) {
          let want = -1;
          rows.forEach((x, k) => {
            if (!x.dead && x.c === r.c && x.p === r.p && x.v === r.v) want = k;
          });
          assert.equal(ix.find(...key(r.c, r.p, r.v, 80), 1), want);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('mass expiry (the sweep path) frees the due conns and keeps the others findable', () => {
  const t = new ConnTable({ initialCapacity: 16 });
  const kept: number[] = [];
  for (let k = 0; k < 4000; k++) {
    const i = t.create(4, 6, w(0x0a000000 + (k >>> 2)), 1000 + (k & 3), V, 80, 4, D, 80, 0, 0, 1, 1, 0);
    if (k % 4 === 0) {
      t.setTimeoutSecs(i, 60);
      t.touch(i, 0);
      kept.push(k);
    }
  }
  assert.equal(t.expire(3000), 3000);
  assert.equal(t.checkIndex() >= 0, true);
  for (let k = 0; k < 4000; k++) {
    const found = t.findIn(4, 6, w(0x0a000000 + (k >>> 2)), 1000 + (k & 3), V, 80) >= 0;
    assert.equal(found, k % 4 === 0, `conn ${k}`);
  }
  assert.equal(t.expire(60_000), 1000);
  assert.equal(t.checkIndex(), 0);
});

test('FULLNAT local-address lookups keep working as the local hash grows past its first 1024 buckets', () => {
  const t = new ConnTable();
  const l = w(0xc0000264);
  const idx: number[] = [];
  for (let k = 0; k < 5000; k++) {
    const i = t.create(4, 6, w(0x0a000000 + k), 40000, V, 80, 4, D, 8080, 0, 0, 1, 1, 0);
    t.setLocal(i, l, 1024 + k);
    idx.push(i);
  }
  for (let k = 0; k < 5000; k += 7) assert.equal(t.findOutLocal(6, D, 8080, l, 1024 + k), idx[k]);
  t.kill(idx[7] as number);
  assert.equal(t.findOutLocal(6, D, 8080, l, 1024 + 7), -1);
  assert.equal(t.findOutLocal(6, D, 8080, l, 1024 + 14), idx[14]);
  assert.equal(t.localCount, 4999);
});

test('the home slot is floor(hash × n / 2^32) for every hash and table size up to 2^28 slots', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 2 ** 28 }),
      (h, x) => {
        const ix = new ConnKeyIndex(16, SEED);
        ix.n = slotsFor(x);
        assert.equal(ix.home(h), Math.floor(((h >>> 0) * ix.n) / 2 ** 32));
      },
    ),
    { numRuns: 2000 },
  );
});
