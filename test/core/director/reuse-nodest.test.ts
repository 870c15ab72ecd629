import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipBytes } from '../../../src/core/addr.js';
import { connViews } from '../../../src/core/conn-views.js';
import { CONN_EVENT, VERDICT } from '../../../src/core/director.js';
import { FWD } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, udp } from '../../helpers/table.js';
import { F, pkt, testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const A = '198.51.100.1';
const B = '198.51.100.2';
const CL = '192.0.2.7';

function two(fwd: number = FWD.MASQ, scheduler = 'rr') {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler }));
  const a = d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: fwd as 0 }));
  const b = d.table.addDest(tcp(VIP, 80), destConfig(B, 80, { fwd: fwd as 0 }));
  return { d, a, b };
}
const syn = (sport = 1) => pkt('tcp', CL, sport, VIP, 80, { flags: F.SYN });
const ack = (sport = 1) => pkt('tcp', CL, sport, VIP, 80, { flags: F.ACK });
const fin = (sport = 1) => pkt('tcp', CL, sport, VIP, 80, { flags: F.FIN | F.ACK });

test('conn_reuse_mode=1: a SYN reusing a port whose conn is in TIME_WAIT expires it and schedules anew', () => {
  const { d, a, b } = two();
  const i = d.inPacket(syn(), 0);
  const first = d.destOf(i);
  d.outPacket(pkt('tcp', first?.addr ?? '', 80, CL, 1, { flags: F.SYN | F.ACK }), 0);
  d.inPacket(ack(), 0);
  d.inPacket(fin(), 0);
  d.outPacket(pkt('tcp', first?.addr ?? '', 80, CL, 1, { flags: F.FIN | F.ACK }), 0);
  assert.equal(connViews(d, 0)[0]?.state, 'TIME_WAIT');
  const j = d.inPacket(syn(), 1);
  assert.notEqual(d.destOf(j), first, 'rr moved on, so the new conn went elsewhere');
  assert.equal(d.conns.count, 1);
  assert.equal(a.activeConns + b.activeConns, 1);
  assert.equal(a.inactConns + b.inactConns, 0);
  assert.equal(d.stats.conns, 2);
});

test('conn_reuse_mode=0: the SYN reuses the old conn and its dest', () => {
  const { d } = two();
  d.setSysctl('conn_reuse_mode', 0);
  const i = d.inPacket(syn(), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: 0x08 }), 0); // → CLOSE
  assert.equal(d.inPacket(syn(), 1), i);
  assert.equal(connViews(d, 1)[0]?.state, 'SYN_RECV');
  assert.equal(d.stats.conns, 1);
});

test('conn_reuse_mode bit 2 reschedules DR conns stuck in FIN_WAIT; bit 1 alone does not', () => {
  const { d } = two(FWD.DROUTE);
  const i = d.inPacket(syn(), 0);
  d.inPacket(ack(), 0);
  d.inPacket(fin(), 0);
  assert.equal(connViews(d, 0)[0]?.state, 'FIN_WAIT');
  assert.equal(d.inPacket(syn(), 1), i, 'mode 1 keeps the FIN_WAIT conn');
  d.inPacket(fin(), 1);
  d.setSysctl('conn_reuse_mode', 3);
  const j = d.inPacket(syn(), 2);
  assert.equal(d.stats.conns, 2);
  assert.equal(connViews(d, 2).length, 1);
  assert.equal(connViews(d, 2)[0]?.state, 'SYN_RECV');
  void j;
});

test('a reschedule whose packet has a confirmed conntrack is dropped (the 1-second delay)', () => {
  const { d } = two();
  d.inPacket(syn(), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: 0x08 }), 0); // no flags → CLOSE
  const p = syn();
  p.oldConntrack = true;
  assert.equal(d.inPacket(p, 1), VERDICT.DROP_RESCHED);
  assert.equal(d.conns.count, 0);
});

test('expire_nodest_conn: a SYN on a conn of a weight-0 dest is rescheduled', () => {
  const { d } = two(FWD.MASQ, 'first');
  const i = d.inPacket(syn(), 0);
  const x = d.destOf(i);
  assert.ok(x);
  d.inPacket(ack(), 0);
  d.table.editDest(tcp(VIP, 80), { ...x.config(), weight: 0 });
  assert.equal(d.inPacket(syn(), 1), i, 'without the sysctl the ESTABLISHED conn is reused');
  d.setSysctl('expire_nodest_conn', 1);
  const j = d.inPacket(syn(), 2);
  assert.notEqual(d.destOf(j), x);
});

test('a conn whose dest was deleted drops its packets, or is expired and rescheduled with expire_nodest_conn', () => {
  const { d } = two(FWD.MASQ, 'first');
  const i = d.inPacket(syn(), 0);
  const x = d.destOf(i);
  assert.ok(x);
  d.table.delDest(tcp(VIP, 80), { addr: x.addr, port: 80 }, 0);
  assert.equal(d.inPacket(ack(), 1), VERDICT.DROP);
  assert.equal(x.stats.inpkts, 1, 'nothing counted for an unavailable dest');
  d.setSysctl('expire_nodest_conn', 1);
  assert.equal(d.inPacket(ack(), 2), VERDICT.ACCEPT, 'old conn expired; an ACK cannot start a new one');
  assert.equal(x.inactConns + x.activeConns, 0);
  const j = d.inPacket(syn(), 3);
  assert.notEqual(d.destOf(j), x);
});

test('after a dest delete, tick flushes its conns when expire_nodest_conn is set', () => {
  const { d } = two(FWD.MASQ, 'first');
  d.setSysctl('expire_nodest_conn', 1);
  for (let k = 0; k < 5; k++) d.inPacket(syn(100 + k), 0);
  const x = d.destOf(
    d.conns.findIn(4, 6, Uint32Array.of(0xc0000207, 0, 0, 0), 100, Uint32Array.of(0xcb00710a, 0, 0, 0), 80),
  );
  assert.ok(x);
  d.table.delDest(tcp(VIP, 80), { addr: x.addr, port: 80 }, 0);
  d.tick(1);
  assert.equal(d.conns.count, 0);
  assert.equal(x.refs, 0);
});

test('a deleted dest keeps its conns in the trash and re-adding it revives the same dest with its counts', () => {
  const { d } = two(FWD.MASQ, 'first');
  const i = d.inPacket(syn(), 0);
  const x = d.destOf(i);
  assert.ok(x);
  d.table.delDest(tcp(VIP, 80), { addr: x.addr, port: 80 }, 0);
  assert.ok(d.table.trashed().includes(x));
  assert.equal(x.refs, 1);
  for (let t = 10_000; t <= 150_000; t += 10_000) d.tick(t); // the conn (SYN_RECV, 60 s) expires at 60 s
  assert.equal(x.refs, 0);
  const back = d.table.addDest(tcp(VIP, 80), destConfig(x.addr, 80, { fwd: FWD.MASQ }));
  assert.equal(back, x);
  assert.equal(back.stats.conns, 1);
});

test('one-packet scheduling: each UDP datagram is scheduled alone and its conn is never listed', () => {
  const d = testDirector();
  d.table.addService(udp(VIP, 53), svcConfig({ scheduler: 'rr', flags: 4 }));
  const a = d.table.addDest(udp(VIP, 53), destConfig(A, 53, { fwd: FWD.MASQ }));
  const b = d.table.addDest(udp(VIP, 53), destConfig(B, 53, { fwd: FWD.MASQ }));
  const x = d.destOf(d.inPacket(pkt('udp', CL, 5000, VIP, 53), 0));
  const y = d.destOf(d.inPacket(pkt('udp', CL, 5000, VIP, 53), 0));
  assert.ok(x && y && x !== y, 'same 5-tuple, two schedules');
  assert.equal(connViews(d, 0).length, 0);
  d.flushOps();
  assert.equal(d.conns.count, 0);
  assert.equal(a.inactConns + b.inactConns, 0);
  assert.equal(d.stats.conns, 2);
  assert.equal(d.stats.inpkts, 2);
});

test('OVERLOAD is set at the upper threshold, skipped by scheduling, and cleared below 3/4 as conns expire', () => {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'first' }));
  const b = d.table.addDest(tcp(VIP, 80), destConfig(B, 80, { fwd: FWD.MASQ }));
  const a = d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ, uThreshold: 4 }));
  for (let k = 0; k < 4; k++) assert.equal(d.destOf(d.inPacket(syn(10 + k), k * 1000)), a);
  assert.ok(a.overloaded);
  assert.equal(d.destOf(d.inPacket(syn(50), 4000)), b, 'overloaded dest skipped');
  d.tick(60_000); // first conn (SYN_RECV, 60 s) expires: total 3, 3*4 < 4*3 is false → still overloaded
  assert.equal(a.inactConns + a.activeConns, 3);
  assert.ok(a.overloaded);
  d.tick(61_000); // total 2 → 8 < 12 → cleared
  assert.ok(!a.overloaded);
  assert.equal(d.destOf(d.inPacket(syn(30), 61_001)), a);
});

test('proxy helpers: openConn schedules like a SYN and connEvent matches a NAT packet flow', () => {
  const d = testDirector();
  const svc = d.table.addService(tcp(VIP, 80), svcConfig());
  const a = d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.DROUTE }));
  const i = d.openConn(svc, ipBytes(CL) as Uint8Array, 40000, 0);
  assert.ok(i >= 0);
  assert.equal(connViews(d, 0)[0]?.state, 'SYN_RECV');
  d.connEvent(i, CONN_EVENT.ESTABLISHED, 1);
  assert.equal(connViews(d, 1)[0]?.state, 'ESTABLISHED');
  assert.equal(a.activeConns, 1);
  d.countBytes(i, 0, 1000, 2);
  d.countBytes(i, 1, 5000, 4);
  assert.deepEqual(a.stats.view(), { conns: 1, inpkts: 2, outpkts: 4, inbytes: 1000, outbytes: 5000 });
  d.connEvent(i, CONN_EVENT.CLIENT_FIN, 2);
  assert.equal(connViews(d, 2)[0]?.state, 'CLOSE_WAIT', 'proxy conns see replies, so NAT semantics apply');
  d.connEvent(i, CONN_EVENT.SERVER_FIN, 3);
  assert.equal(connViews(d, 3)[0]?.state, 'TIME_WAIT');
  assert.deepEqual([a.activeConns, a.inactConns], [0, 1]);
  const j = d.openConn(svc, ipBytes(CL) as Uint8Array, 40001, 4);
  d.connEvent(j, CONN_EVENT.SERVER_RST, 5);
  assert.equal(connViews(d, 5).find((c) => c.cport === 40001)?.state, 'CLOSE');
});
