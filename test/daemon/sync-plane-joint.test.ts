/**
 * The joint between the sync daemons and the data plane (sync-plane-joint.ts), through
 * createDirectorPort, the codec protocol and the fake sync network: a master daemon feeds from
 * the plane's SyncMaster (attached when the plane arrives, even after the daemon started), a
 * backup's entries go through the plane when it applies them itself and into the core table
 * when it does not, and stopping the master detaches the plane.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataPlaneHandle } from '../../src/control/ports.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { SYNC_CHECK_MS, SYNC_FLUSH_MS } from '../../src/daemon/sync/sync-service.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { PlaneSync } from '../../src/dataplane/packet-plane/plane-sync.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import type { SyncSink } from '../../src/sync/sync-master.js';
import { CLIENT, lab, run, VIP } from '../engine/lab.js';
import { fromClient } from '../forward/fixtures.js';
import { TEMPLATE, V4_CONN } from '../sync/sync-fixtures.js';

/** An IPv4 address as the table's four address words. */
const w4 = (s: string) =>
  Uint32Array.of(
    s.split('.').reduce((a, x) => a * 256 + Number(x), 0),
    0,
    0,
    0,
  );

/** A data plane reduced to its sync methods, recording what the joint does with them. */
function fakePlane(withApply: boolean) {
  const sinks: SyncSink[] = [];
  const applied: SyncConnEntry[] = [];
  let detached = 0;
  const plane: DataPlaneHandle = {
    name: 'packet',
    onChanges: () => {},
    vipStatus: () => [],
    close: async () => {},
    attachSyncMaster: (s) => sinks.push(s),
    detachSyncMaster: () => {
      detached++;
    },
    ...(withApply ? { applySyncEntry: (e: SyncConnEntry) => applied.push(e) } : {}),
  };
  return { plane, sinks, applied, detached: () => detached };
}

function pair() {
  const net = new FakeSyncNetwork();
  const clock = new FakeClock(1_000_000);
  const port = (addr: string) =>
    createDirectorPort(8, syncServiceFactory({ transport: net.transport(addr), clock }));
  const m = port('192.0.2.1');
  const b = port('192.0.2.2');
  b.startDaemon?.({ state: 'backup', mcastInterface: 'eth0', syncId: 7 });
  m.startDaemon?.({ state: 'master', mcastInterface: 'eth0', syncId: 7 });
  return { net, clock, m, b };
}

const cports = (p: ReturnType<typeof createDirectorPort>, now: number) => p.conns(now).map((c) => c.cport);

describe('sync daemons joined to the data plane', () => {
  it('a master started before its plane exists is attached when the plane is bound, and its entries reach a plane-less backup table', async () => {
    const { net, clock, m, b } = pair();
    const mp = fakePlane(true);
    assert.equal(mp.sinks.length, 0);
    m.bindPlane(mp.plane);
    assert.equal(mp.sinks.length, 1, 'the running master attached to the plane');
    // The plane's SyncMaster passes its `now` second: it must not pick a sync thread.
    mp.sinks[0]!.add(V4_CONN, 1_000_001);
    mp.sinks[0]!.add(TEMPLATE, 1_000_001);
    assert.equal(net.sent.length, 0, 'a partly filled message waits for the flush');
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.equal(net.sent.length, 1);
    assert.equal(net.sent[0]!.port, 8848);
    // No plane on the backup (`--dataplane none`): the entries land in the core table, template too.
    assert.deepEqual(cports(b, clock.now()).sort(), [0, V4_CONN.cport].sort());
    m.stopDaemon?.('master');
    assert.equal(mp.detached(), 1);
  });

  it('a backup whose plane applies entries hands every entry to it, and the core table is left to the plane', async () => {
    const { clock, m, b } = pair();
    const mp = fakePlane(true);
    const bp = fakePlane(true);
    m.bindPlane(mp.plane);
    b.bindPlane(bp.plane);
    assert.equal(bp.sinks.length, 0, 'the backup runs no master');
    mp.sinks[0]!.add(V4_CONN);
    mp.sinks[0]!.add({ ...V4_CONN, cport: 40001 });
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.deepEqual(
      bp.applied.map((e) => e.cport),
      [40000, 40001],
    );
    assert.deepEqual(cports(b, clock.now()), []);
  });

  it('a plane without sync methods (the proxy plane) gets no sink; the master sends nothing and stops cleanly', async () => {
    const { net, clock, m } = pair();
    const plain: DataPlaneHandle = {
      name: 'proxy',
      onChanges: () => {},
      vipStatus: () => [],
      close: async () => {},
    };
    m.bindPlane(plain);
    await clock.advance(SYNC_FLUSH_MS * 2);
    assert.equal(net.sent.length, 0);
    m.stopDaemon?.('master');
    assert.equal(m.daemons().length, 0);
  });

  it('rebinding moves a running master from one plane to the next, and a stopped master attaches to none', () => {
    const { m } = pair();
    const p1 = fakePlane(true);
    const p2 = fakePlane(true);
    m.bindPlane(p1.plane);
    m.bindPlane(p2.plane);
    assert.equal(p1.detached(), 1);
    assert.equal(p2.sinks.length, 1);
    m.stopDaemon?.('master');
    assert.equal(p2.detached(), 1);
    const p3 = fakePlane(true);
    m.bindPlane(p3.plane);
    assert.equal(p3.sinks.length, 0);
  });
});

describe('sync_ports: several master threads, one receive socket per port on the backup', () => {
  it('the packet plane’s conns leave on port 8848 + (conn index & 3) with sync_ports 4, and a backup with four sockets creates every one', async () => {
    const net = new FakeSyncNetwork();
    const clock = new FakeClock(1_000_000);
    const port = (addr: string) =>
      createDirectorPort(8, syncServiceFactory({ transport: net.transport(addr), clock }));
    const m = port('192.0.2.1');
    const b = port('192.0.2.2');
    for (const p of [m, b]) p.setSysctl('sync_ports', 4);
    b.startDaemon?.({ state: 'backup', mcastInterface: 'eth0', syncId: 7 });
    m.startDaemon?.({ state: 'master', mcastInterface: 'eth0', syncId: 7 });
    assert.deepEqual(net.open, { senders: 4, receivers: 4 });
    // The master's plane: a real engine whose PlaneSync feeds the daemon's sink.
    const sim = lab();
    const ps = new PlaneSync(sim.engine);
    const plane: DataPlaneHandle = {
      name: 'packet',
      onChanges: () => {},
      vipStatus: () => [],
      close: async () => {},
      attachSyncMaster: (s) => ps.attachMaster(s),
      detachSyncMaster: () => ps.detachMaster(),
    };
    m.bindPlane(plane);
    const N = 12;
    for (let k = 0; k < N; k++) {
      for (const [flags, seq, len] of [
        ['S', 1000, 0],
        ['A', 1001, 0],
        ['PA', 1001, 10],
      ] as const) {
        const f = fromClient()
          .ipv4({ src: CLIENT, dst: VIP })
          .tcp({ sport: 43000 + k, dport: 81, flags, seq, ack: 5001 });
        run(sim, (len > 0 ? f.payload(len) : f).build());
      }
    }
    await clock.advance(SYNC_FLUSH_MS);
    // Which port carried which client port.
    const byPort = new Map<number, number[]>();
    for (const d of net.sent) {
      const cps = syncMessageCodec.decode(d.data, 0).entries.map((e: SyncConnEntry) => e.cport);
      byPort.set(d.port, [...(byPort.get(d.port) ?? []), ...cps]);
    }
    assert.deepEqual([...byPort.keys()].sort(), [8848, 8849, 8850, 8851]);
    const conns = sim.director.conns;
    for (const [p, cps] of byPort) {
      for (const cp of cps) {
        const i = conns.findIn(4, 6, w4(CLIENT), cp, w4(VIP), 81);
        assert.ok(i >= 0);
        assert.equal(p - 8848, i & 3, `conn ${i} (client port ${cp}) went on port ${p}`);
      }
    }
    assert.deepEqual(
      cports(b, clock.now()).sort(),
      Array.from({ length: N }, (_, k) => 43000 + k),
    );
  });
});
