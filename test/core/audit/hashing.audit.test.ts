/**
 * Audit of sh, dh and mh against tables derived by hand from ip_vs_sh.c, ip_vs_dh.c and
 * ip_vs_mh.c (reassign/populate walks), and of hsiphash against the kernel's own test vector.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dest } from '../../../src/core/dest.js';
import type { DhScheduler } from '../../../src/core/schedulers/dh.js';
import { hsiphash32, hsipKey } from '../../../src/core/schedulers/hash.js';
import { type MhScheduler, mhHash } from '../../../src/core/schedulers/mh.js';
import type { ShScheduler } from '../../../src/core/schedulers/sh.js';
import { SCHED_F } from '../../../src/core/types.js';
import { destConfig } from '../../helpers/table.js';
import { build, pkt } from '../schedulers/helpers.js';

const counts = (tab: readonly (Dest | null)[]) => {
  const m: Record<string, number> = {};
  for (const d of tab) {
    const k = d ? d.addr : '-';
    m[k] = (m[k] ?? 0) + 1;
  }
  return m;
};

test('hsiphash matches lib/test_siphash.c test_vectors_hsiphash[4] (64-bit key 00..0f, input 00 01 02 03)', () => {
  // hsiphash_key_t on 64-bit: key[0] = 0x0706050403020100, key[1] = 0x0f0e0d0c0b0a0908.
  const key = { k0h: 0x07060504, k0l: 0x03020100, k1h: 0x0f0e0d0c, k1l: 0x0b0a0908 };
  assert.equal(hsiphash32(0x03020100, key), 0x88d38328);
});

test('sh: reassign gives each dest max(weight,1) consecutive buckets round the list', () => {
  const b = build('sh', [
    { addr: '10.0.0.1', weight: 3 },
    { addr: '10.0.0.2', weight: 0 },
    { addr: '10.0.0.3', weight: 2 },
  ]);
  const tab = (b.svc.sched as ShScheduler).buckets;
  // ++d_count >= weight: 3 buckets for .1, one for .2 (1 >= 0), 2 for .3; period 6, 256 = 42*6 + 4.
  assert.deepEqual(
    tab.slice(0, 12).map((d) => d?.addr.slice(-1)),
    ['1', '1', '1', '2', '3', '3', '1', '1', '1', '2', '3', '3'],
  );
  assert.deepEqual(counts(tab), { '10.0.0.1': 129, '10.0.0.2': 43, '10.0.0.3': 84 });
});

test('sh: weights summing past 256 fill the table before the list wraps', () => {
  const b = build('sh', [
    { addr: '10.0.0.1', weight: 200 },
    { addr: '10.0.0.2', weight: 100 },
  ]);
  assert.deepEqual(counts((b.svc.sched as ShScheduler).buckets), { '10.0.0.1': 200, '10.0.0.2': 56 });
});

test('sh: a weight-0 bucket gives no dest, and sh-fallback probes buckets 2h, 2h+1, ... ', () => {
  const list = [
    { addr: '10.0.0.1', weight: 3 },
    { addr: '10.0.0.2', weight: 0 },
    { addr: '10.0.0.3', weight: 2 },
  ];
  // Bucket i holds .1 for i%6 in 0..2, .2 for 3, .3 for 4..5 (previous test). Find a client whose
  // hash_32(saddr, 8) (= saddr * 0x61C88647 >> 24) lands on a .2 bucket.
  let client = '';
  let h = -1;
  for (let x = 1; x < 5000; x++) {
    const ip = `10.1.${x >> 8}.${x & 255}`;
    const v = ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
    const hh = Math.imul(v, 0x61c88647) >>> 24;
    if (hh % 6 === 3 && hh < 252) {
      client = ip;
      h = hh;
      break;
    }
  }
  assert.ok(h >= 0);
  const plain = build('sh', list);
  assert.equal(plain.svc.sched?.schedule(plain.svc, pkt(client), 0) ?? null, null);
  const fb = build('sh', list, { flags: SCHED_F.SH_FALLBACK });
  // ip_vs_sh_get_fallback: offset 0 → roffset = h → bucket (h + h) & 255, then 2h+1, ...
  const owner = (i: number) => (i % 6 <= 2 ? '10.0.0.1' : i % 6 === 3 ? '10.0.0.2' : '10.0.0.3');
  let want = '';
  for (let o = 0; o < 256 && !want; o++) {
    const a = owner((o + h + h) & 255);
    if (a !== '10.0.0.2') want = a;
  }
  assert.equal(fb.svc.sched?.schedule(fb.svc, pkt(client), 0)?.addr, want);
});

test('dh: one bucket per dest round the list, weights ignored and no rebuild on edit', () => {
  const b = build('dh', [
    { addr: '10.0.0.1', weight: 5 },
    { addr: '10.0.0.2', weight: 1 },
    { addr: '10.0.0.3', weight: 1 },
  ]);
  const tab = (b.svc.sched as DhScheduler).buckets;
  assert.deepEqual(
    tab.slice(0, 6).map((d) => d?.addr.slice(-1)),
    ['1', '2', '3', '1', '2', '3'],
  );
  assert.deepEqual(counts(tab), { '10.0.0.1': 86, '10.0.0.2': 85, '10.0.0.3': 85 });
  // No upd_dest hook in ip_vs_dh.c: a weight edit leaves the buckets alone, and a weight-0 dest
  // found by the hash means no dest.
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 0 }));
  assert.deepEqual(counts(tab), { '10.0.0.1': 86, '10.0.0.2': 85, '10.0.0.3': 85 });
  const v = 0xc0000201; // 192.0.2.1, the packet's destination
  const bucket = Math.imul(v, 0x61c88647) >>> 24;
  const expected = bucket % 3 === 0 ? null : `10.0.0.${(bucket % 3) + 1}`;
  assert.equal(b.svc.sched?.schedule(b.svc, pkt(), 0)?.addr ?? null, expected);
});

/** generate_hash_secret in ip_vs_mh.c: both words of hash1 are 2654435761, of hash2 2654446892. */
const HASH1 = hsipKey(2654435761, 2654435761);
const HASH2 = hsipKey(2654446892, 2654446892);

function mhTable(b: ReturnType<typeof build>): readonly (Dest | null)[] {
  return (b.svc.sched as MhScheduler).lookup;
}

test('mh (M = 251): equal weights split 126/125 with the list head filling first', () => {
  const b = build('mh', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }], { mhTableSize: 251 });
  assert.deepEqual(counts(mhTable(b)), { '10.0.0.1': 126, '10.0.0.2': 125 });
  // The head fills first at its offset = hsiphash(hash1, port + addr) % 251 in an empty table.
  const off = mhHash(HASH1, 0x0a000001, 80, 0) % 251;
  assert.equal(mhTable(b)[off]?.addr, '10.0.0.1');
  const skip = (mhHash(HASH2, 0x0a000001, 80, 0) % 250) + 1;
  assert.ok(skip >= 1 && skip <= 250);
});

test('mh (M = 251): turns are (w / gcd) >> rshift with IP_VS_MH_TAB_BITS = 4', () => {
  // 3:1, rshift 0 (fls(3) = 2 < 4): A A A B repeated, 251 = 62*4 + 3 → 189 / 62.
  const b = build(
    'mh',
    [
      { addr: '10.0.0.1', weight: 3 },
      { addr: '10.0.0.2', weight: 1 },
    ],
    {
      mhTableSize: 251,
    },
  );
  assert.deepEqual(counts(mhTable(b)), { '10.0.0.1': 189, '10.0.0.2': 62 });
  // 100:1, fls(100) = 7 → rshift 3: turns 12 and (0 ?: 1) = 1; 251 = 19*13 + 4 → 232 / 19.
  const c = build(
    'mh',
    [
      { addr: '10.0.0.1', weight: 100 },
      { addr: '10.0.0.2', weight: 1 },
    ],
    {
      mhTableSize: 251,
    },
  );
  assert.deepEqual(counts(mhTable(c)), { '10.0.0.1': 232, '10.0.0.2': 19 });
  // Default M = 4093 has IP_VS_MH_TAB_BITS = 6: rshift 1, turns 50 and 1; 4093 = 80*51 + 13.
  const d = build('mh', [
    { addr: '10.0.0.1', weight: 100 },
    { addr: '10.0.0.2', weight: 1 },
  ]);
  assert.deepEqual(counts(mhTable(d)), { '10.0.0.1': 4013, '10.0.0.2': 80 });
});

test('mh: an edit to weight 0 keeps last_weight (slots kept, lookups give no dest)', () => {
  const b = build('mh', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }], { mhTableSize: 251 });
  b.table.editDest(b.key, destConfig('10.0.0.2', 80, { weight: 0 }));
  assert.deepEqual(counts(mhTable(b)), { '10.0.0.1': 126, '10.0.0.2': 125 });
});

test('mh: a dest revived from the trash with weight 0 gets last_weight 0 and no slots (__ip_vs_update_dest)', () => {
  const b = build('mh', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }], { mhTableSize: 251 });
  b.table.delDest(b.key, { addr: '10.0.0.2', port: 80 }, 0);
  assert.deepEqual(counts(mhTable(b)), { '10.0.0.1': 251 });
  // "if (add || udest->weight != 0) last_weight = weight": an add always sets it, even to 0.
  const d = b.table.addDest(b.key, destConfig('10.0.0.2', 80, { weight: 0 }));
  assert.equal(d, b.by['10.0.0.2'], 'revived from the trash');
  assert.equal(d.lastWeight, 0);
  assert.deepEqual(counts(mhTable(b)), { '10.0.0.1': 251 });
});
