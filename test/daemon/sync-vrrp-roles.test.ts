/**
 * `lvs_sync_daemon eth0 inst VI_1` on two directors sharing the fake VRRP segment and the fake
 * sync network: the sync roles follow VI_1 across two failovers (MASTER sends, BACKUP receives),
 * and an entry the master's protocol emits reaches the backup's protocol through the codec.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply } from '../../src/control/apply.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import type { SyncEntrySink } from '../../src/daemon/sync/sync-protocol.js';
import { SyncRoleFollower } from '../../src/daemon/sync/sync-role-follower.js';
import { SYNC_CHECK_MS, SYNC_FLUSH_MS } from '../../src/daemon/sync/sync-service.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { V4_CONN } from '../sync/sync-fixtures.js';
import { conf, model, segment } from './vrrp-rig.js';

const GLOBALS = 'global_defs {\n  lvs_sync_daemon eth0 inst VI_1\n}\n';

test('sync roles follow VRRP instance VI_1 across two failovers, and conns flow master to backup', async () => {
  const { clock, router } = segment();
  const syncNet = new FakeSyncNetwork();
  const director = (addr: string, prio: number) => {
    const text = GLOBALS + conf({ prio, vrid: 51 });
    const r = router(addr, text);
    const sinks: SyncEntrySink[] = [];
    const applied: SyncConnEntry[] = [];
    const port = createDirectorPort(
      8,
      syncServiceFactory({
        transport: syncNet.transport(addr),
        clock,
        hooks: () => ({
          attachMaster: (sink) => {
            sinks.push(sink);
            return () => sinks.splice(sinks.indexOf(sink), 1);
          },
          applyEntry: (e) => applied.push(e),
        }),
      }),
    );
    const log: string[] = [];
    const follower = new SyncRoleFollower({
      model: model(text),
      apply: (cmd) => apply(port, cmd, clock.now()),
      source: r.runner,
      log: (_l, msg) => log.push(msg),
    });
    const roles = () => port.daemons().map((d) => `${d.state}:${d.syncId}`);
    return { ...r, port, follower, sinks, applied, roles, log };
  };
  const a = director('192.0.2.1', 150);
  const b = director('192.0.2.2', 100);
  a.follower.start();
  b.follower.start();
  try {
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    // The syncid defaults to the instance's VRID.
    assert.deepEqual([a.roles(), b.roles()], [['master:51'], ['backup:51']]);

    // The master's conns reach the backup: one entry, sent once its message is 2 s old (found by
    // the next 1-second check).
    a.sinks[0]!.add(V4_CONN);
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.deepEqual(b.applied, [V4_CONN]);

    // Failover 1: director a stops (its VRRP sends priority 0); b takes over and sends.
    await a.runner.stop();
    await clock.advance(5_000);
    assert.equal(b.state(), 'MASTER');
    assert.deepEqual([a.roles(), b.roles()], [[], ['master:51']]);

    // Failover 2: a comes back with the higher priority and preempts; b receives again.
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    assert.deepEqual([a.roles(), b.roles()], [['master:51'], ['backup:51']]);
    b.applied.length = 0;
    a.sinks[0]!.add(V4_CONN);
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.deepEqual(b.applied, [V4_CONN]);
    assert.deepEqual([a.log, b.log], [[], []]);
  } finally {
    a.follower.stop();
    b.follower.stop();
    await Promise.all([a.runner.stop(), b.runner.stop()]);
    a.port.sync?.close();
    b.port.sync?.close();
  }
});

test('an instance that does not exist leaves the sync daemons off and says why', () => {
  const log: string[] = [];
  const f = new SyncRoleFollower({
    model: model(`global_defs {\n  lvs_sync_daemon eth0 inst VI_9\n}\n${conf()}`),
    apply: () => assert.fail('no command expected'),
    log: (_l, m) => log.push(m),
  });
  f.start();
  f.stop();
  assert.deepEqual(log, [
    'Unable to find vrrp instance VI_9 for lvs_sync_daemon - clearing lvs_syncd config',
  ]);
});
