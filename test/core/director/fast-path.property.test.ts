import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseIPv4 } from '../../../src/core/addr.js';
import type { Dest } from '../../../src/core/dest.js';
import { Director, FAST_MISS } from '../../../src/core/director.js';
import { BUILTIN_SCHEDULERS } from '../../../src/core/schedulers/all.js';
import { FWD, type ServiceKey } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, udp } from '../../helpers/table.js';
import { F, pkt } from './helpers.js';

// inPacket4/outPacket4 (falling back to inPacket/outPacket on FAST_MISS, as the engine does) must
// leave a director exactly as inPacket/outPacket leave a twin fed the same packets.

const VIP = '203.0.113.10';
const SERVICES: { key: ServiceKey; sched: string; flags: number; proto: 'tcp' | 'udp'; port: number }[] = [
  { key: tcp(VIP, 80), sched: 'wlc', flags: 0, proto: 'tcp', port: 80 },
  { key: tcp(VIP, 443), sched: 'rr', flags: 1, proto: 'tcp', port: 443 },
  { key: udp(VIP, 53), sched: 'lc', flags: 0, proto: 'udp', port: 53 },
];
const RS = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
const TCP_FLAGS = [F.SYN, F.ACK, F.FIN | F.ACK, F.RST, F.SYN | F.ACK, 0x08, 0];

type Op =
  | { t: 'add'; s: number; r: number; w: number; fwd: number }
  | { t: 'del'; s: number; r: number }
  | { t: 'in'; s: number; c: number; sport: number; f: number }
  | { t: 'out'; s: number; c: number; sport: number; r: number; f: number }
  | { t: 'time'; ms: number; tick: boolean }
  | { t: 'sysctl'; name: 'conn_reuse_mode' | 'expire_nodest_conn' | 'secure_tcp'; v: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('add' as const),
      s: fc.nat(2),
      r: fc.nat(2),
      w: fc.nat(2),
      fwd: fc.constantFrom(FWD.MASQ, FWD.DROUTE),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ t: fc.constant('del' as const), s: fc.nat(2), r: fc.nat(2) }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('in' as const),
      s: fc.nat(2),
      c: fc.nat(1),
      sport: fc.integer({ min: 1024, max: 1025 }),
      f: fc.nat(TCP_FLAGS.length - 1),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('out' as const),
      s: fc.nat(2),
      c: fc.nat(1),
      sport: fc.integer({ min: 1024, max: 1025 }),
      r: fc.nat(2),
      f: fc.nat(TCP_FLAGS.length - 1),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('time' as const),
      ms: fc.constantFrom(0, 500, 5_000, 61_000, 130_000, 1_000_000),
      tick: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('sysctl' as const),
      name: fc.constantFrom(
        'conn_reuse_mode',
        'expire_nodest_conn',
        'secure_tcp',
      ) as fc.Arbitrary<'secure_tcp'>,
      v: fc.nat(2),
    }),
    weight: 1,
  },
);

function dests(d: Director): Dest[] {
  const out = new Set<Dest>(d.table.trashed());
  for (const s of d.table.list()) for (const x of s.dests) out.add(x);
  return [...out].sort((a, b) => a.id - b.id);
}

// Everything a packet may change: every entry, the dests' counts and counters, the global counters.
function snapshot(d: Director): unknown {
  d.flushOps();
  const t = d.conns;
  const entries: unknown[] = [];
  for (let i = 0; i < t.limit; i++) {
    entries.push([
      t.kind(i),
      t.stateOf(i),
      t.flagsOf(i),
      t.timeoutOf(i),
      t.expiresOf(i),
      t.inPktsOf(i),
      t.destOf(i),
      t.ctl[i],
      t.caddr[i],
      t.cport[i],
    ]);
  }
  const ds = dests(d).map((x) => [x.id, x.activeConns, x.inactConns, x.persistConns, x.refs, { ...x.stats }]);
  return { entries, ds, stats: { ...d.stats }, svc: d.table.list().map((s) => ({ ...s.stats })) };
}

test('inPacket4/outPacket4 with FAST_MISS fallback change a director exactly as inPacket/outPacket do', () => {
  let fastHits = 0;
  fc.assert(
    fc.property(fc.array(op, { minLength: 10, maxLength: 150, size: 'large' }), (ops) => {
      const mk = () => {
        const d = new Director({ schedulers: (n) => BUILTIN_SCHEDULERS[n], initialCapacity: 16 });
        for (const s of SERVICES)
          d.table.addService(s.key, svcConfig({ scheduler: s.sched, flags: s.flags, timeout: 60 }));
        return d;
      };
      const a = mk();
      const b = mk();
      let now = 0;
      for (const o of ops) {
        const s = SERVICES[(o as { s?: number }).s ?? 0] as (typeof SERVICES)[0];
        for (const d of [a, b]) {
          switch (o.t) {
            case 'add': {
              const svc = d.table.find(s.key);
              if (svc && !d.table.findDest(svc, { addr: RS[o.r] as string, port: s.port }))
                d.table.addDest(
                  s.key,
                  destConfig(RS[o.r] as string, s.port, { fwd: o.fwd as 0, weight: o.w }),
                );
              break;
            }
            case 'del': {
              const svc = d.table.find(s.key);
              if (svc && d.table.findDest(svc, { addr: RS[o.r] as string, port: s.port }))
                d.table.delDest(s.key, { addr: RS[o.r] as string, port: s.port }, now);
              break;
            }
            case 'time':
              if (d === a) now += o.ms;
              if (o.tick) d.tick(now);
              break;
            case 'sysctl':
              d.setSysctl(o.name, o.name === 'secure_tcp' ? (o.v === 0 ? 0 : 3) : Math.min(o.v, 1));
              break;
          }
        }
        if (o.t === 'in') {
          const client = `192.0.2.${o.c + 1}`;
          const f = s.proto === 'tcp' ? (TCP_FLAGS[o.f] as number) : 0;
          const p = pkt(s.proto, client, o.sport, VIP, s.port, { flags: f, len: 60 });
          const want = a.inPacket(p, now);
          const proto = s.proto === 'tcp' ? 6 : 17;
          let got = b.inPacket4(
            proto,
            parseIPv4(client) as number,
            o.sport,
            parseIPv4(VIP) as number,
            s.port,
            f,
            60,
            now,
          );
          if (got === FAST_MISS) got = b.inPacket(p, now);
          else fastHits++;
          assert.equal(got, want);
        } else if (o.t === 'out') {
          const client = `192.0.2.${o.c + 1}`;
          const rs = RS[o.r] as string;
          const f = s.proto === 'tcp' ? (TCP_FLAGS[o.f] as number) : 0;
          const p = pkt(s.proto, rs, s.port, client, o.sport, { flags: f, len: 60 });
          const want = a.outPacket(p, now);
          const proto = s.proto === 'tcp' ? 6 : 17;
          let got = b.outPacket4(
            proto,
            parseIPv4(rs) as number,
            s.port,
            parseIPv4(client) as number,
            o.sport,
            f,
            60,
            now,
          );
          if (got === FAST_MISS) got = b.outPacket(p, now);
          assert.equal(got, want);
        }
        assert.deepEqual(snapshot(b), snapshot(a));
      }
    }),
    { numRuns: 200 },
  );
  assert.ok(fastHits > 100, `the fast path was taken (${fastHits} times)`);
});

test('an established TCP conn takes the fast path; a SYN, an unknown tuple and a gone dest miss it', () => {
  const d = new Director({ schedulers: (n) => BUILTIN_SCHEDULERS[n] });
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'rr' }));
  d.table.addDest(tcp(VIP, 80), destConfig(RS[0] as string, 80, { fwd: FWD.DROUTE as 0, weight: 1 }));
  const c = parseIPv4('192.0.2.1') as number;
  const v = parseIPv4(VIP) as number;
  assert.equal(d.inPacket4(6, c, 1024, v, 80, F.SYN, 60, 0), FAST_MISS, 'a SYN may start or reschedule');
  const idx = d.inPacket(pkt('tcp', '192.0.2.1', 1024, VIP, 80, { flags: F.SYN }), 0);
  assert.ok(idx >= 0);
  assert.equal(d.inPacket4(6, c, 1024, v, 80, F.ACK, 60, 1), idx);
  assert.equal(d.inPacket4(6, c, 1025, v, 80, F.ACK, 60, 1), FAST_MISS, 'no conn');
  assert.equal(d.inPacket4(132, c, 1024, v, 80, 0, 60, 1), FAST_MISS, 'SCTP');
  d.table.delDest(tcp(VIP, 80), { addr: RS[0] as string, port: 80 }, 2);
  assert.equal(d.inPacket4(6, c, 1024, v, 80, F.ACK, 60, 3), FAST_MISS, 'dest no longer available');
});
