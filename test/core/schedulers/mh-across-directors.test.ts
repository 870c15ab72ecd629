/**
 * `mh` on a tier of directors (issue 18 point 2): two directors that build their tables on their
 * own must pick the same real server for a flow, so a flow the router moves to another director
 * lands where it was. What the kernel guarantees, and what it does not:
 * - ip_vs_mh_permutate() gives each dest offset and skip from hsiphash of its address and port
 *   under fixed keys (generate_hash_secret()), so they are the same on every director;
 * - ip_vs_mh_populate() then walks svc->destinations in list order, each dest claiming its next
 *   free preferred slot in turn; __ip_vs_update_dest() (ip_vs_ctl.c) puts a new dest at the list
 *   head (list_add_rcu). So the table depends on the order of the list: directors whose dests were
 *   added in the same order build the same table whatever else happened (weights changed and
 *   restored, a dest quiesced, another added and deleted), and directors that added them in a
 *   different order differ in the few slots where two dests' preferences collide. We keep the
 *   kernel's walk (tables match a kernel's bit for bit); the tests below pin both facts down.
 * - mh-fallback and mh-port (ip_vs_mh_get_fallback(), ip_vs_mh_schedule()) only read the table
 *   and the packet, so directors with the same table agree on them too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Dest } from '../../../src/core/dest.js';
import type { MhScheduler } from '../../../src/core/schedulers/mh.js';
import { SCHED_F } from '../../../src/core/types.js';
import { destConfig } from '../../helpers/table.js';
import { type Built, build, type D, pick, pkt } from './helpers.js';

const RS = ['192.0.2.21', '192.0.2.22', '192.0.2.23', '192.0.2.24'];
const table = (b: Built): string[] =>
  (b.svc.sched as MhScheduler).lookup.map((d: Dest | null) => d?.addr ?? '-');

/** `n` client flows (address and port), the same on every call. */
function flows(n: number): { src: string; port: number }[] {
  return Array.from({ length: n }, (_, i) => ({
    src: `203.0.113.${(i % 250) + 1}`,
    port: 1024 + ((i * 7919) % 60000),
  }));
}

/** How many of `fs` the two directors send to different real servers. */
function disagreements(a: Built, b: Built, fs: { src: string; port: number }[]): number {
  return fs.filter((f) => pick(a, pkt(f.src, f.port)) !== pick(b, pkt(f.src, f.port))).length;
}

test('mh: two directors with the same dest order build the same table and pick the same real server for every flow, whatever their histories', () => {
  const list: D[] = RS.map((addr, i) => ({ addr, weight: i + 1 }));
  const a = build('mh', list, { flags: SCHED_F.MH_PORT });
  // Director B got there another way: the scheduler set after the dests, a fifth dest added and
  // deleted, weights changed and restored, one dest quiesced (keepalived's inhibit_on_failure) and
  // brought back.
  const b = build('mh', list, { flags: SCHED_F.MH_PORT, viaEdit: true });
  b.table.addDest(b.key, destConfig('192.0.2.99', 80, { weight: 5 }));
  b.table.editDest(b.key, destConfig(RS[1] as string, 80, { weight: 9 }));
  b.table.delDest(b.key, { addr: '192.0.2.99', port: 80 }, 0);
  b.table.editDest(b.key, destConfig(RS[1] as string, 80, { weight: 2 }));
  b.table.editDest(b.key, destConfig(RS[2] as string, 80, { weight: 0 }));
  b.table.editDest(b.key, destConfig(RS[2] as string, 80, { weight: 3 }));
  assert.deepEqual(table(b), table(a));
  assert.equal(disagreements(a, b, flows(5000)), 0);
});

test('mh: a dest quiesced on both directors (weight 0) keeps its slots, and mh-fallback moves its flows to the same other dest on both', () => {
  const list: D[] = RS.map((addr) => ({ addr }));
  const a = build('mh', list, { flags: SCHED_F.MH_FALLBACK });
  const b = build('mh', list, { flags: SCHED_F.MH_FALLBACK });
  const fs = flows(3000);
  const before = fs.map((f) => pick(a, pkt(f.src, f.port)));
  for (const d of [a, b]) d.table.editDest(d.key, destConfig(RS[0] as string, 80, { weight: 0 }));
  assert.deepEqual(table(a), table(b));
  let moved = 0;
  fs.forEach((f, i) => {
    const pa = pick(a, pkt(f.src, f.port));
    assert.equal(pick(b, pkt(f.src, f.port)), pa);
    if (before[i] === RS[0]) {
      assert.notEqual(pa, RS[0]);
      assert.notEqual(pa, '-');
      moved++;
    } else assert.equal(pa, before[i], 'a flow of another dest stays put');
  });
  assert.ok(moved > 500, `only ${moved} flows were on the quiesced dest`);
  // Without mh-fallback both directors drop those flows (ip_vs_mh_get(): an unavailable dest is none).
  const c = build('mh', list);
  c.table.editDest(c.key, destConfig(RS[0] as string, 80, { weight: 0 }));
  fs.forEach((f, i) => {
    if (before[i] === RS[0]) assert.equal(pick(c, pkt(f.src, f.port)), '-');
  });
});

test('mh-port: both directors hash the client port too, and agree on every (address, port)', () => {
  const list: D[] = RS.map((addr) => ({ addr }));
  const a = build('mh', list, { flags: SCHED_F.MH_PORT });
  const b = build('mh', list, { flags: SCHED_F.MH_PORT });
  const seen = new Set<string>();
  for (let port = 40000; port < 40200; port++) {
    const pa = pick(a, pkt('203.0.113.9', port));
    assert.equal(pick(b, pkt('203.0.113.9', port)), pa);
    seen.add(pa);
  }
  assert.equal(seen.size, RS.length, 'one client spreads over every dest by port');
});

test('mh: dests added in another order give a table that differs in a few slots, as the kernel list walk does', () => {
  const list: D[] = RS.map((addr) => ({ addr }));
  const a = build('mh', list);
  const b = build('mh', [...list].reverse());
  const ta = table(a);
  const tb = table(b);
  const diff = ta.filter((x, i) => x !== tb[i]).length;
  // Each dest still holds its share (1023 or 1024 of 4093), only colliding slots change owner.
  assert.ok(diff > 0, 'the kernel table depends on the list order');
  assert.ok(diff < ta.length / 100, `${diff} of ${ta.length} slots differ`);
  const fs = flows(20000);
  const off = disagreements(a, b, fs);
  assert.ok(off > 0 && off < fs.length / 100, `${off} of ${fs.length} flows disagree`);
  // A dest deleted and added again goes to the list head (list_add_rcu), so the order, and with
  // it a few slots, can change on one director: a tier should quiesce (weight 0) rather than delete.
  const c = build('mh', list);
  c.table.delDest(c.key, { addr: RS[3] as string, port: 80 }, 0);
  c.table.addDest(c.key, destConfig(RS[3] as string, 80, { weight: 1 }));
  assert.deepEqual(
    c.svc.dests.map((d) => d.addr),
    [RS[3], RS[0], RS[1], RS[2]],
  );
  assert.notDeepEqual(table(c), ta);
});

test('mh property: any dest set added in the same order on two directors gives equal tables, whatever weight edits B made and undid in between', () => {
  const dest = fc.record({
    host: fc.integer({ min: 1, max: 254 }),
    port: fc.integer({ min: 1, max: 65535 }),
    weight: fc.integer({ min: 1, max: 300 }),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(dest, { minLength: 1, maxLength: 8, selector: (d) => `${d.host}:${d.port}` }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 300 })), { maxLength: 6 }),
      (ds, edits) => {
        const list: D[] = ds.map((d) => ({ addr: `198.51.100.${d.host}`, port: d.port, weight: d.weight }));
        const a = build('mh', list, { mhTableSize: 251 });
        const b = build('mh', list, { mhTableSize: 251 });
        // B's weight edits (a quiesce among them), then its weights set back.
        for (const [k, w] of edits) {
          const d = list[k % list.length] as D;
          b.table.editDest(b.key, destConfig(d.addr, d.port ?? 80, { weight: w }));
        }
        for (const d of list)
          b.table.editDest(b.key, destConfig(d.addr, d.port ?? 80, { weight: d.weight ?? 1 }));
        assert.deepEqual(table(b), table(a));
      },
    ),
    { numRuns: 60 },
  );
});
