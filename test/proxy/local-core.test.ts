import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { ServiceTable } from '../../src/core/service-table.js';
import { CONN_EV } from '../../src/io/proxy/core.js';
import { LocalProxyCore } from '../../src/io/proxy/local-core.js';
import { dest, svcConfig, tcpKey } from './helpers.js';

const client = Uint8Array.of(192, 0, 2, 1);
const vip = Uint8Array.of(127, 0, 0, 1);

function setup() {
  const table = new ServiceTable({ schedulers: findScheduler });
  table.addService(tcpKey(80), svcConfig('rr'));
  table.addDest(tcpKey(80), dest(1001));
  table.addDest(tcpKey(80), dest(1002));
  const core = new LocalProxyCore(table);
  const svc = table.find(tcpKey(80));
  if (!svc) throw new Error('no service');
  return { table, core, svc };
}

test('LocalProxyCore schedules in rr list order and counts a new conn as active', () => {
  const { core, svc } = setup();
  const a = core.openConn(svc, client, 5000, vip, 80, 0);
  const b = core.openConn(svc, client, 5001, vip, 80, 0);
  assert.equal(core.connDest(a)?.port, 1002);
  assert.equal(core.connDest(b)?.port, 1001);
  assert.equal(core.connDest(a)?.activeConns, 1);
});

test('LocalProxyCore follows FINs to TIME_WAIT (inactive) and expires it after 120 s', () => {
  const { core, svc } = setup();
  const expired: number[] = [];
  core.onExpire((i) => expired.push(i));
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  const d = core.connDest(i);
  core.connEvent(i, CONN_EV.ESTABLISHED, 0);
  core.connEvent(i, CONN_EV.CLIENT_FIN, 0);
  core.connEvent(i, CONN_EV.SERVER_FIN, 0);
  assert.deepEqual([d?.activeConns, d?.inactConns], [0, 1]);
  core.tick(119_000);
  assert.deepEqual(expired, []);
  core.tick(120_000);
  assert.deepEqual(expired, [i]);
  assert.equal(d?.inactConns, 0);
});

test('LocalProxyCore re-arms the timer on traffic with the state timeout --set changes', () => {
  const { core, svc } = setup();
  const expired: number[] = [];
  core.onExpire((i) => expired.push(i));
  core.settings.setTimeouts(10, 0, 0);
  const i = core.openConn(svc, client, 5000, vip, 80, 0);
  core.connEvent(i, CONN_EV.ESTABLISHED, 0);
  core.countBytes(i, 0, 100, 1, 9_000);
  core.tick(18_000);
  assert.deepEqual(expired, []);
  core.tick(19_000);
  assert.deepEqual(expired, [i]);
});
