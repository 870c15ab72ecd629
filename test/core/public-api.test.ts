import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as lvs from '../../src/index.js';

// Uses the package entry point only, as an embedding application would.
test('an embedder builds a service from commands and sees a SYN scheduled rr onto it', () => {
  const d = lvs.createDirector();
  const service: lvs.ServiceKey = {
    kind: 'addr',
    af: 4,
    protocol: lvs.PROTO.TCP,
    addr: '192.0.2.1',
    port: 80,
  };
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
      config: { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
    },
    { op: 'add-dest', service, dest: { ...base, addr: '198.51.100.1', port: 8080 } },
    { op: 'add-dest', service, dest: { ...base, addr: '198.51.100.2', port: 8080 } },
  ];
  for (const c of cmds) lvs.apply(d, lvs.validateCommand(c), 0);

  const p = new lvs.PacketInfo();
  p.srcAddr = lvs.ipBytes('203.0.113.9') as Uint8Array;
  p.dstAddr = lvs.ipBytes('192.0.2.1') as Uint8Array;
  p.dstPort = 80;
  p.tcpFlags = 0x02;
  p.length = 60;
  const picks: string[] = [];
  for (const sport of [40000, 40001, 40002]) {
    p.srcPort = sport;
    const idx = d.inPacket(p, 1000);
    assert.ok(idx >= 0, `verdict ${idx}`);
    picks.push(d.destOf(idx)?.addr ?? '?');
  }
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

test('every kernel scheduler is registered under its ipvsadm name', () => {
  const want = [
    'rr',
    'wrr',
    'lc',
    'wlc',
    'sed',
    'nq',
    'fo',
    'ovf',
    'twos',
    'sh',
    'dh',
    'mh',
    'lblc',
    'lblcr',
  ];
  assert.deepEqual([...lvs.schedulerNames()].sort(), [...want].sort());
});
