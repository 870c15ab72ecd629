import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connViews } from '../../../src/core/conn-views.js';
import { VERDICT } from '../../../src/core/director.js';
import { SCTP_CHUNK as K } from '../../../src/core/proto/sctp.js';
import { FWD, PROTO } from '../../../src/core/types.js';
import { destConfig, svcConfig } from '../../helpers/table.js';
import { pkt, testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const RS = '198.51.100.2';
const CL = '192.0.2.7';
const key = { kind: 'addr' as const, af: 4 as const, protocol: PROTO.SCTP, addr: VIP, port: 3868 };

test('SCTP NAT association: INIT creates the conn, the handshake reaches ESTABLISHED (active), shutdown closes it', () => {
  const d = testDirector();
  d.table.addService(key, svcConfig());
  const a = d.table.addDest(key, destConfig(RS, 3868, { fwd: FWD.MASQ }));
  const cin = (chunk: number, next = -1) => d.inPacket(pkt('sctp', CL, 5000, VIP, 3868, { chunk, next }), 0);
  const sout = (chunk: number) => d.outPacket(pkt('sctp', RS, 3868, CL, 5000, { chunk }), 0);
  const st = () => connViews(d, 0)[0]?.state;
  assert.equal(d.inPacket(pkt('sctp', CL, 5000, VIP, 3868, { chunk: K.DATA }), 0), VERDICT.ACCEPT);
  assert.equal(d.inPacket(pkt('sctp', CL, 5000, VIP, 3868, { chunk: K.ABORT }), 0), VERDICT.ACCEPT);
  cin(K.INIT);
  assert.equal(st(), 'INIT1');
  assert.equal(connViews(d, 0)[0]?.expiresMs, 4000);
  sout(K.INIT_ACK);
  assert.equal(st(), 'C-SENT');
  cin(K.COOKIE_ECHO);
  assert.equal(st(), 'C-REPLIED');
  assert.deepEqual([a.activeConns, a.inactConns], [0, 1]);
  sout(K.COOKIE_ACK);
  assert.equal(st(), 'ESTABLISHED');
  assert.equal(connViews(d, 0)[0]?.expiresMs, 900_000);
  assert.deepEqual([a.activeConns, a.inactConns], [1, 0]);
  cin(K.SHUTDOWN);
  assert.equal(st(), 'S-RECEIVED');
  assert.deepEqual([a.activeConns, a.inactConns], [0, 1]);
  sout(K.SHUTDOWN_ACK);
  cin(K.SHUTDOWN_COMPLETE);
  assert.equal(st(), 'CLOSED');
});

test('SCTP: a COOKIE-ECHO bundled before an ABORT is an abort; sloppy_sctp lets non-INIT chunks create conns', () => {
  const d = testDirector();
  d.table.addService(key, svcConfig());
  d.table.addDest(key, destConfig(RS, 3868, { fwd: FWD.DROUTE }));
  d.inPacket(pkt('sctp', CL, 1, VIP, 3868, { chunk: K.INIT }), 0);
  d.inPacket(pkt('sctp', CL, 1, VIP, 3868, { chunk: K.COOKIE_ECHO, next: K.ABORT }), 0);
  assert.equal(connViews(d, 0)[0]?.state, 'CLOSED');
  // A new INIT on a CLOSED association is rescheduled (conn_reuse_mode).
  assert.ok(d.inPacket(pkt('sctp', CL, 1, VIP, 3868, { chunk: K.INIT }), 1) >= 0);
  assert.equal(connViews(d, 1)[0]?.state, 'INIT1');
  assert.equal(d.stats.conns, 2);
  d.setSysctl('sloppy_sctp', 1);
  assert.ok(d.inPacket(pkt('sctp', CL, 2, VIP, 3868, { chunk: K.DATA }), 1) >= 0);
  assert.equal(connViews(d, 1).find((c) => c.cport === 2)?.state, 'ESTABLISHED');
});

test('sysctls keep kernel defaults and refuse out-of-range values with EINVAL', () => {
  const d = testDirector();
  const s = d.settings.sysctls();
  assert.equal(s.conn_reuse_mode, 1);
  assert.equal(s.expire_nodest_conn, 0);
  assert.equal(s.expire_quiescent_template, 0);
  assert.equal(s.run_estimation, 1);
  assert.throws(() => d.setSysctl('secure_tcp', 4), { code: 'ERR_LVS_INVALID' });
  assert.throws(() => d.setSysctl('expire_nodest_conn', 1.5), { code: 'ERR_LVS_INVALID' });
  d.setSysctl('lblc_expiration', 60);
  assert.equal(d.schedulerOptions.lblcExpirationMs, 60_000);
});
