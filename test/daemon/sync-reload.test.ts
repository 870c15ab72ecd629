/**
 * A reload of `lvs_sync_daemon` (SyncRoleFollower.reload, as keepalived's reload_vrrp_thread()
 * handles it): a daemon whose interface, syncid, maxlen, port, ttl, group or followed instance
 * changed is restarted with the new settings, an unchanged one keeps running (the same sockets:
 * no stop, no start), a removed one stops; without `inst` both roles follow the same rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply } from '../../src/control/apply.js';
import { vrrpTransitionChannel } from '../../src/control/channels.js';
import type { Command } from '../../src/control/commands.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { SyncRoleFollower } from '../../src/daemon/sync/sync-role-follower.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { conf, model } from './vrrp-rig.js';

/** keepalived.conf with `lvs_sync_daemon <args>` (none: no line) and instances VI_1 (vrid 51) and VI_2 (vrid 52). */
const file = (args: string | undefined) =>
  `global_defs {\n${args === undefined ? '' : `  lvs_sync_daemon ${args}\n`}}\n${conf()}${conf({ name: 'VI_2', vrid: 52 })}`;

/** A director with sync daemons on the fake network, a follower, and the commands it applied. */
function rig(args: string | undefined) {
  const net = new FakeSyncNetwork();
  const clock = new FakeClock(1_000_000);
  const port = createDirectorPort(
    8,
    syncServiceFactory({ transport: net.transport('192.0.2.1', { eth0: 1500, eth1: 1500 }), clock }),
  );
  const source = {};
  const cmds: string[] = [];
  const log: string[] = [];
  const run = (cmd: Command) => {
    cmds.push(
      cmd.op === 'stop-daemon'
        ? `stop ${cmd.state}`
        : cmd.op === 'start-daemon'
          ? `start ${cmd.daemon.state}`
          : cmd.op,
    );
    apply(port, cmd, clock.now());
  };
  const m = model(file(args));
  // What the table's first commands do without `inst`: both roles start (buildCommands).
  const sd = m.globals.lvsSyncDaemon;
  if (sd && sd.instance === undefined)
    for (const state of ['master', 'backup'] as const)
      run({ op: 'start-daemon', daemon: { state, mcastInterface: sd.ifname, syncId: sd.syncId ?? 0 } });
  const follower = new SyncRoleFollower({
    model: m,
    apply: run,
    source,
    log: (_l, msg) => log.push(msg),
    running: () => port.daemons().map((d) => d.state),
  });
  follower.start();
  const to = (instance: string, from: 'INIT' | 'BACKUP' | 'MASTER', state: 'BACKUP' | 'MASTER') =>
    vrrpTransitionChannel.publish({ source, instance, from, to: state, priority: 100, at: clock.now() });
  /** `-L --daemon` in short: role, interface, syncid, port, ttl, group, maxlen. */
  const daemons = () =>
    port
      .daemons()
      .map(
        (d) =>
          `${d.state} ${d.mcastInterface} ${d.syncId} ${d.mcastPort} ${d.mcastTtl} ${d.mcastGroup} ${d.syncMaxLen}`,
      );
  const reload = (next: string | undefined) => {
    cmds.length = 0;
    follower.reload(model(file(next)));
    return [...cmds];
  };
  return {
    port,
    net,
    follower,
    to,
    daemons,
    reload,
    cmds,
    log,
    done: () => {
      follower.stop();
      port.sync?.close();
    },
  };
}

describe('lvs_sync_daemon IF inst VI on reload', () => {
  it('an unchanged daemon keeps running: no stop, no start, the same sockets', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    assert.deepEqual(r.daemons(), ['backup eth0 51 8848 1 224.0.0.81 1472']);
    // The running backup's counters object lives as long as its sockets: the same one after.
    const run = r.port.sync?.counters('backup');
    assert.ok(run);
    assert.deepEqual(r.reload('eth0 inst VI_1'), []);
    assert.deepEqual(r.daemons(), ['backup eth0 51 8848 1 224.0.0.81 1472']);
    assert.equal(r.port.sync?.counters('backup'), run);
    assert.deepEqual(r.log, ['lvs_sync_daemon on reload: kept backup, stopped none, started none']);
    r.done();
  });

  const changes: [string, string, string][] = [
    ['the interface', 'eth1 inst VI_1', 'backup eth1 51 8848 1 224.0.0.81 1472'],
    ['the syncid', 'eth0 inst VI_1 id 9', 'backup eth0 9 8848 1 224.0.0.81 1472'],
    ['the maxlen', 'eth0 inst VI_1 maxlen 1200', 'backup eth0 51 8848 1 224.0.0.81 1200'],
    ['the port', 'eth0 inst VI_1 port 9000', 'backup eth0 51 9000 1 224.0.0.81 1472'],
    ['the ttl', 'eth0 inst VI_1 ttl 3', 'backup eth0 51 8848 3 224.0.0.81 1472'],
    ['the group', 'eth0 inst VI_1 group 239.1.1.1', 'backup eth0 51 8848 1 239.1.1.1 1472'],
  ];
  for (const [what, next, want] of changes) {
    it(`a changed ${what.slice(4)} restarts the backup with the new settings`, () => {
      const r = rig('eth0 inst VI_1');
      r.to('VI_1', 'INIT', 'BACKUP');
      assert.deepEqual(r.reload(next), ['stop backup', 'start backup']);
      assert.deepEqual(r.daemons(), [want]);
      r.done();
    });
  }

  it('a master whose settings changed is restarted as master (the instance is still MASTER)', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    r.to('VI_1', 'BACKUP', 'MASTER');
    assert.deepEqual(r.daemons(), ['master eth0 51 8848 1 224.0.0.81 1472']);
    assert.deepEqual(r.reload('eth0 inst VI_1 port 9000'), ['stop master', 'start master']);
    assert.deepEqual(r.daemons(), ['master eth0 51 9000 1 224.0.0.81 1472']);
    r.done();
  });

  it('another instance: the role follows its state and the syncid its VRID', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    r.to('VI_2', 'INIT', 'BACKUP');
    r.to('VI_2', 'BACKUP', 'MASTER');
    assert.deepEqual(r.reload('eth0 inst VI_2'), ['stop backup', 'start master']);
    assert.deepEqual(r.daemons(), ['master eth0 52 8848 1 224.0.0.81 1472']);
    // Transitions of the old instance no longer move the daemons; the new one's do.
    r.cmds.length = 0;
    r.to('VI_1', 'BACKUP', 'MASTER');
    assert.deepEqual(r.cmds, []);
    r.to('VI_2', 'MASTER', 'BACKUP');
    assert.deepEqual(r.daemons(), ['backup eth0 52 8848 1 224.0.0.81 1472']);
    r.done();
  });

  it('another instance with the same explicit syncid still restarts the daemon', () => {
    const r = rig('eth0 inst VI_1 id 5');
    r.to('VI_1', 'INIT', 'BACKUP');
    r.to('VI_2', 'INIT', 'BACKUP');
    assert.deepEqual(r.reload('eth0 inst VI_2 id 5'), ['stop backup', 'start backup']);
    assert.deepEqual(r.daemons(), ['backup eth0 5 8848 1 224.0.0.81 1472']);
    r.done();
  });

  it('a removed lvs_sync_daemon stops the daemon, and adding it back starts it', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    assert.deepEqual(r.reload(undefined), ['stop backup']);
    assert.deepEqual(r.daemons(), []);
    r.cmds.length = 0;
    r.to('VI_1', 'BACKUP', 'MASTER');
    assert.deepEqual(r.cmds, [], 'no daemon follows VRRP any more');
    assert.deepEqual(r.reload('eth0 inst VI_1'), ['start master']);
    assert.deepEqual(r.daemons(), ['master eth0 51 8848 1 224.0.0.81 1472']);
    r.done();
  });

  it('a daemon an operator stopped (--stop-daemon) is started again even when the file did not change', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    r.port.stopDaemon?.('backup');
    assert.deepEqual(r.reload('eth0 inst VI_1'), ['start backup']);
    assert.deepEqual(r.daemons(), ['backup eth0 51 8848 1 224.0.0.81 1472']);
    r.done();
  });

  it('an instance the new file lacks clears the daemon and says why', () => {
    const r = rig('eth0 inst VI_1');
    r.to('VI_1', 'INIT', 'BACKUP');
    assert.deepEqual(r.reload('eth0 inst VI_9'), ['stop backup']);
    assert.deepEqual(r.daemons(), []);
    assert.ok(
      r.log.includes('Unable to find vrrp instance VI_9 for lvs_sync_daemon - clearing lvs_syncd config'),
    );
    r.done();
  });
});

describe('lvs_sync_daemon IF without inst on reload (both roles)', () => {
  it('unchanged: both keep running; changed: both restart; removed: both stop', () => {
    const r = rig('eth0 id 3');
    assert.deepEqual(r.daemons(), [
      'master eth0 3 8848 1 224.0.0.81 1472',
      'backup eth0 3 8848 1 224.0.0.81 1472',
    ]);
    assert.deepEqual(r.reload('eth0 id 3'), []);
    assert.deepEqual(r.reload('eth0 id 4'), ['stop master', 'stop backup', 'start master', 'start backup']);
    assert.deepEqual(r.daemons(), [
      'master eth0 4 8848 1 224.0.0.81 1472',
      'backup eth0 4 8848 1 224.0.0.81 1472',
    ]);
    assert.deepEqual(r.reload(undefined), ['stop master', 'stop backup']);
    assert.deepEqual(r.daemons(), []);
    r.done();
  });

  it('moving to `inst`: both roles stop (the followed instance changed) and the role the instance wants starts', () => {
    const r = rig('eth0 id 51');
    r.to('VI_1', 'INIT', 'BACKUP');
    assert.deepEqual(r.reload('eth0 inst VI_1'), ['stop master', 'stop backup', 'start backup']);
    assert.deepEqual(r.daemons(), ['backup eth0 51 8848 1 224.0.0.81 1472']);
    r.done();
  });
});
