/**
 * The sync daemons over the fake multicast network: the kernel's start/stop errors, both roles
 * at once, the `-L --daemon` view and sync_maxlen clamping, the master's queue (bounded by
 * sync_qlen_max, one datagram in flight per socket) and its flush check, sync_ports threads,
 * and datagrams reaching the backup's protocol side (loop off: never the sender's own).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyncDaemonConfig } from '../../src/control/commands.js';
import type { LvsError } from '../../src/core/errors.js';
import type { SyncProtocol, SyncRoleConfig } from '../../src/daemon/sync/sync-protocol.js';
import { codecSyncProtocol, type SyncEntrySink } from '../../src/daemon/sync/sync-protocol.js';
import {
  SYNC_CHECK_MS,
  SYNC_FLUSH_MS,
  SyncService,
  type SyncSysctlName,
} from '../../src/daemon/sync/sync-service.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import { formatDaemons } from '../../src/ipvsadm/format.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { V4_CONN } from '../sync/sync-fixtures.js';

/**
 * A protocol whose master side the test drives (`emit` queues a finished message on a thread, as
 * the SyncOutbox does) and whose backup side records datagrams.
 */
function fakeProtocol() {
  const p = {
    masters: [] as { cfg: SyncRoleConfig; emit: (d: Uint8Array, t: number) => void; closed: boolean }[],
    backups: [] as { cfg: SyncRoleConfig; got: number[][]; at: number[] }[],
    flushes: 0,
    pending: [] as Uint8Array[],
  };
  const proto: SyncProtocol = {
    startMaster(cfg, io) {
      const queues: Uint8Array[][] = Array.from({ length: cfg.threads }, () => []);
      const m = {
        cfg,
        closed: false,
        emit: (d: Uint8Array, t: number) => {
          if (m.closed) return;
          queues[t]?.push(d);
          io.ready(t);
        },
      };
      p.masters.push(m);
      return {
        flush: () => {
          p.flushes++;
          for (const d of p.pending.splice(0)) m.emit(d, 0);
        },
        next: (t) => queues[t]?.shift(),
        queued: () => queues.reduce((n, q) => n + q.length, 0),
        queueDrops: () => 0,
        close: () => {
          m.closed = true;
          for (const q of queues) q.length = 0;
        },
      };
    },
    startBackup(cfg) {
      const b = { cfg, got: [] as number[][], at: [] as number[] };
      p.backups.push(b);
      return {
        onDatagram: (data, now) => {
          b.got.push([...data]);
          b.at.push(now);
        },
        close: () => {},
      };
    },
  };
  return { p, proto };
}

function rig(opts: { sysctl?: Partial<Record<SyncSysctlName, number>>; mtus?: Record<string, number> } = {}) {
  const net = new FakeSyncNetwork();
  const clock = new FakeClock(1_000_000);
  const mk = (host: string) => {
    const transport = net.transport(host, opts.mtus ?? { eth0: 1500, eth1: 9000 });
    const { p, proto } = fakeProtocol();
    const svc = new SyncService({
      transport,
      protocol: proto,
      clock,
      sysctl: (n) => opts.sysctl?.[n],
    });
    return { transport, p, svc };
  };
  return { net, clock, a: mk('192.0.2.1'), b: mk('192.0.2.2') };
}

/** A master-capable SyncService over the production codec protocol; `sink()` is what the plane feeds. */
function codecRig(sysctl?: (n: SyncSysctlName) => number | undefined) {
  const net = new FakeSyncNetwork();
  const clock = new FakeClock(1_000_000);
  const transport = net.transport('192.0.2.1', { eth0: 1500 });
  let sink: SyncEntrySink | undefined;
  const svc = new SyncService({
    transport,
    protocol: codecSyncProtocol({
      attachMaster: (s) => {
        sink = s;
        return () => {};
      },
      applyEntry: () => {},
    }),
    clock,
    ...(sysctl ? { sysctl } : {}),
  });
  return { net, clock, transport, svc, sink: () => sink! };
}

const master = (o: Partial<SyncDaemonConfig> = {}): SyncDaemonConfig => ({
  state: 'master',
  mcastInterface: 'eth0',
  syncId: 5,
  ...o,
});
const backup = (o: Partial<SyncDaemonConfig> = {}): SyncDaemonConfig => ({
  state: 'backup',
  mcastInterface: 'eth0',
  syncId: 5,
  ...o,
});

function errnoOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as LvsError).errno;
  }
  return undefined;
}

describe('sync daemons: start, stop and their errors', () => {
  it('starting a role that runs answers EEXIST; stopping one that does not answers ESRCH', () => {
    const { a } = rig();
    a.svc.start(master());
    assert.equal(
      errnoOf(() => a.svc.start(master({ syncId: 9 }))),
      'EEXIST',
    );
    assert.equal(
      errnoOf(() => a.svc.stop('backup')),
      'ESRCH',
    );
    a.svc.stop('master');
    assert.equal(
      errnoOf(() => a.svc.stop('master')),
      'ESRCH',
    );
    // A stopped role starts again.
    a.svc.start(master());
    assert.equal(a.svc.daemons().length, 1);
  });

  it('an unknown interface answers ENODEV and opens nothing', () => {
    const { net, a } = rig();
    assert.equal(
      errnoOf(() => a.svc.start(master({ mcastInterface: 'nosuch0' }))),
      'ENODEV',
    );
    assert.deepEqual(net.open, { senders: 0, receivers: 0 });
    assert.deepEqual(a.svc.daemons(), []);
  });

  it('a group that is not multicast answers EINVAL, before the interface is looked up', () => {
    const { a } = rig();
    assert.equal(
      errnoOf(() => a.svc.start(master({ mcastGroup: '192.0.2.9' }))),
      'EINVAL',
    );
    assert.equal(
      errnoOf(() => a.svc.start(master({ mcastGroup: '2001:db8::1', mcastInterface: 'x' }))),
      'EINVAL',
    );
  });

  it('ENODEV comes before EEXIST, as start_sync_thread() looks the device up first', () => {
    const { a } = rig();
    a.svc.start(master());
    assert.equal(
      errnoOf(() => a.svc.start(master({ mcastInterface: 'nosuch0' }))),
      'ENODEV',
    );
  });

  it('a socket that cannot open fails the start and leaves nothing open', () => {
    const { net, a } = rig({ sysctl: { sync_ports: 4 } });
    a.transport.failNextOpen = 'EPERM';
    assert.equal(
      errnoOf(() => a.svc.start(backup())),
      'EPERM',
    );
    assert.deepEqual(net.open, { senders: 0, receivers: 0 });
    assert.deepEqual(a.svc.daemons(), []);
  });

  it('both roles run at once and stop independently, closing their sockets', () => {
    const { net, a } = rig();
    a.svc.start(backup());
    a.svc.start(master());
    assert.deepEqual(net.open, { senders: 1, receivers: 1 });
    assert.deepEqual(
      a.svc.daemons().map((d) => d.state),
      ['master', 'backup'],
    );
    a.svc.stop('backup');
    assert.deepEqual(net.open, { senders: 1, receivers: 0 });
    a.svc.close();
    assert.deepEqual(net.open, { senders: 0, receivers: 0 });
    assert.deepEqual(a.svc.daemons(), []);
  });
});

describe('sync daemons: -L --daemon and sync_maxlen', () => {
  it('lists the kernel defaults: group 224.0.0.81, port 8848, ttl 1, master maxlen 1472, backup MTU - 28', () => {
    const { a } = rig();
    a.svc.start(backup({ mcastInterface: 'eth1', syncId: 7 }));
    a.svc.start(master());
    assert.equal(
      formatDaemons(a.svc.daemons()),
      'master sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
        'backup sync daemon (mcast=eth1, syncid=7, maxlen=8972, group=224.0.0.81, port=8848, ttl=1)\n',
    );
  });

  it('lists the given group, port and ttl; an IPv6 group takes 48 bytes of headers', () => {
    const { a } = rig();
    a.svc.start(master({ mcastGroup: 'ff02::81', mcastPort: 9000, mcastTtl: 3 }));
    a.svc.start(backup({ mcastGroup: '239.1.2.3', mcastPort: 9100, mcastTtl: 2, syncMaxLen: 2000 }));
    assert.equal(
      formatDaemons(a.svc.daemons()),
      'master sync daemon (mcast=eth0, syncid=5, maxlen=1452, group=ff02::81, port=9000, ttl=3)\n' +
        'backup sync daemon (mcast=eth0, syncid=5, maxlen=2000, group=239.1.2.3, port=9100, ttl=2)\n',
    );
  });

  it('clamps an explicit maxlen as start_sync_thread() does', () => {
    const cases: [SyncDaemonConfig, number][] = [
      [master({ syncMaxLen: 1 }), 1],
      [master({ syncMaxLen: 65535 }), 65535 - 28],
      [master({ syncMaxLen: 65535, mcastGroup: 'ff05::1' }), 65535 - 48],
      [backup({ syncMaxLen: 100 }), 1024],
      [backup({ syncMaxLen: 65535 }), 65507],
    ];
    for (const [cfg, want] of cases) {
      const { a } = rig();
      a.svc.start(cfg);
      assert.equal(a.svc.daemons()[0]?.syncMaxLen, want, JSON.stringify(cfg));
    }
  });

  it('a backup on a link with an MTU below 1500 still reads 1472-byte messages (clamp(MTU, 1500, 65535))', () => {
    const { a } = rig({ mtus: { eth0: 1280 } });
    a.svc.start(backup());
    assert.equal(a.svc.daemons()[0]?.syncMaxLen, 1472);
  });

  it('a syncid above 255 is kept as its low byte (ipvs_sync_daemon_cfg.syncid is a u8)', () => {
    const { a } = rig();
    a.svc.start(master({ syncId: 256 + 9 }));
    assert.equal(a.svc.daemons()[0]?.syncId, 9);
  });
});

describe('sync daemons: datagrams on the link', () => {
  it("the master's datagrams reach the other director's backup, with group, port and TTL, never its own", () => {
    const { net, clock, a, b } = rig();
    a.svc.start(master({ mcastTtl: 2 }));
    a.svc.start(backup());
    b.svc.start(backup());
    a.p.masters[0]!.emit(Uint8Array.of(1, 2, 3), 0);
    assert.deepEqual(b.p.backups[0]!.got, [[1, 2, 3]]);
    assert.deepEqual(b.p.backups[0]!.at, [clock.now()]);
    assert.deepEqual(a.p.backups[0]!.got, []);
    assert.equal(net.sent.length, 1);
    assert.deepEqual(
      { group: net.sent[0]!.group, port: net.sent[0]!.port, ttl: net.sent[0]!.ttl },
      { group: '224.0.0.81', port: 8848, ttl: 2 },
    );
    assert.equal(a.svc.counters('master')?.datagrams, 1);
    assert.equal(b.svc.counters('backup')?.datagrams, 1);
  });

  it('a backup on another group or port hears nothing', () => {
    const { a, b } = rig();
    a.svc.start(master());
    b.svc.start(backup({ mcastPort: 8849 }));
    a.p.masters[0]!.emit(Uint8Array.of(1), 0);
    assert.deepEqual(b.p.backups[0]!.got, []);
  });

  it('the backup cuts a datagram longer than its maxlen, as its kmalloc(sync_maxlen) buffer does', () => {
    const { a, b } = rig();
    a.svc.start(master({ syncMaxLen: 3000 }));
    b.svc.start(backup({ syncMaxLen: 1024 }));
    a.p.masters[0]!.emit(new Uint8Array(2000), 0);
    assert.equal(b.p.backups[0]!.got[0]!.length, 1024);
  });

  it('the protocol sides get the resolved syncid, maxlen, version and thread count', () => {
    const { a } = rig({ sysctl: { sync_version: 0, sync_ports: 2 } });
    a.svc.start(master({ syncId: 3 }));
    a.svc.start(backup({ syncId: 4 }));
    assert.deepEqual(a.p.masters[0]!.cfg, { syncId: 3, maxLen: 1472, version: 0, threads: 2 });
    assert.deepEqual(a.p.backups[0]!.cfg, { syncId: 4, maxLen: 1472, version: 0, threads: 2 });
  });

  it('sync_ports threads use port + id, and the count stays while a role runs', () => {
    const { net, a, b } = rig({ sysctl: { sync_ports: 4 } });
    a.svc.start(master());
    b.svc.start(backup());
    assert.deepEqual(net.open, { senders: 4, receivers: 4 });
    a.p.masters[0]!.emit(Uint8Array.of(7), 3);
    assert.equal(net.sent[0]!.port, 8848 + 3);
    assert.deepEqual(b.p.backups[0]!.got, [[7]]);
  });

  it('stopping the master closes its protocol side and sends nothing more', () => {
    const { net, a, b } = rig();
    a.svc.start(master());
    b.svc.start(backup());
    const m = a.p.masters[0]!;
    a.svc.stop('master');
    assert.equal(m.closed, true);
    m.emit(Uint8Array.of(1), 0);
    assert.equal(net.sent.length, 0);
  });
});

describe('sync daemons: the master queue and the 2-second flush', () => {
  it('keeps one datagram in flight per socket and sends the queue in order', () => {
    const { net, a, b } = rig();
    a.svc.start(master());
    b.svc.start(backup());
    a.transport.hold = true;
    const m = a.p.masters[0]!;
    for (let i = 0; i < 5; i++) m.emit(Uint8Array.of(i), 0);
    assert.equal(a.transport.held, 1);
    assert.equal(a.svc.queued(), 4);
    a.transport.hold = false;
    a.transport.release();
    assert.deepEqual(
      b.p.backups[0]!.got.map((d) => d[0]),
      [0, 1, 2, 3, 4],
    );
    assert.equal(a.svc.queued(), 0);
    assert.equal(net.sent.length, 5);
  });

  it('with the codec protocol, drops finished messages beyond sync_qlen_max queued and counts them', () => {
    // The production path: entries into the SyncOutbox, its queue bounded by the live sysctl.
    const qlen = { sync_qlen_max: 3 };
    const { svc, transport, sink } = codecRig((n) =>
      n === 'sync_qlen_max' ? qlen.sync_qlen_max : undefined,
    );
    svc.start(master());
    transport.hold = true;
    // 40 IPv4 entries fill a 1472-byte message: 241 entries finish 6 messages. One goes to the
    // held socket, three wait, two are dropped; the 241st waits in the open message.
    for (let i = 0; i < 241; i++) sink().add({ ...V4_CONN, cport: 1000 + i });
    assert.equal(svc.queued(), 3);
    assert.equal(svc.counters('master')?.queueDrops, 2);
    // sync_qlen_max is read as each message is queued.
    qlen.sync_qlen_max = 100;
    for (let i = 0; i < 40; i++) sink().add({ ...V4_CONN, cport: 2000 + i });
    assert.equal(svc.queued(), 4);
    assert.equal(svc.counters('master')?.queueDrops, 2);
  });

  it('a long synchronous queue drains without deep recursion', () => {
    const { a, b } = rig({ sysctl: { sync_qlen_max: 100_000 } });
    a.svc.start(master());
    b.svc.start(backup());
    a.transport.hold = true;
    const m = a.p.masters[0]!;
    for (let i = 0; i < 20_000; i++) m.emit(Uint8Array.of(i & 0xff), 0);
    a.transport.hold = false;
    a.transport.release();
    assert.equal(b.p.backups[0]!.got.length, 20_000);
  });

  it('stopping the master drops what is still queued', () => {
    const { net, a } = rig();
    a.svc.start(master());
    a.transport.hold = true;
    for (let i = 0; i < 3; i++) a.p.masters[0]!.emit(Uint8Array.of(i), 0);
    a.svc.stop('master');
    a.transport.release();
    assert.equal(net.sent.length, 0);
    assert.equal(a.svc.queued(), 0);
  });

  it('asks the protocol to flush every second (IPVS_SYNC_CHECK_PERIOD) while the master runs', async () => {
    const { clock, a, b } = rig();
    a.svc.start(master());
    b.svc.start(backup());
    a.p.pending.push(Uint8Array.of(9));
    await clock.advance(SYNC_CHECK_MS - 1);
    assert.equal(a.p.flushes, 0);
    assert.deepEqual(b.p.backups[0]!.got, []);
    await clock.advance(1);
    assert.equal(a.p.flushes, 1);
    assert.deepEqual(b.p.backups[0]!.got, [[9]]);
    await clock.advance(SYNC_CHECK_MS * 2);
    assert.equal(a.p.flushes, 3);
    a.svc.stop('master');
    await clock.advance(SYNC_CHECK_MS * 2);
    assert.equal(a.p.flushes, 3);
    assert.equal(clock.pending, 0);
  });

  it('with the codec protocol, a lone entry goes out once its message is 2 seconds old, at the next check', async () => {
    const { svc, net, clock, sink } = codecRig();
    svc.start(master());
    await clock.advance(SYNC_CHECK_MS / 2);
    sink().add(V4_CONN);
    // Checks at 1.0 s and 2.0 s find the message 0.5 s and 1.5 s old; the 3.0 s one sends it.
    await clock.advance(SYNC_CHECK_MS * 2);
    assert.equal(net.sent.length, 0);
    await clock.advance(SYNC_CHECK_MS);
    assert.equal(net.sent.length, 1);
    assert.ok(SYNC_FLUSH_MS < 2.5 * SYNC_CHECK_MS);
  });
});
