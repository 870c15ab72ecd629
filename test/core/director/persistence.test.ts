import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connViews } from '../../../src/core/conn-views.js';
import { VERDICT } from '../../../src/core/director.js';
import { FWD, PROTO } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, udp } from '../../helpers/table.js';
import { F, pkt, testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const A = '198.51.100.1';
const B = '198.51.100.2';

function persistent(netmask = '255.255.255.255', timeout = 360) {
  const d = testDirector();
  d.table.addService(tcp(VIP, 443), svcConfig({ scheduler: 'rr', flags: 1, timeout, netmask }));
  const a = d.table.addDest(tcp(VIP, 443), destConfig(A, 443, { fwd: FWD.MASQ }));
  const b = d.table.addDest(tcp(VIP, 443), destConfig(B, 443, { fwd: FWD.MASQ }));
  return { d, a, b };
}
const syn = (src: string, sport: number, port = 443) => pkt('tcp', src, sport, VIP, port, { flags: F.SYN });
const daddrOf = (d: ReturnType<typeof testDirector>, i: number) => d.destOf(i)?.addr;

test('the same client reaches the same dest for every new conn within the persistence timeout', () => {
  const { d, a, b } = persistent();
  const first = daddrOf(d, d.inPacket(syn('192.0.2.1', 1000), 0));
  for (let k = 1; k < 6; k++)
    assert.equal(daddrOf(d, d.inPacket(syn('192.0.2.1', 1000 + k), k * 1000)), first);
  const other = daddrOf(d, d.inPacket(syn('192.0.2.2', 1000), 0));
  assert.notEqual(other, first, 'rr gave another client the other dest');
  assert.equal(a.persistConns + b.persistConns, 2);
  const tpl = connViews(d, 0).filter((c) => c.template);
  assert.equal(tpl.length, 2);
  assert.equal(tpl[0]?.cport, 0);
  assert.equal(tpl[0]?.vport, 443);
  assert.equal(tpl[0]?.state, 'NONE');
});

test('the netmask groups clients of one network onto one template', () => {
  const { d } = persistent('255.255.255.0');
  const x = daddrOf(d, d.inPacket(syn('192.0.2.1', 1), 0));
  assert.equal(daddrOf(d, d.inPacket(syn('192.0.2.200', 1), 0)), x);
  assert.notEqual(daddrOf(d, d.inPacket(syn('192.0.3.1', 1), 0)), x);
  const tpl = connViews(d, 0).filter((c) => c.template);
  assert.deepEqual(tpl.map((t) => t.caddr).sort(), ['192.0.2.0', '192.0.3.0']);
});

test('IPv6 persistence masks the client with the prefix length', () => {
  const d = testDirector();
  const key = tcp('2001:db8::10', 443);
  d.table.addService(key, svcConfig({ scheduler: 'rr', flags: 1, timeout: 60, netmask: '64' }));
  d.table.addDest(key, destConfig('2001:db8:1::1', 443, { fwd: FWD.MASQ }));
  d.table.addDest(key, destConfig('2001:db8:1::2', 443, { fwd: FWD.MASQ }));
  const p1 = pkt('tcp', '2001:db8:5:6::1', 1, '2001:db8::10', 443, { flags: F.SYN });
  const p2 = pkt('tcp', '2001:db8:5:6:ffff::9', 1, '2001:db8::10', 443, { flags: F.SYN });
  const p3 = pkt('tcp', '2001:db8:5:7::1', 1, '2001:db8::10', 443, { flags: F.SYN });
  const x = daddrOf(d, d.inPacket(p1, 0));
  assert.equal(daddrOf(d, d.inPacket(p2, 0)), x);
  assert.notEqual(daddrOf(d, d.inPacket(p3, 0)), x);
  assert.equal(connViews(d, 0).find((c) => c.template)?.caddr, '2001:db8:5:6::');
});

test('a template outlives its timeout while conns hang on it, then expires 60 s steps later', () => {
  const { d, a, b } = persistent('255.255.255.255', 100);
  const i = d.inPacket(syn('192.0.2.1', 1), 0);
  d.inPacket(pkt('tcp', '192.0.2.1', 1, VIP, 443, { flags: F.ACK }), 0); // ESTABLISHED, 900 s
  const tplAt = (now: number) => connViews(d, now).find((c) => c.template);
  assert.equal(tplAt(0)?.expiresMs, 100_000);
  assert.equal(tplAt(0)?.state, 'ASSURED', 'ESTABLISHED assures the template');
  d.tick(100_000);
  assert.equal(tplAt(100_000)?.expiresMs, 60_000, 're-armed for 60 s');
  d.tick(500_000);
  assert.ok(tplAt(500_000));
  assert.equal(a.persistConns + b.persistConns, 1);
  d.tick(900_000); // the conn expires
  assert.equal(d.conns.kind(i), 0);
  d.tick(960_000);
  assert.equal(tplAt(960_000), undefined);
  assert.equal(a.persistConns + b.persistConns, 0);
});

test('every new conn re-arms the template with the persistence timeout', () => {
  const { d } = persistent('255.255.255.255', 100);
  d.inPacket(syn('192.0.2.1', 1), 0);
  d.inPacket(syn('192.0.2.1', 2), 50_000);
  assert.equal(connViews(d, 50_000).find((c) => c.template)?.expiresMs, 100_000);
  // Ordinary packets of an existing conn do not re-arm it.
  d.inPacket(pkt('tcp', '192.0.2.1', 2, VIP, 443, { flags: F.ACK }), 60_000);
  assert.equal(connViews(d, 60_000).find((c) => c.template)?.expiresMs, 90_000);
});

test('a template of a deleted dest is neutralised and the client is rescheduled', () => {
  const { d } = persistent();
  const x = d.destOf(d.inPacket(syn('192.0.2.1', 1), 0));
  assert.ok(x);
  d.table.delDest(tcp(VIP, 443), { addr: x.addr, port: 443 }, 0);
  const y = daddrOf(d, d.inPacket(syn('192.0.2.1', 2), 1));
  assert.ok(y && y !== x.addr);
  const tpls = connViews(d, 1).filter((c) => c.template);
  assert.equal(tpls.length, 2);
  assert.ok(tpls.some((t) => t.vport === 0xffff && t.dport === 0xffff));
});

test('weight 0 keeps the template unless expire_quiescent_template is set', () => {
  const { d } = persistent();
  const x = d.destOf(d.inPacket(syn('192.0.2.1', 1), 0));
  assert.ok(x);
  d.table.editDest(tcp(VIP, 443), { ...x.config(), weight: 0 });
  assert.equal(daddrOf(d, d.inPacket(syn('192.0.2.1', 2), 1)), x.addr);
  d.setSysctl('expire_quiescent_template', 1);
  assert.notEqual(daddrOf(d, d.inPacket(syn('192.0.2.1', 3), 2)), x.addr);
});

test('fwmark templates use protocol IP and the mark as address; port-0 templates use vport 0', () => {
  const d = testDirector();
  d.table.addService({ kind: 'fwmark', af: 4, fwmark: 5 }, svcConfig({ flags: 1, timeout: 60 }));
  d.table.addDest({ kind: 'fwmark', af: 4, fwmark: 5 }, destConfig(A, 0, { fwd: FWD.MASQ }));
  const i = d.inPacket(pkt('tcp', '192.0.2.1', 1, VIP, 8443, { flags: F.SYN, mark: 5 }), 0);
  assert.equal(d.conns.dportOf(i), 8443, 'dest port 0 keeps the packet port');
  const t = connViews(d, 0).find((c) => c.template);
  assert.equal(t?.protocol, 0);
  assert.equal(t?.vaddr, '0.0.0.5');
  assert.equal(t?.vport, 0);
  assert.equal(t?.dport, 0);

  const e = testDirector();
  e.table.addService(tcp(VIP, 0), svcConfig({ flags: 1, timeout: 60 }));
  e.table.addDest(tcp(VIP, 0), destConfig(A, 0, { fwd: FWD.MASQ }));
  const j = e.inPacket(pkt('tcp', '192.0.2.1', 1, VIP, 22, { flags: F.SYN }), 0);
  assert.ok(j >= 0);
  const t2 = connViews(e, 0).find((c) => c.template);
  assert.equal(t2?.protocol, PROTO.TCP);
  assert.equal(t2?.vport, 0);
  assert.equal(e.inPacket(pkt('tcp', '192.0.2.1', 2, VIP, 25, { flags: F.SYN }), 0) >= 0, true);
  assert.equal(connViews(e, 0).filter((c) => c.template).length, 1, 'one template covers every port');
});

test('a non-persistent port-0 service refuses to schedule', () => {
  const d = testDirector();
  d.table.addService(tcp(VIP, 0), svcConfig());
  d.table.addDest(tcp(VIP, 0), destConfig(A, 0));
  assert.equal(d.inPacket(pkt('tcp', '192.0.2.1', 1, VIP, 22, { flags: F.SYN }), 0), VERDICT.NO_DEST);
});

test('a UDP reply assures the template; UDP conns stay inactive with a 300 s timeout', () => {
  const d = testDirector();
  d.table.addService(udp(VIP, 53), svcConfig({ flags: 1, timeout: 60 }));
  const a = d.table.addDest(udp(VIP, 53), destConfig(A, 53, { fwd: FWD.MASQ }));
  const i = d.inPacket(pkt('udp', '192.0.2.1', 5000, VIP, 53), 0);
  const v = connViews(d, 0);
  assert.equal(v.find((c) => !c.template)?.state, 'UDP');
  assert.equal(v.find((c) => !c.template)?.expiresMs, 300_000);
  assert.equal(v.find((c) => c.template)?.state, 'NONE');
  assert.deepEqual([a.activeConns, a.inactConns, a.persistConns], [0, 1, 1]);
  assert.equal(d.outPacket(pkt('udp', A, 53, '192.0.2.1', 5000), 1), i);
  assert.equal(connViews(d, 1).find((c) => c.template)?.state, 'ASSURED');
  d.settings.setTimeouts(0, 0, 30);
  d.inPacket(pkt('udp', '192.0.2.1', 5000, VIP, 53), 2);
  assert.equal(connViews(d, 2).find((c) => !c.template)?.expiresMs, 30_000);
  assert.equal(a.activeConns, 0);
});
