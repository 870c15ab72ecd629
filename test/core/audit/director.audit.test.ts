/**
 * Audit of ip_vs_in's reuse rules (ip_vs_core.c, after "Fix reuse connection if RS weight is 0",
 * v5.16) and of the TCP state tables (ip_vs_proto_tcp.c), derived by hand from the kernel source.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIR, TCP_EV, TCP_S, tcpEvent, tcpNextState } from '../../../src/core/proto/tcp.js';
import { FWD } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp } from '../../helpers/table.js';
import { F, pkt, testDirector } from '../director/helpers.js';

const VIP = '203.0.113.10';
const A = '198.51.100.1';
const CL = '192.0.2.7';
const syn = () => pkt('tcp', CL, 1000, VIP, 80, { flags: F.SYN });

// Mainline ip_vs_in_hook tests only `!iph.fragoffs && is_new_conn(skb, &iph) && cp` before the
// reuse block; the `cp->control` check lives in is_new_conn_expected. (Moving it up to the block
// was suggested in a patch review but is not what the kernel does.) So expire_nodest_conn still
// reschedules a template-controlled conn, and the template sends the new one to the same dest.
test('expire_nodest_conn reschedules a template-controlled conn of a weight-0 dest, and the template keeps the dest (ip_vs_in_hook)', () => {
  const d = testDirector();
  d.setSysctl('expire_nodest_conn', 1);
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'first', flags: 1, timeout: 360 }));
  d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ }));
  const i = d.inPacket(syn(), 0);
  assert.ok(i >= 0);
  d.table.editDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ, weight: 0 }));
  const j = d.inPacket(syn(), 1000);
  assert.ok(j >= 0);
  assert.equal(d.destOf(j)?.addr, A, 'expire_quiescent_template is 0, so the template still holds A');
  assert.equal(d.stats.conns, 2);
});

test('expire_nodest_conn reschedules an uncontrolled conn of a weight-0 dest even with conn_reuse_mode 0 (v5.16 ip_vs_in)', () => {
  const d = testDirector();
  d.setSysctl('expire_nodest_conn', 1);
  d.setSysctl('conn_reuse_mode', 0);
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'first' }));
  d.table.addDest(tcp(VIP, 80), destConfig('198.51.100.2', 80, { fwd: FWD.MASQ }));
  d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ }));
  const i = d.inPacket(syn(), 0);
  assert.equal(d.destOf(i)?.addr, A);
  d.table.editDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ, weight: 0 }));
  const j = d.inPacket(syn(), 1000);
  assert.equal(d.destOf(j)?.addr, '198.51.100.2');
  assert.equal(d.stats.conns, 2);
});

test('RST never starts a conn, even with sloppy_tcp (tcp_conn_schedule)', () => {
  const d = testDirector();
  d.setSysctl('sloppy_tcp', 1);
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'first' }));
  d.table.addDest(tcp(VIP, 80), destConfig(A, 80));
  assert.ok(d.inPacket(pkt('tcp', CL, 1, VIP, 80, { flags: F.RST }), 0) < 0);
  assert.ok(d.inPacket(pkt('tcp', CL, 2, VIP, 80, { flags: F.RST | F.SYN }), 0) < 0);
  assert.ok(d.inPacket(pkt('tcp', CL, 3, VIP, 80, { flags: F.ACK }), 0) >= 0, 'sloppy: ACK may start');
});

test('TCP tables: hand-read cells of tcp_states / tcp_states_dos', () => {
  const n = (secure: boolean, dir: number, flags: number, st: number) =>
    tcpNextState(secure, dir, tcpEvent(flags), st);
  // Event precedence of tcp_state_idx: rst, then syn, then fin, then ack; none → CLOSE.
  assert.equal(tcpEvent(F.RST | F.SYN | F.FIN | F.ACK), TCP_EV.RST);
  assert.equal(tcpEvent(F.SYN | F.FIN), TCP_EV.SYN);
  assert.equal(n(false, DIR.INPUT, 0, TCP_S.ESTABLISHED), TCP_S.CLOSE);
  // Normal INPUT.
  assert.equal(n(false, DIR.INPUT, F.SYN, TCP_S.NONE), TCP_S.SYN_RECV);
  assert.equal(n(false, DIR.INPUT, F.ACK, TCP_S.NONE), TCP_S.ESTABLISHED); // sloppy-era sES
  assert.equal(n(false, DIR.INPUT, F.FIN, TCP_S.ESTABLISHED), TCP_S.CLOSE_WAIT);
  assert.equal(n(false, DIR.INPUT, F.ACK, TCP_S.LAST_ACK), TCP_S.CLOSE);
  assert.equal(n(false, DIR.INPUT, F.RST, TCP_S.SYN_RECV), TCP_S.SYN_RECV);
  assert.equal(n(false, DIR.INPUT, F.RST, TCP_S.SYNACK), TCP_S.SYN_RECV);
  // Normal OUTPUT.
  assert.equal(n(false, DIR.OUTPUT, F.SYN | F.ACK, TCP_S.SYN_RECV), TCP_S.SYN_RECV);
  assert.equal(n(false, DIR.OUTPUT, F.FIN, TCP_S.ESTABLISHED), TCP_S.FIN_WAIT);
  assert.equal(n(false, DIR.OUTPUT, F.ACK, TCP_S.LISTEN), TCP_S.ESTABLISHED);
  assert.equal(n(false, DIR.OUTPUT, F.RST, TCP_S.TIME_WAIT), TCP_S.TIME_WAIT);
  // INPUT_ONLY (DR/TUN until a reply is seen).
  assert.equal(n(false, DIR.INPUT_ONLY, F.FIN, TCP_S.ESTABLISHED), TCP_S.FIN_WAIT);
  assert.equal(n(false, DIR.INPUT_ONLY, F.RST, TCP_S.SYNACK), TCP_S.CLOSE);
  // secure_tcp.
  assert.equal(n(true, DIR.INPUT, F.ACK, TCP_S.SYN_RECV), TCP_S.SYN_RECV);
  assert.equal(n(true, DIR.OUTPUT, F.SYN | F.ACK, TCP_S.SYN_RECV), TCP_S.SYNACK);
  assert.equal(n(true, DIR.INPUT, F.ACK, TCP_S.SYNACK), TCP_S.SYNACK);
  assert.equal(n(true, DIR.INPUT_ONLY, F.SYN, TCP_S.NONE), TCP_S.SYNACK);
  assert.equal(n(true, DIR.INPUT_ONLY, F.SYN, TCP_S.SYN_RECV), TCP_S.SYN_RECV);
  assert.equal(n(true, DIR.INPUT, F.RST, TCP_S.SYNACK), TCP_S.CLOSE);
});
