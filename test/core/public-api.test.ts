import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as lvs from '../../src/index.js';

// Uses the package entry point only, as an embedding application would.

/** A TCP service key on `addr`:80. */
function tcp80(addr: string): lvs.ServiceKey {
  return { kind: 'addr', af: 4, protocol: lvs.PROTO.TCP, addr, port: 80 };
}

/** Adds the service with `scheduler`, then one NAT dest on port 8080 per address, in order. */
function build(d: lvs.Director, service: lvs.ServiceKey, scheduler: string, addrs: string[]): void {
  const base = {
    af: 4 as const,
    fwd: lvs.FWD.MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
  };
  const cmds: lvs.Command[] = [
    {
      op: 'add-service',
      service,
      config: { scheduler, flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
    },
    ...addrs.map((addr): lvs.Command => ({ op: 'add-dest', service, dest: { ...base, addr, port: 8080 } })),
  ];
  for (const c of cmds) lvs.apply(d, lvs.validateCommand(c), 0);
}

/** Sends one SYN to `vip`:80 per source port at t=1000 ms; returns the chosen dest addresses. */
function synPicks(d: lvs.Director, vip: string, sports: number[]): string[] {
  const p = new lvs.PacketInfo();
  p.srcAddr = lvs.ipBytes('203.0.113.9') as Uint8Array;
  p.dstAddr = lvs.ipBytes(vip) as Uint8Array;
  p.dstPort = 80;
  p.tcpFlags = 0x02;
  p.length = 60;
  return sports.map((sport) => {
    p.srcPort = sport;
    const idx = d.inPacket(p, 1000);
    assert.ok(idx >= 0, `verdict ${idx}`);
    return d.destOf(idx)?.addr ?? '?';
  });
}

test('an embedder builds a service from commands and sees a SYN scheduled rr onto it', () => {
  const d = lvs.createDirector();
  build(d, tcp80('192.0.2.1'), 'rr', ['198.51.100.1', '198.51.100.2']);
  const picks = synPicks(d, '192.0.2.1', [40000, 40001, 40002]);
  // rr walks the list from its head, the most recently added dest (ip_vs_rr.c).
  assert.deepEqual(picks, ['198.51.100.2', '198.51.100.1', '198.51.100.2']);

  const [view] = lvs.serviceViews(d.table);
  assert.equal(view?.stats.conns, 3);
  assert.deepEqual(
    view?.dests.map((x) => [x.addr, x.inactConns + x.activeConns]),
    [
      ['198.51.100.2', 2],
      ['198.51.100.1', 1],
    ],
  );
  const conns = lvs.connViews(d, 1000);
  assert.equal(conns.length, 3);
  assert.equal(conns[0]?.state, 'SYN_RECV');
});

// The registry's contents are checked in test/core/schedulers/registry.test.ts; this checks that
// the entry point's registerScheduler feeds the directors createDirector builds.
test('a scheduler registered through the entry point schedules an embedder-built service', () => {
  const oldest: lvs.Scheduler = {
    name: 'oldest',
    init() {},
    destChanged() {},
    schedule: (svc) => svc.dests[svc.dests.length - 1] ?? null,
  };
  lvs.registerScheduler('oldest', () => oldest);
  const d = lvs.createDirector();
  build(d, tcp80('192.0.2.2'), 'oldest', ['198.51.100.1', '198.51.100.2']);
  // rr would alternate; the custom scheduler keeps the first-added dest, at the list tail.
  assert.deepEqual(synPicks(d, '192.0.2.2', [40000, 40001]), ['198.51.100.1', '198.51.100.1']);
  assert.equal(lvs.serviceViews(d.table)[0]?.config.scheduler, 'oldest');
});
