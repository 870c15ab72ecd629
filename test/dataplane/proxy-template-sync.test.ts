/**
 * The proxy plane's sync (director-core.ts setSyncMaster): a master sends the persistence
 * template behind each new connection, never the connection itself, and a backup director that
 * applies those templates sends the same client to the same real server after a failover.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_F } from '../../src/core/conn-table.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { SVC_F } from '../../src/core/types.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { applySyncEntry } from '../../src/sync/sync-backup.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SyncMaster } from '../../src/sync/sync-master.js';
import { dest, svcConfig, tcpKey } from '../proxy/helpers.js';

const vip = Uint8Array.of(127, 0, 0, 1);
const clientA = Uint8Array.of(192, 0, 2, 1);
const clientB = Uint8Array.of(192, 0, 2, 2);

/** A director with a persistent rr service over two real servers (ports 1001, 1002). */
function director(): Director {
  const d = new Director({ schedulers: findScheduler });
  d.table.addService(tcpKey(80), svcConfig('rr', { flags: SVC_F.PERSISTENT, timeout: 300 }));
  d.table.addDest(tcpKey(80), dest(1001));
  d.table.addDest(tcpKey(80), dest(1002));
  return d;
}

test('a proxy-plane sync master sends the template of each new persistent connection, and a backup applying it sends the client to the same real server', () => {
  const m = director();
  const core = new DirectorProxyCore(m);
  const sent: SyncConnEntry[] = [];
  core.setSyncMaster(new SyncMaster(m, { add: (e) => sent.push(e) }));
  const svc = m.table.find(tcpKey(80))!;
  // clientB takes rr's first pick, so clientA's template holds the other server.
  const b0 = core.openConn(svc, clientB, 4000, vip, 80, 1000);
  const a0 = core.openConn(svc, clientA, 5000, vip, 80, 1000);
  const masterPort = core.connDest(a0)?.port;
  assert.notEqual(masterPort, core.connDest(b0)?.port);
  assert.equal(sent.length, 2);
  assert.ok(
    sent.every((e) => (e.flags & CONN_F.TEMPLATE) !== 0),
    'only templates are sent',
  );
  assert.deepEqual(
    sent.map((e) => e.dport),
    [core.connDest(b0)?.port, masterPort],
  );

  // The backup: a fresh director, clientA's template applied, then clientA connects.
  const b = director();
  for (const e of sent) assert.notEqual(applySyncEntry(b, e, 2000).kind, 'ignored');
  const bcore = new DirectorProxyCore(b);
  const bsvc = b.table.find(tcpKey(80))!;
  const a1 = bcore.openConn(bsvc, clientA, 6000, vip, 80, 3000);
  assert.equal(bcore.connDest(a1)?.port, masterPort);
  // Without the template, a fresh backup's rr would have sent clientA to the other server.
  const fresh = new DirectorProxyCore(director());
  const f = fresh.openConn(fresh.director.table.find(tcpKey(80))!, clientA, 6000, vip, 80, 3000);
  assert.notEqual(fresh.connDest(f)?.port, masterPort);
});

test('a proxy-plane core without a sync master, or with a non-persistent service, sends nothing', () => {
  const m = new Director({ schedulers: findScheduler });
  m.table.addService(tcpKey(80), svcConfig('rr'));
  m.table.addDest(tcpKey(80), dest(1001));
  const core = new DirectorProxyCore(m);
  const sent: SyncConnEntry[] = [];
  const svc = m.table.find(tcpKey(80))!;
  core.openConn(svc, clientA, 5000, vip, 80, 0);
  core.setSyncMaster(new SyncMaster(m, { add: (e) => sent.push(e) }));
  core.openConn(svc, clientA, 5001, vip, 80, 0);
  assert.deepEqual(sent, []);
  const p = director();
  const pcore = new DirectorProxyCore(p);
  pcore.openConn(p.table.find(tcpKey(80))!, clientA, 5000, vip, 80, 0);
  assert.deepEqual(sent, [], 'no sync master attached to this core');
});
