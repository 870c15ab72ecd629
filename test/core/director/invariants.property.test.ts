import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONN_F, KIND } from '../../../src/core/conn-table.js';
import type { Dest } from '../../../src/core/dest.js';
import { Director } from '../../../src/core/director.js';
import { BUILTIN_SCHEDULERS } from '../../../src/core/schedulers/all.js';
import { FWD, type ServiceKey } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, udp } from '../../helpers/table.js';
import { F, pkt } from './helpers.js';

const VIP = '203.0.113.10';
const SERVICES: { key: ServiceKey; sched: string; flags: number; proto: 'tcp' | 'udp'; port: number }[] = [
  { key: tcp(VIP, 80), sched: 'wlc', flags: 0, proto: 'tcp', port: 80 },
  { key: tcp(VIP, 443), sched: 'rr', flags: 1, proto: 'tcp', port: 443 },
  { key: udp(VIP, 53), sched: 'lc', flags: 0, proto: 'udp', port: 53 },
  { key: udp(VIP, 123), sched: 'wrr', flags: 4, proto: 'udp', port: 123 },
];
const RS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'];
const TCP_FLAGS = [F.SYN, F.ACK, F.FIN | F.ACK, F.RST, F.SYN | F.ACK, 0x08];

type Op =
  | { t: 'add'; s: number; r: number; w: number; u: number; fwd: number }
  | { t: 'edit'; s: number; r: number; w: number; u: number }
  | { t: 'del'; s: number; r: number }
  | { t: 'in'; s: number; c: number; sport: number; f: number }
  | { t: 'out'; s: number; c: number; sport: number; r: number; f: number }
  | { t: 'time'; ms: number }
  | { t: 'sysctl'; name: 'conn_reuse_mode' | 'expire_nodest_conn' | 'expire_quiescent_template'; v: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('add' as const),
    s: fc.nat(3),
    r: fc.nat(3),
    w: fc.nat(3),
    u: fc.nat(4),
    fwd: fc.constantFrom(FWD.MASQ, FWD.DROUTE),
  }),
  fc.record({ t: fc.constant('edit' as const), s: fc.nat(3), r: fc.nat(3), w: fc.nat(3), u: fc.nat(4) }),
  fc.record({ t: fc.constant('del' as const), s: fc.nat(3), r: fc.nat(3) }),
  fc.record({
    t: fc.constant('in' as const),
    s: fc.nat(3),
    c: fc.nat(5),
    sport: fc.integer({ min: 1024, max: 1030 }),
    f: fc.nat(5),
  }),
  fc.record({
    t: fc.constant('in' as const),
    s: fc.nat(3),
    c: fc.nat(5),
    sport: fc.integer({ min: 1024, max: 1030 }),
    f: fc.constant(0),
  }),
  fc.record({
    t: fc.constant('out' as const),
    s: fc.nat(3),
    c: fc.nat(5),
    sport: fc.integer({ min: 1024, max: 1030 }),
    r: fc.nat(3),
    f: fc.nat(5),
  }),
  fc.record({
    t: fc.constant('time' as const),
    ms: fc.constantFrom(500, 5_000, 30_000, 61_000, 130_000, 400_000, 1_000_000),
  }),
  fc.record({
    t: fc.constant('sysctl' as const),
    name: fc.constantFrom(
      'conn_reuse_mode',
      'expire_nodest_conn',
      'expire_quiescent_template',
    ) as fc.Arbitrary<'conn_reuse_mode'>,
    v: fc.nat(1),
  }),
);

function allDests(d: Director): Dest[] {
  const out = new Set<Dest>(d.table.trashed());
  for (const s of d.table.list()) for (const x of s.dests) out.add(x);
  return [...out];
}

function checkInvariants(d: Director): void {
  d.flushOps();
  const dests = allDests(d);
  const known = new Set(dests.map((x) => x.id));
  const act = new Map<number, number>();
  const inact = new Map<number, number>();
  const tpl = new Map<number, number>();
  const t = d.conns;
  for (let i = 0; i < t.limit; i++) {
    if (t.kind(i) === KIND.FREE) continue;
    assert.equal(t.kind(i), KIND.LIVE, 'no one-packet conn survives');
    const id = t.destOf(i);
    assert.ok(known.has(id), `conn ${i} points at dest ${id} that is neither linked nor trashed`);
    const f = t.flagsOf(i);
    const m = f & CONN_F.TEMPLATE ? tpl : f & CONN_F.INACTIVE ? inact : act;
    m.set(id, (m.get(id) ?? 0) + 1);
    const ct = t.ctl[i] as number;
    if (!(f & CONN_F.TEMPLATE) && ct >= 0)
      assert.equal(t.kind(ct), KIND.LIVE, 'control link to a live template');
  }
  for (const x of dests) {
    assert.ok(x.activeConns >= 0 && x.inactConns >= 0 && x.persistConns >= 0, 'counts never negative');
    assert.equal(x.activeConns, act.get(x.id) ?? 0, `active of ${x.addr}`);
    assert.equal(x.inactConns, inact.get(x.id) ?? 0, `inactive of ${x.addr}`);
    assert.equal(x.persistConns, tpl.get(x.id) ?? 0, `templates of ${x.addr}`);
  }
}

test('random table edits, packets and expiry keep dest counts equal to the live conns and picks eligible', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
      const d = new Director({ schedulers: (n) => BUILTIN_SCHEDULERS[n], initialCapacity: 16 });
      for (const s of SERVICES)
        d.table.addService(s.key, svcConfig({ scheduler: s.sched, flags: s.flags, timeout: 60 }));
      let now = 0;
      for (const o of ops) {
        const s = SERVICES[(o as { s?: number }).s ?? 0] as (typeof SERVICES)[0];
        switch (o.t) {
          case 'add': {
            const svc = d.table.find(s.key);
            if (svc && !d.table.findDest(svc, { addr: RS[o.r] as string, port: s.port })) {
              const cfg = destConfig(RS[o.r] as string, s.port, {
                fwd: o.fwd as 0,
                weight: o.w,
                uThreshold: o.u,
              });
              d.table.addDest(s.key, s.proto === 'udp' ? { ...cfg } : cfg);
            }
            break;
          }
          case 'edit': {
            const svc = d.table.find(s.key);
            const x = svc && d.table.findDest(svc, { addr: RS[o.r] as string, port: s.port });
            if (x) d.table.editDest(s.key, { ...x.config(), weight: o.w, uThreshold: o.u, lThreshold: 0 });
            break;
          }
          case 'del': {
            const svc = d.table.find(s.key);
            if (svc && d.table.findDest(svc, { addr: RS[o.r] as string, port: s.port })) {
              d.table.delDest(s.key, { addr: RS[o.r] as string, port: s.port }, now);
            }
            break;
          }
          case 'in': {
            const before = new Map(allDests(d).map((x) => [x, { w: x.weight, ov: x.overloaded }]));
            const conns = d.stats.conns;
            const p = pkt(s.proto, `192.0.2.${o.c + 1}`, o.sport, VIP, s.port, { flags: TCP_FLAGS[o.f] });
            const i = d.inPacket(p, now);
            if (i >= 0 && d.stats.conns > conns && s.flags === 0) {
              const x = d.destOf(i) as Dest;
              const b = before.get(x);
              assert.ok(b && b.w > 0 && !b.ov, 'a new pick never goes to weight 0 or OVERLOAD');
            }
            break;
          }
          case 'out': {
            const p = pkt(s.proto, RS[o.r] as string, s.port, `192.0.2.${o.c + 1}`, o.sport, {
              flags: TCP_FLAGS[o.f],
            });
            d.outPacket(p, now);
            break;
          }
          case 'time':
            now += o.ms;
            d.tick(now);
            break;
          case 'sysctl':
            d.setSysctl(o.name, o.v);
            break;
        }
        checkInvariants(d);
      }
      // Everything drains once time runs far enough.
      for (let k = 0; k < 40; k++) {
        now += 60_000;
        d.tick(now);
      }
      checkInvariants(d);
      assert.equal(d.conns.count, 0);
      for (const x of allDests(d)) assert.equal(x.refs, 0);
    }),
    { numRuns: 300 },
  );
});
