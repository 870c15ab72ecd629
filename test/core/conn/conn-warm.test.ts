import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConnKeyIndex } from '../../../src/core/conn-hash.js';
import { LOC_ADDR, LOC_PORT } from '../../../src/core/conn-local.js';
import { ConnTable, pcodeOf } from '../../../src/core/conn-table.js';
import { ConnWarm } from '../../../src/core/conn-warm.js';

// The batch warm-up (ConnKeyIndex.touch, ConnTable.warmIn4) must load exactly the home slot the
// lookup will probe first, and must change nothing: lookups after it answer as before.

const SEED = 0x2545f491;
const w = (a: number) => Uint32Array.from([a >>> 0, 0, 0, 0]);

test('touch reads the home slot a lookup of the same key probes first', () => {
  const ix = new ConnKeyIndex(100, SEED);
  const keys = Int32Array.from([0x0a000001, (5000 << 2) | 1]);
  const homes = new Int32Array(1);
  assert.equal(ix.touch(keys, 1, homes), 0, 'an empty table reads an empty slot');
  ix.insert(0x0a000001, 0xcb007101 | 0, (5000 << 16) | 80, 1, 41);
  // The only key sits at its home: the word read is its tag << 28 | (idx + 1).
  assert.equal(ix.touch(keys, 1, homes), (1 << 28) | 42);
  // ... and the home it reports is where findAt finds the key.
  assert.equal(ix.findAt(homes[0]!, 0x0a000001, 0xcb007101 | 0, (5000 << 16) | 80, 1), 41);
  // Same client and port, other protocol code: another home slot, still empty.
  assert.equal(ix.touch(Int32Array.from([0x0a000001, (5000 << 2) | 2]), 1, homes), 0);
});

test('warming any keys leaves every lookup and the index exactly as they were', () => {
  const conn = fc.record({
    c: fc.integer({ min: 0x0a000000, max: 0x0a00000f }),
    cport: fc.integer({ min: 1000, max: 1007 }),
    proto: fc.constantFrom(6, 17),
  });
  fc.assert(
    fc.property(fc.array(conn, { maxLength: 120 }), fc.array(conn, { maxLength: 40 }), (live, warm) => {
      const t = new ConnTable({ initialCapacity: 16 });
      t.warmEntries = true;
      const v = w(0xcb007101);
      for (const x of live)
        t.create(4, x.proto, w(x.c), x.cport, v, 80, 4, w(0xc6336401), 8080, 0, 0, 0, 0, 0);
      const probe = [...live, ...warm];
      const before = probe.map((x) => t.findIn(4, x.proto, w(x.c), x.cport, v, 80));
      const keys = new Int32Array(warm.length * 2);
      warm.forEach((x, k) => {
        keys[2 * k] = x.c | 0;
        keys[2 * k + 1] = (x.cport << 2) | pcodeOf(x.proto);
      });
      t.warmIn4(keys, warm.length);
      assert.deepEqual(
        probe.map((x) => t.findIn(4, x.proto, w(x.c), x.cport, v, 80)),
        before,
      );
      // findIn4 with any warmed key named as the hint answers as findIn for every key, and so it
      // does after more entries are created (which may resize the index and move home slots).
      const check = () => {
        for (let k = -1; k < warm.length; k++) {
          t.hintIn4(k);
          for (const x of probe)
            assert.equal(
              t.findIn4(x.proto, x.c, x.cport, 0xcb007101, 80),
              t.findIn(4, x.proto, w(x.c), x.cport, v, 80),
            );
        }
      };
      check();
      for (const x of warm)
        t.create(4, x.proto, w(x.c), x.cport, v, 80, 4, w(0xc6336401), 8080, 0, 0, 0, 0, 0);
      check();
      t.checkIndex();
    }),
    { numRuns: 100 },
  );
});

test('record warming follows warmEntries: forced on, forced off, or from warmEntriesFrom entries', () => {
  // The sink XORs the first word (flags, HASHED set) of every record warmed: it moves iff
  // records are loaded.
  const sinkAfter = (we: boolean | undefined, from: number): number => {
    const t = new ConnTable({ initialCapacity: 16 });
    t.warmEntries = we;
    t.warmEntriesFrom = from;
    for (let k = 0; k < 10; k++)
      t.create(4, 6, w(0x0a000000 + k), 1000, w(0xcb007101), 80, 4, w(1), 80, 0, 0, 0, 0, 0);
    const keys = new Int32Array(2);
    keys[0] = 0x0a000003;
    keys[1] = (1000 << 2) | pcodeOf(6);
    const s0 = t.warmSink;
    t.warmIn4(keys, 1);
    // The index word alone (tag << 28 | idx + 1) is also XORed in; take it out.
    return t.warmSink ^ s0;
  };
  const indexOnly = sinkAfter(false, 0);
  assert.notEqual(sinkAfter(true, 1 << 30), indexOnly, 'forced on warms below the threshold');
  assert.equal(sinkAfter(false, 0), indexOnly);
  assert.equal(sinkAfter(undefined, 11), indexOnly, 'below warmEntriesFrom: index only');
  assert.notEqual(sinkAfter(undefined, 10), indexOnly, 'at warmEntriesFrom: records too');
});

test('record warming is skipped for a batch that visits entries in creation order and kept for a shuffled one', () => {
  const t = new ConnTable({ initialCapacity: 512 });
  t.warmEntriesFrom = 0;
  const n = 256;
  for (let k = 0; k < n; k++)
    t.create(4, 6, w(0x0a000000 + k), 1000, w(0xcb007101), 80, 4, w(1), 80, 0, 0, 0, 0, 0);
  const keysOf = (order: number[]): Int32Array => {
    const keys = new Int32Array(2 * order.length);
    order.forEach((k, j) => {
      keys[2 * j] = 0x0a000000 + k;
      keys[2 * j + 1] = (1000 << 2) | pcodeOf(6);
    });
    return keys;
  };
  const inOrder = Array.from({ length: n }, (_, k) => k);
  // A fixed shuffle (LCG), so the run is reproducible.
  const shuffled = [...inOrder];
  let r = 12345;
  for (let i = n - 1; i > 0; i--) {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    const j = r % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const warmed = (order: number[]): number => {
    t.warmEntries = undefined;
    t.warmIn4(keysOf(order), order.length);
    return t.lastRecordsWarmed;
  };
  assert.equal(warmed(inOrder), 0, 'creation order: index only');
  // Every key's entry is found (at home or a few slots on) and its record loaded.
  assert.equal(warmed(shuffled), n, 'shuffled: records too');
});

test('the record warm-up loads both ends of each found key hot record and the head of its FULLNAT record', () => {
  // A 32-byte record straddles two cache lines whenever the buffer is not 32-byte aligned (malloc
  // gives 16), so loading word 0 alone would leave the record's second half cold for half the
  // entries; the fast path reads the FULLNAT record's port and IPv4 address, which lead it.
  assert.ok(
    (LOC_PORT + 1) * 4 <= 8 && (LOC_ADDR + 1) * 4 <= 8,
    'lport and the IPv4 LIP in the first 8 bytes',
  );
  const ix = new ConnKeyIndex(100, SEED);
  const idx = [3, 17, 40];
  for (const [k, i] of idx.entries())
    ix.insert(0x0a000001 + k, 0xcb007101 | 0, ((5000 + k) << 16) | 80, 1, i);
  const keys = new Int32Array(8);
  for (let k = 0; k < 4; k++) {
    keys[2 * k] = 0x0a000001 + k; // the fourth key is not in the index: nothing to load for it
    keys[2 * k + 1] = ((5000 + k) << 2) | 1;
  }
  const readsOf = (a: Int32Array, seen: number[]): Int32Array =>
    new Proxy(a, {
      get(t, p) {
        if (typeof p === 'string' && /^\d+$/.test(p)) seen.push(Number(p));
        return Reflect.get(t, p);
      },
    });
  const recReads: number[] = [];
  const locReads: number[] = [];
  const warm = new ConnWarm();
  warm.entries = true;
  warm.warmIn4(
    ix,
    keys,
    4,
    64,
    readsOf(new Int32Array(64 * 8), recReads),
    8,
    readsOf(new Int32Array(64 * 8), locReads),
    8,
    1,
  );
  assert.equal(warm.lastRecords, 3);
  assert.deepEqual(
    recReads,
    idx.flatMap((i) => [i * 8, i * 8 + 7]),
  );
  assert.deepEqual(
    locReads,
    idx.map((i) => i * 8),
  );
});
