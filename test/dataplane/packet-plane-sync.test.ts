/**
 * The packet plane's sync side (plane-sync.ts, behind the handle's attachSyncMaster /
 * detachSyncMaster / applySync) driven through PlaneLoop and the fake driver: a master plane's
 * wire traffic fills the outbox, the datagrams go to a backup plane, and the backup's wire then
 * forwards the flow's mid-flow frames exactly as the master's did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlaneLoop } from '../../src/dataplane/packet-plane/plane-loop.js';
import { PlaneSync } from '../../src/dataplane/packet-plane/plane-sync.js';
import { FakeDriver } from '../../src/io/fake-driver.js';
import { SYNC_RX } from '../../src/sync/sync-error.js';
import { SyncOutbox } from '../../src/sync/sync-outbox.js';
import { SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { CLIENT, DIR_MAC, GW_MAC, lab, VIP } from '../engine/lab.js';
import { pkt } from '../helpers/packet-builder.js';

const MAC = new Uint8Array([2, 0, 0, 0, 0, 1]);
const NOW = 1_000_000;

function plane(sim: Simulation) {
  const wire = new FakeDriver({ ifindex: SIM_IFINDEX });
  const loop = new PlaneLoop(
    sim.engine,
    [{ ifindex: SIM_IFINDEX, name: 'eth0', mac: MAC, driver: wire }],
    () => NOW,
  );
  loop.start();
  return { sim, wire, loop, sync: new PlaneSync(sim.engine) };
}

const seg = (dport: number, sport: number, flags: string, seq: number, payload = 0) => {
  const t = pkt()
    .eth({ src: GW_MAC, dst: DIR_MAC })
    .ipv4({ src: CLIENT, dst: VIP })
    .tcp({ sport, dport, flags, seq, ack: 5001 });
  return payload > 0 ? t.payload(payload).build() : t.build();
};

/** Handshakes of `n` flows to each of NAT (80), DR (81) and FULLNAT (85). */
function traffic(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const port of [80, 81, 85])
    for (let i = 0; i < n; i++)
      out.push(
        seg(port, 30000 + i, 'S', 1000),
        seg(port, 30000 + i, 'A', 1001),
        seg(port, 30000 + i, 'PA', 1001, 64),
      );
  return out;
}

test('conns a master plane forwarded reach a backup plane through applySync, which then forwards their mid-flow frames identically', () => {
  const m = plane(lab());
  const b = plane(lab());
  const outbox = new SyncOutbox({ syncId: 3 });
  m.sync.attachMaster(outbox);
  assert.equal(m.sync.masterAttached, true);
  m.wire.inject(traffic(50));
  assert.equal(outbox.counters.entries, 150, 'one entry per flow, at its third packet');
  outbox.flushDue(NOW + 2000);
  const datagrams = outbox.drain();
  // 150 IPv4 entries (FULLNAT ones 8 bytes longer with the local-address option) need several datagrams.
  assert.ok(datagrams.length >= 4, `${datagrams.length} datagrams`);
  let created = 0;
  for (const d of datagrams) {
    const r = b.sync.apply(d, 3, NOW);
    assert.equal(r.dropped, undefined);
    assert.equal(r.ignored + r.skipped + r.unbound, 0);
    created += r.created;
  }
  assert.equal(created, 150);
  assert.equal(b.sync.counters.datagrams, datagrams.length);

  const mid: Uint8Array[] = [];
  for (const port of [80, 81, 85])
    for (let i = 0; i < 50; i++)
      mid.push(seg(port, 30000 + i, 'PA', 1065, 32), seg(port, 30000 + i, 'FA', 1097));
  const sentBefore = m.wire.sent.length;
  m.wire.inject(mid);
  b.wire.inject(mid);
  const fromMaster = m.wire.sent.slice(sentBefore).map((f) => f.toString('hex'));
  const fromBackup = b.wire.sent.map((f) => f.toString('hex'));
  assert.equal(fromBackup.length, 300);
  assert.deepEqual(fromBackup, fromMaster);
  m.loop.close();
  b.loop.close();
});

test('applySync drops and counts a datagram of another syncid, a truncated one and garbage, and the table does not change', () => {
  const m = plane(lab());
  const b = plane(lab());
  const outbox = new SyncOutbox({ syncId: 3 });
  m.sync.attachMaster(outbox);
  m.wire.inject(traffic(2));
  outbox.flush();
  const [d] = outbox.drain();
  assert.ok(d);
  const before = b.sync.counters.created;
  const count = () => b.sim.director.conns.count;
  const c0 = count();
  assert.equal(b.sync.apply(d, 4, NOW).dropped, SYNC_RX.WRONG_SYNCID);
  assert.equal(b.sync.apply(d.subarray(0, d.length - 5), 3, NOW).dropped, SYNC_RX.BAD_SIZE);
  assert.equal(b.sync.apply(new Uint8Array([1, 2]), 3, NOW).dropped, SYNC_RX.TOO_SHORT);
  assert.equal(count(), c0);
  assert.equal(b.sync.counters.created, before);
  assert.equal(b.sync.counters.droppedDatagrams, 3);
  // syncid 0 accepts every master's.
  assert.equal(b.sync.apply(d, 0, NOW).created, 6);
  assert.equal(count(), c0 + 6);
});

test('detachSyncMaster stops the plane feeding the outbox', () => {
  const m = plane(lab());
  const outbox = new SyncOutbox({ syncId: 3 });
  m.sync.attachMaster(outbox);
  m.sync.detachMaster();
  assert.equal(m.sync.masterAttached, false);
  m.wire.inject(traffic(5));
  assert.equal(outbox.counters.entries, 0);
  assert.ok(m.wire.sent.length > 0, 'the traffic itself was forwarded');
});
