/**
 * A client the proxy plane retries on a second real server after a failed connect counts one
 * conn, on the server that took it, as the kernel counts one conn per scheduled client
 * (ip_vs_conn_stats in ip_vs_schedule) — not one on the service per attempt and one on the
 * dead server (issue 16, found 6).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type Backend,
  backend,
  dest,
  freePort,
  names,
  type Rig,
  rig,
  svcConfig,
  tcpKey,
} from '../proxy/helpers.js';

let r: Rig;
let A: Backend;
before(async () => {
  r = rig();
  A = await backend('A');
});
after(async () => {
  await A.close();
  await r.close();
});

test('a client retried after a refused connect counts one conn, on the server that served it', async () => {
  const dead = await freePort();
  const port = await freePort();
  r.table.addService(tcpKey(port), svcConfig('rr'));
  r.table.addDest(tcpKey(port), dest(A.port, 1));
  r.table.addDest(tcpKey(port), dest(dead, 1));
  r.plane.sync();
  const failures = r.plane.tcp.counters.connectFailures;
  assert.deepEqual(await names(port, 4), ['A', 'A', 'A', 'A']);
  // rr moves onto the dead server for every other client: those are retried on A.
  assert.ok(r.plane.tcp.counters.connectFailures - failures >= 2);
  const svc = r.table.find(tcpKey(port));
  const byPort = (p: number) => svc?.dests.find((d) => d.port === p)?.stats.view().conns;
  assert.equal(svc?.stats.view().conns, 4, 'four clients, four conns on the service');
  assert.equal(byPort(A.port), 4, 'each counted on A, which served it');
  assert.equal(byPort(dead), 0, 'none on the server that refused them');
  assert.equal(r.director.stats.view().conns >= 4, true);
});

test('a client whose every attempt fails still counts once, on the last server tried', async () => {
  const dead1 = await freePort();
  const dead2 = await freePort();
  const port = await freePort();
  r.table.addService(tcpKey(port), svcConfig('rr'));
  r.table.addDest(tcpKey(port), dest(dead1, 1));
  r.table.addDest(tcpKey(port), dest(dead2, 1));
  r.plane.sync();
  await assert.rejects(names(port, 1));
  const svc = r.table.find(tcpKey(port));
  assert.equal(svc?.stats.view().conns, 1);
  const per = (svc?.dests ?? []).map((d) => d.stats.view().conns).sort();
  assert.deepEqual(per, [0, 1]);
});
