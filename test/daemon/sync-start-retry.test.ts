/**
 * `lvs_sync_daemon` roles that fail to start (the interface has no address yet, or is not there
 * yet) are tried again every second while they are wanted: the failure is logged once, the late
 * start once, and a role no longer wanted is not tried again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply } from '../../src/control/apply.js';
import type { Command } from '../../src/control/commands.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { SYNC_START_RETRY_MS, SyncRoleFollower } from '../../src/daemon/sync/sync-role-follower.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { conf, model, segment } from './vrrp-rig.js';

function director(
  seg: ReturnType<typeof segment>,
  net: FakeSyncNetwork,
  addr: string,
  globals: string,
  prio: number,
) {
  const text = globals + conf({ prio, vrid: 51 });
  const r = seg.router(addr, text);
  const transport = net.transport(addr);
  const port = createDirectorPort(
    8,
    syncServiceFactory({
      transport,
      clock: seg.clock,
      hooks: () => ({ attachMaster: () => () => {}, applyEntry: () => {} }),
    }),
  );
  const log: string[] = [];
  const follower = new SyncRoleFollower({
    model: model(text),
    apply: (cmd: Command) => apply(port, cmd, seg.clock.now()),
    source: r.runner,
    log: (_l, msg) => log.push(msg),
    running: () => port.daemons().map((d) => d.state),
    clock: seg.clock,
  });
  const roles = () => port.daemons().map((d) => `${d.state}:${d.syncId}`);
  return { ...r, port, follower, transport, roles, log };
}

test('a backup role whose socket cannot open yet starts once it can, logging the failure once', async () => {
  const seg = segment();
  const net = new FakeSyncNetwork();
  const G = 'global_defs {\n  lvs_sync_daemon eth0 inst VI_1\n}\n';
  const a = director(seg, net, '192.0.2.1', G, 150);
  const b = director(seg, net, '192.0.2.2', G, 100);
  b.transport.failOpens = 'EADDRNOTAVAIL';
  a.follower.start();
  b.follower.start();
  try {
    a.runner.start();
    b.runner.start();
    await seg.clock.advance(10_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    assert.deepEqual([a.roles(), b.roles()], [['master:51'], []]);
    assert.deepEqual(b.follower.pendingStarts(), ['backup']);
    // Ten seconds of retries, one line.
    assert.equal(b.log.filter((l) => l.includes('backup not started')).length, 1, b.log.join('\n'));
    assert.equal(b.log.length, 1, b.log.join('\n'));

    // The address arrives: the next retry starts the role.
    b.transport.failOpens = undefined;
    await seg.clock.advance(SYNC_START_RETRY_MS);
    assert.deepEqual(b.roles(), ['backup:51']);
    assert.deepEqual(b.follower.pendingStarts(), []);
    assert.match(b.log.at(-1) ?? '', /backup started after \d+ attempts/);

    // And it follows VRRP as before: a failover makes it the master.
    await a.runner.stop();
    await seg.clock.advance(5_000);
    assert.deepEqual(b.roles(), ['master:51']);
  } finally {
    a.follower.stop();
    b.follower.stop();
    await Promise.all([a.runner.stop(), b.runner.stop()]);
    a.port.sync?.close();
    b.port.sync?.close();
  }
});

test('a failed role that is no longer wanted is not tried again; the wanted one is', async () => {
  const seg = segment();
  const net = new FakeSyncNetwork();
  const G = 'global_defs {\n  lvs_sync_daemon eth0 inst VI_1\n}\n';
  const b = director(seg, net, '192.0.2.2', G, 100);
  b.transport.failOpens = 'EADDRNOTAVAIL';
  b.follower.start();
  try {
    b.runner.start();
    // Alone on the segment: BACKUP first (backup role pending), MASTER after the down timer.
    await seg.clock.advance(10_000);
    assert.equal(b.state(), 'MASTER');
    assert.deepEqual(b.follower.pendingStarts(), ['master']);
    b.transport.failOpens = undefined;
    await seg.clock.advance(SYNC_START_RETRY_MS);
    assert.deepEqual(b.roles(), ['master:51']);
    assert.deepEqual(b.follower.pendingStarts(), []);
    await seg.clock.advance(5 * SYNC_START_RETRY_MS);
    assert.deepEqual(b.roles(), ['master:51']);
  } finally {
    b.follower.stop();
    await b.runner.stop();
    b.port.sync?.close();
  }
});

test('without inst, roles the table failed to start are tried again after settle()', async () => {
  const seg = segment();
  const net = new FakeSyncNetwork();
  const b = director(seg, net, '192.0.2.2', 'global_defs {\n  lvs_sync_daemon eth0\n}\n', 100);
  b.transport.failOpens = 'ENODEV';
  b.follower.start();
  try {
    // What the health runner does with the table's first commands: apply, log a failure, go on.
    for (const state of ['master', 'backup'] as const)
      assert.throws(() =>
        apply(
          b.port,
          {
            op: 'start-daemon',
            daemon: { state, mcastInterface: 'eth0', syncId: 0 },
          } as Command,
          seg.clock.now(),
        ),
      );
    b.follower.settle();
    assert.deepEqual(b.follower.pendingStarts().sort(), ['backup', 'master']);
    b.transport.failOpens = undefined;
    await seg.clock.advance(SYNC_START_RETRY_MS);
    assert.deepEqual(b.roles().sort(), ['backup:0', 'master:0']);
  } finally {
    b.follower.stop();
    b.port.sync?.close();
  }
});
