import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KIND } from '../../src/core/conn-table.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { SVC_F } from '../../src/core/types.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { CONN_EV } from '../../src/io/proxy/core.js';
import { dest, svcConfig, tcpKey, udpKey } from '../proxy/helpers.js';

const client = Uint8Array.of(192, 0, 2, 1);
const vip = Uint8Array.of(127, 0, 0, 1);

function setup() {
  const director = new Director({ schedulers: findScheduler });
  director.table.addService(tcpKey(80), svcConfig('rr'));
  director.table.addDest(tcpKey(80), dest(1001));
  const core = new DirectorProxyCore(director);
  const svc = director.table.find(tcpKey(80));
  if (!svc) throw new Error('no service');
  const expired: number[] = [];
  core.onExpire((i) => expired.push(i));
  return { director, core, svc, expired };
}

test('DirectorProxyCore schedules in rr list order and counts a new conn as active', () => {
  const { director, core, svc } = setup();
  director.table.addDest(tcpKey(80), dest(1002));
  const a = core.openConn(svc, client, 5000, vip, 80, 0);
  const b = core.openConn(svc, client, 5001, vip, 80, 0);
  assert.equal(core.connDest(a)?.port, 1002);
  assert.equal(core.connDest(b)?.port, 1001);
  assert.equal(core.connDest(a)?.activeConns, 1);
});

test('DirectorProxyCore follows FINs to TIME_WAIT (inactive) and expires it after 120 s', () => {
  const { director, core, svc, expired } = setup();
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  const d = core.connDest(i);
  core.connEvent(i, CONN_EV.ESTABLISHED, 0);
  core.connEvent(i, CONN_EV.CLIENT_FIN, 0);
  core.connEvent(i, CONN_EV.SERVER_FIN, 0);
  assert.deepEqual([d?.activeConns, d?.inactConns], [0, 1]);
  director.tick(119_000);
  assert.deepEqual(expired, []);
  director.tick(120_100);
  assert.deepEqual(expired, [i]);
  assert.equal(d?.inactConns, 0);
});

test('DirectorProxyCore reports an entry the moment the Director expires it, with no polling', () => {
  const { director, core, svc, expired } = setup();
  director.settings.setTimeouts(10, 0, 0);
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  core.connEvent(i, CONN_EV.ESTABLISHED, 0);
  director.tick(9_000);
  assert.deepEqual(expired, []);
  director.tick(10_100); // the Director's own tick, not the adapter's
  assert.deepEqual(expired, [i]);
});

test('DirectorProxyCore re-arms the entry on traffic with the --set timeout', () => {
  const { director, core, svc, expired } = setup();
  director.settings.setTimeouts(10, 0, 0);
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  core.connEvent(i, CONN_EV.ESTABLISHED, 0);
  core.countBytes(i, 1, 500, 1, 9_000);
  core.tick(18_000);
  assert.deepEqual(expired, []);
  assert.equal(core.connDest(i)?.stats.outbytes, 500);
  core.tick(19_100);
  assert.deepEqual(expired, [i]);
});

test('DirectorProxyCore does not report the conns the plane drops itself', () => {
  const { director, core, svc, expired } = setup();
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  core.dropConn(i, 1);
  assert.equal(director.conns.count, 0);
  director.table.addService(udpKey(53), { ...svcConfig('rr'), flags: SVC_F.ONEPACKET });
  director.table.addDest(udpKey(53), dest(1053));
  const u = director.table.find(udpKey(53));
  if (!u) throw new Error('no udp service');
  const o = core.openConn(u, client, 5001, vip, 53, 2);
  assert.equal(director.conns.kind(o), KIND.OPS);
  core.dropConn(o, 2);
  director.tick(3);
  assert.deepEqual(expired, []);
  // A later expiry of another conn is still reported.
  const k = core.openConn(svc, client, 5002, vip, 80, 4);
  director.tick(100_000);
  assert.deepEqual(expired, [k]);
});
