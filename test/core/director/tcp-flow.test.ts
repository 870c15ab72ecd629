import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connViews } from '../../../src/core/conn-views.js';
import { VERDICT } from '../../../src/core/director.js';
import { FWD } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp } from '../../helpers/table.js';
import { F, pkt, testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const RS = '198.51.100.2';
const CL = '192.0.2.7';

function setup(fwd: number) {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig());
  const dest = d.table.addDest(tcp(VIP, 80), destConfig(RS, 8080, { fwd: fwd as 0 }));
  return { d, dest };
}

function stateOf(d: ReturnType<typeof testDirector>, now: number) {
  const v = connViews(d, now).filter((c) => !c.template);
  assert.equal(v.length, 1);
  return v[0] as (typeof v)[0];
}

test('NAT worked example: SYN, SYN-ACK, ACK, client FIN, server FIN move states, timeouts and counts', () => {
  const { d, dest } = setup(FWD.MASQ);
  const i = d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.SYN }), 0);
  assert.ok(i >= 0);
  assert.equal(stateOf(d, 0).state, 'SYN_RECV');
  assert.equal(stateOf(d, 0).daddr, RS);
  assert.equal(stateOf(d, 0).dport, 8080);
  assert.equal(stateOf(d, 0).expiresMs, 60_000);
  assert.deepEqual([dest.activeConns, dest.inactConns], [1, 0]);
  assert.equal(d.outPacket(pkt('tcp', RS, 8080, CL, 40000, { flags: F.SYN | F.ACK }), 10), i);
  assert.equal(stateOf(d, 10).state, 'SYN_RECV');
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.ACK }), 20);
  assert.equal(stateOf(d, 20).state, 'ESTABLISHED');
  assert.equal(stateOf(d, 20).expiresMs, 900_000);
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.FIN | F.ACK }), 30);
  assert.equal(stateOf(d, 30).state, 'CLOSE_WAIT');
  assert.equal(stateOf(d, 30).expiresMs, 60_000);
  assert.deepEqual([dest.activeConns, dest.inactConns], [0, 1]);
  d.outPacket(pkt('tcp', RS, 8080, CL, 40000, { flags: F.FIN | F.ACK }), 40);
  assert.equal(stateOf(d, 40).state, 'TIME_WAIT');
  assert.equal(stateOf(d, 40).expiresMs, 120_000);
  d.tick(40 + 120_000);
  assert.equal(d.conns.count, 0);
  assert.deepEqual([dest.activeConns, dest.inactConns], [0, 0]);
});

test('DR worked example: client FIN leaves the conn in FIN_WAIT (inactive, 120 s) through the input-only table', () => {
  const { d, dest } = setup(FWD.DROUTE);
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.SYN }), 0);
  assert.equal(stateOf(d, 0).state, 'SYN_RECV');
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.ACK }), 1);
  assert.equal(stateOf(d, 1).state, 'ESTABLISHED');
  assert.deepEqual([dest.activeConns, dest.inactConns], [1, 0]);
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.FIN | F.ACK }), 2);
  assert.equal(stateOf(d, 2).state, 'FIN_WAIT');
  assert.equal(stateOf(d, 2).expiresMs, 120_000);
  assert.deepEqual([dest.activeConns, dest.inactConns], [0, 1]);
  d.inPacket(pkt('tcp', CL, 40000, VIP, 80, { flags: F.ACK }), 3);
  assert.equal(stateOf(d, 3).state, 'FIN_WAIT');
});

test('the first reply clears NOOUTPUT so later input uses the normal INPUT table', () => {
  const { d } = setup(FWD.DROUTE);
  const i = d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN }), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0);
  assert.ok((d.conns.flagsOf(i) & 0x80) !== 0);
  // A DR reply never reaches the director in practice; feed one to show the flag logic.
  assert.equal(d.outPacket(pkt('tcp', RS, 8080, CL, 1, { flags: F.ACK }), 1), i);
  assert.equal(d.conns.flagsOf(i) & 0x80, 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.FIN | F.ACK }), 2);
  assert.equal(stateOf(d, 2).state, 'CLOSE_WAIT');
});

test('a segment with no SYN/FIN/ACK/RST forces CLOSE', () => {
  const { d, dest } = setup(FWD.MASQ);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN }), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: 0x08 }), 1);
  assert.equal(stateOf(d, 1).state, 'CLOSE');
  assert.equal(stateOf(d, 1).expiresMs, 10_000);
  assert.deepEqual([dest.activeConns, dest.inactConns], [0, 1]);
});

test('only a SYN creates a TCP conn: non-SYN passes, RST never schedules, sloppy_tcp schedules any non-RST', () => {
  const { d, dest } = setup(FWD.MASQ);
  assert.equal(d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0), VERDICT.ACCEPT);
  assert.equal(d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.RST }), 0), VERDICT.ACCEPT);
  assert.equal(d.conns.count, 0);
  d.setSysctl('sloppy_tcp', 1);
  assert.equal(d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.RST | F.SYN }), 0), VERDICT.ACCEPT);
  const i = d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0);
  assert.ok(i >= 0);
  assert.equal(stateOf(d, 0).state, 'ESTABLISHED');
  assert.equal(dest.activeConns, 1);
});

test('packets to no service pass; a service without usable dests wants ICMP unreachable', () => {
  const { d, dest } = setup(FWD.MASQ);
  assert.equal(d.inPacket(pkt('tcp', CL, 1, VIP, 81, { flags: F.SYN }), 0), VERDICT.ACCEPT);
  assert.equal(d.inPacket(pkt('udp', CL, 1, '192.0.2.99', 80), 0), VERDICT.ACCEPT);
  d.table.editDest(tcp(VIP, 80), { ...dest.config(), weight: 0 });
  assert.equal(d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN }), 0), VERDICT.NO_DEST);
});

test('secure_tcp uses the dos table: NAT conns reach ESTABLISHED only after the server answered', () => {
  const { d } = setup(FWD.MASQ);
  d.setSysctl('secure_tcp', 3);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN }), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0);
  assert.equal(stateOf(d, 0).state, 'SYN_RECV');
  d.outPacket(pkt('tcp', RS, 8080, CL, 1, { flags: F.SYN | F.ACK }), 0);
  assert.equal(stateOf(d, 0).state, 'SYNACK');
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0);
  assert.equal(stateOf(d, 0).state, 'SYNACK', 'dos INPUT ack keeps SYNACK');
  d.outPacket(pkt('tcp', RS, 8080, CL, 1, { flags: F.ACK }), 0);
  assert.equal(stateOf(d, 0).state, 'ESTABLISHED');
});

test('--set tcp tcpfin changes the ESTABLISHED and FIN_WAIT timeouts; 0 keeps a value', () => {
  const { d } = setup(FWD.DROUTE);
  d.settings.setTimeouts(7200, 30, 0);
  assert.deepEqual(d.settings.timeouts(), { tcp: 7200, tcpfin: 30, udp: 300 });
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN }), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK }), 0);
  assert.equal(stateOf(d, 0).expiresMs, 7_200_000);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.FIN | F.ACK }), 0);
  assert.equal(stateOf(d, 0).expiresMs, 30_000);
  assert.throws(() => d.settings.setTimeouts(-1, 0, 0), { code: 'ERR_LVS_INVALID' });
});

test('stats count conns on scheduling and packets/bytes in both directions on dest, service and global', () => {
  const { d, dest } = setup(FWD.MASQ);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.SYN, len: 60 }), 0);
  d.outPacket(pkt('tcp', RS, 8080, CL, 1, { flags: F.SYN | F.ACK, len: 60 }), 0);
  d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.ACK, len: 1500 }), 0);
  const svc = dest.svc;
  for (const s of [dest.stats, svc.stats, d.stats]) {
    assert.deepEqual(s.view(), { conns: 1, inpkts: 2, outpkts: 1, inbytes: 1560, outbytes: 60 });
  }
  // Unmatched replies are not counted.
  assert.equal(d.outPacket(pkt('tcp', RS, 8080, CL, 2, { flags: F.ACK }), 0), VERDICT.ACCEPT);
  assert.equal(d.stats.outpkts, 1);
});

test('the 2 s estimator runs from tick on dest, service and global stats', () => {
  const { d, dest } = setup(FWD.MASQ);
  d.tick(0);
  for (let k = 0; k < 100; k++) d.inPacket(pkt('tcp', CL, 1000 + k, VIP, 80, { flags: F.SYN, len: 100 }), 1);
  d.tick(2000);
  assert.ok(d.stats.rates().cps > 0);
  assert.deepEqual(dest.stats.rates(), d.stats.rates());
  assert.deepEqual(dest.svc.stats.rates(), d.stats.rates());
});
