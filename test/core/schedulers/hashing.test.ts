/** sh, dh and mh: table shapes, keys, availability and the fallback / port flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dest } from '../../../src/core/dest.js';
import type { DhScheduler } from '../../../src/core/schedulers/dh.js';
import { foldBytes, hash32 } from '../../../src/core/schedulers/hash.js';
import { MH_PRIMES, type MhScheduler } from '../../../src/core/schedulers/mh.js';
import type { ShScheduler } from '../../../src/core/schedulers/sh.js';
import { SCHED_F } from '../../../src/core/types.js';
import { destConfig, tcp } from '../../helpers/table.js';
import { build, bytes, load, pick, pkt } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const addrs = (xs: (Dest | null)[]) => xs.map((d) => d?.addr ?? '-');

test('sh fills 256 buckets walking the list, max(weight, 1) consecutive buckets per dest', () => {
  const b = build('sh', [
    { addr: A, weight: 2 },
    { addr: B, weight: 0 },
    { addr: C, weight: 1 },
  ]);
  const buckets = addrs((b.svc.sched as ShScheduler).buckets);
  assert.deepEqual(buckets.slice(0, 8), [A, A, B, C, A, A, B, C]);
  assert.equal(buckets.length, 256);
});

test('sh picks by hash_32(source address, 8); weight 0 or OVERLOAD gives no dest without sh-fallback', () => {
  const b = build('sh', [
    { addr: A, weight: 1, u: 1 },
    { addr: B, weight: 0 },
    { addr: C, weight: 1 },
  ]);
  const buckets = addrs((b.svc.sched as ShScheduler).buckets);
  for (let i = 1; i < 40; i++) {
    const src = `172.16.0.${i}`;
    const want = buckets[hash32(foldBytes(bytes(src)), 8)] as string;
    assert.equal(pick(b, pkt(src)), want === B ? '-' : want);
  }
  load(b.by[A]!, 1);
  const src = Array.from({ length: 200 }, (_, i) => `172.16.1.${i + 1}`).find(
    (s) => buckets[hash32(foldBytes(bytes(s)), 8)] === A,
  ) as string;
  assert.equal(pick(b, pkt(src)), '-');
});

test('sh-fallback probes (offset + ihash) + ihash and returns the first available dest', () => {
  const b = build('sh', [{ addr: A }, { addr: B, weight: 0 }, { addr: C }], { flags: SCHED_F.SH_FALLBACK });
  const buckets = addrs((b.svc.sched as ShScheduler).buckets);
  for (let i = 1; i < 60; i++) {
    const src = `172.16.2.${i}`;
    const h = hash32(foldBytes(bytes(src)), 8);
    let want = buckets[h] as string;
    if (want === B) {
      for (let off = 0; off < 256; off++) {
        const c = buckets[(((off + h) & 255) + h) & 255] as string;
        if (c !== B) {
          want = c;
          break;
        }
      }
    }
    assert.equal(pick(b, pkt(src)), want);
  }
});

test('sh-port adds the source port for TCP/UDP/SCTP only', () => {
  const b = build('sh', [{ addr: A }, { addr: B }, { addr: C }], { flags: SCHED_F.SH_PORT });
  const buckets = addrs((b.svc.sched as ShScheduler).buckets);
  const src = '172.16.3.1';
  for (const port of [1000, 1001, 1002, 40000]) {
    assert.equal(pick(b, pkt(src, port)), buckets[hash32((port + foldBytes(bytes(src))) >>> 0, 8)]);
    assert.equal(pick(b, pkt(src, port, undefined, 1)), buckets[hash32(foldBytes(bytes(src)), 8)]);
  }
});

test('dh: one bucket per dest round-robin, keyed by the destination address; weight edits do not remap', () => {
  const b = build('dh', [{ addr: A, weight: 5 }, { addr: B }, { addr: C, u: 1 }]);
  const sch = b.svc.sched as DhScheduler;
  assert.deepEqual(addrs(sch.buckets).slice(0, 6), [A, B, C, A, B, C]);
  const dst = '198.51.100.7';
  const want = addrs(sch.buckets)[hash32(foldBytes(bytes(dst)), 8)] as string;
  assert.equal(pick(b, pkt('10.9.9.9', 1, dst)), want);
  assert.equal(pick(b, pkt('10.9.9.8', 2, dst)), want, 'the client does not matter');
  b.table.editDest(b.key, destConfig(want, 80, { weight: 0 }));
  assert.deepEqual(addrs(sch.buckets).slice(0, 3), [A, B, C]);
  assert.equal(pick(b, pkt('10.9.9.9', 1, dst)), '-');
  load(b.by[C]!, 1);
  const toC = Array.from({ length: 300 }, (_, i) => `198.51.100.${i % 250}`).find(
    (d) => addrs(sch.buckets)[hash32(foldBytes(bytes(d)), 8)] === C,
  ) as string;
  assert.equal(pick(b, pkt('10.9.9.9', 1, toC)), '-', 'OVERLOAD');
});

test('mh fills all M slots in proportion to last_weight (A then B claims per round)', () => {
  const b = build('mh', [
    { addr: A, weight: 1 },
    { addr: B, weight: 3 },
  ]);
  const sch = b.svc.sched as MhScheduler;
  assert.equal(sch.size, 4093);
  const n = addrs(sch.lookup);
  assert.equal(n.filter((x) => x === A).length, 1024);
  assert.equal(n.filter((x) => x === B).length, 3069);
});

test('mh keeps a quiesced dest in its slots: its clients get none, or another dest with mh-fallback', () => {
  const b = build('mh', [{ addr: A }, { addr: B }, { addr: C }]);
  const sch = b.svc.sched as MhScheduler;
  const before = addrs(sch.lookup);
  const clients = Array.from({ length: 60 }, (_, i) => `172.16.4.${i + 1}`);
  const owner = clients.map((c) => pick(b, pkt(c)));
  b.table.editDest(b.key, destConfig(B, 80, { weight: 0 }));
  assert.deepEqual(addrs(sch.lookup), before, 'last_weight keeps the table');
  clients.forEach((c, i) => {
    assert.equal(pick(b, pkt(c)), owner[i] === B ? '-' : owner[i]);
  });
  const fb = build('mh', [{ addr: A }, { addr: B }, { addr: C }], { flags: SCHED_F.MH_FALLBACK });
  fb.table.editDest(fb.key, destConfig(B, 80, { weight: 0 }));
  const moved = clients.map((c) => pick(fb, pkt(c)));
  clients.forEach((_, i) => {
    if (owner[i] !== B) assert.equal(moved[i], owner[i], 'other clients stay put');
    else assert.ok(moved[i] === A || moved[i] === C);
  });
  assert.ok(owner.includes(B));
});

test('mh-port spreads one client over dests by source port', () => {
  const b = build('mh', [{ addr: A }, { addr: B }, { addr: C }], { flags: SCHED_F.MH_PORT });
  const seen = new Set<string>();
  for (let port = 1000; port < 1040; port++) seen.add(pick(b, pkt('172.16.5.1', port)));
  assert.equal(seen.size, 3);
  const plain = build('mh', [{ addr: A }, { addr: B }, { addr: C }]);
  const one = new Set<string>();
  for (let port = 1000; port < 1040; port++) one.add(pick(plain, pkt('172.16.5.1', port)));
  assert.equal(one.size, 1);
});

test('mh table size must be one of the kernel primes (ERR_LVS_INVALID otherwise)', () => {
  assert.throws(() => build('mh', [], { mhTableSize: 4000 }), { code: 'ERR_LVS_INVALID' });
  for (const m of [251, 65521]) {
    const b = build('mh', [{ addr: A }], { mhTableSize: m });
    assert.equal((b.svc.sched as MhScheduler).size, m);
    assert.ok((b.svc.sched as MhScheduler).lookup.every((d) => d?.addr === A));
  }
  assert.equal(MH_PRIMES.length, 10);
});

test('mh with no weighted dest (all last_weight 0) has an empty table', () => {
  const b = build('mh', [{ addr: A, weight: 0 }]);
  assert.ok((b.svc.sched as MhScheduler).lookup.every((d) => d === null));
  assert.equal(pick(b), '-');
});

test('hash schedulers also work for IPv6 services (address folded by XOR of 32-bit words)', () => {
  const key = tcp('2001:db8::1', 80);
  const b = build('sh', [{ addr: '2001:db8::a' }, { addr: '2001:db8::b' }], { key });
  const buckets = addrs((b.svc.sched as ShScheduler).buckets);
  const src = '2001:db8:1::77';
  assert.equal(pick(b, pkt(src, 1, '2001:db8::1')), buckets[hash32(foldBytes(bytes(src)), 8)]);
});
