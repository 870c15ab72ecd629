/**
 * codecSyncProtocol, the production protocol behind the sync daemons: the master's entries are
 * built into messages of at most maxLen bytes (a full one goes out at once, the rest at the
 * flush), per thread, with the syncid and version; the backup reads each datagram with its
 * syncid, applies the entries in order and reports the kernel's drop reasons.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codecSyncProtocol, type SyncEntrySink } from '../../src/daemon/sync/sync-protocol.js';
import { SyncMessageBuilder } from '../../src/sync/sync-builder.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SYNC_RX } from '../../src/sync/sync-error.js';
import { SYNC_FLUSH_TIME_MS } from '../../src/sync/sync-outbox.js';
import { V4_CONN, V6_CONN } from '../sync/sync-fixtures.js';

function masterRig(cfg: { maxLen?: number; threads?: number; version?: 0 | 1; syncId?: number } = {}) {
  let sink: SyncEntrySink | undefined;
  let detached = false;
  const proto = codecSyncProtocol({
    attachMaster: (s) => {
      sink = s;
      return () => {
        detached = true;
      };
    },
    applyEntry: () => assert.fail('master only'),
  });
  const out: { data: Uint8Array; thread: number }[] = [];
  const clock = { now: 0, qlenMax: 8192 };
  const side = proto.startMaster(
    {
      syncId: cfg.syncId ?? 9,
      maxLen: cfg.maxLen ?? 1472,
      version: cfg.version ?? 1,
      threads: cfg.threads ?? 1,
    },
    {
      // The daemon takes what a thread queued as soon as it is told (its socket never busy here).
      ready: (thread) => {
        for (let d = side.next(thread); d; d = side.next(thread)) out.push({ data: d, thread });
      },
      now: () => clock.now,
      qlenMax: () => clock.qlenMax,
    },
  );
  return { proto, side, out, clock, sink: () => sink!, detached: () => detached };
}

const decode = (d: Uint8Array) => syncMessageCodec.decode(d, 0);

describe('codecSyncProtocol: master', () => {
  it('holds entries until their message is 2 seconds old on the daemon clock, then sends one message with our syncid', () => {
    const m = masterRig();
    m.clock.now = 1000;
    m.sink().add(V4_CONN);
    m.clock.now = 2500;
    m.sink().add(V6_CONN);
    assert.equal(m.out.length, 0);
    m.side.flush(2999);
    assert.equal(m.out.length, 0, 'aged from the first entry: 1999 ms');
    m.side.flush(3000);
    assert.equal(m.out.length, 1);
    const msg = decode(m.out[0]!.data);
    assert.deepEqual([msg.syncId, msg.version, msg.entries], [9, 1, [V4_CONN, V6_CONN]]);
    m.side.flush(10_000);
    assert.equal(m.out.length, 1, 'nothing pending, nothing sent');
    assert.equal(m.proto.counters.entriesOut, 2);
  });

  it('sends a message as soon as the next entry would pass maxLen', () => {
    // 8-byte header + 36-byte IPv4 entries: 3 fit in 116 bytes, the fourth starts a new message.
    const m = masterRig({ maxLen: 116 });
    for (let i = 0; i < 4; i++) m.sink().add({ ...V4_CONN, cport: 1000 + i });
    assert.equal(m.out.length, 1);
    assert.equal(m.out[0]!.data.length, 116);
    assert.deepEqual(
      decode(m.out[0]!.data).entries.map((e: SyncConnEntry) => e.cport),
      [1000, 1001, 1002],
    );
    m.side.flush(SYNC_FLUSH_TIME_MS);
    assert.deepEqual(
      decode(m.out[1]!.data).entries.map((e: SyncConnEntry) => e.cport),
      [1003],
    );
  });

  it('puts each conn in the message of its thread (the conn index masked by the thread count), every update of a conn on the same thread', () => {
    const m = masterRig({ threads: 4 });
    // Conns 0..9 (the conn index is add's second argument), each added twice.
    for (const round of [0, 1])
      for (let c = 0; c < 10; c++) m.sink().add({ ...V4_CONN, cport: 1000 + c, timeoutS: 100 + round }, c);
    m.side.flush(SYNC_FLUSH_TIME_MS);
    assert.deepEqual(
      m.out.map((o) => o.thread),
      [0, 1, 2, 3],
    );
    for (const o of m.out) {
      const cports = decode(o.data).entries.map((e: SyncConnEntry) => e.cport - 1000);
      assert.ok(cports.length > 0);
      assert.ok(
        cports.every((c: number) => c % 4 === o.thread),
        `thread ${o.thread} carried conns ${cports}`,
      );
    }
    const all = m.out.flatMap((o) => decode(o.data).entries.map((e: SyncConnEntry) => e.cport));
    assert.equal(all.length, 20);
    // With one thread, or for an entry of no conn, everything goes on thread 0.
    const one = masterRig({ threads: 1 });
    one.sink().add(V4_CONN, 7);
    one.sink().add(V6_CONN);
    one.side.flush(SYNC_FLUSH_TIME_MS);
    assert.deepEqual(
      one.out.map((o) => [o.thread, decode(o.data).entries.length]),
      [[0, 2]],
    );
  });

  it('keeps one message per thread and sends each on its own thread', () => {
    const m = masterRig({ threads: 2 });
    m.sink().add({ ...V4_CONN, cport: 1 }, 1);
    m.sink().add({ ...V4_CONN, cport: 2 }, 0);
    m.side.flush(SYNC_FLUSH_TIME_MS);
    assert.deepEqual(
      m.out.map((o) => [o.thread, decode(o.data).entries[0]?.cport]),
      [
        [0, 2],
        [1, 1],
      ],
    );
  });

  it('version 0 sends version 0 messages and no IPv6 entries', () => {
    const m = masterRig({ version: 0 });
    m.sink().add(V4_CONN);
    m.sink().add(V6_CONN);
    m.side.flush(SYNC_FLUSH_TIME_MS);
    const msg = decode(m.out[0]!.data);
    assert.equal(msg.version, 0);
    assert.equal(msg.entries.length, 1);
  });

  it('counts an entry the builder refuses and goes on', () => {
    const m = masterRig();
    m.sink().add({ ...V4_CONN, cport: 70000 });
    m.sink().add(V4_CONN);
    m.side.flush(SYNC_FLUSH_TIME_MS);
    assert.equal(m.proto.counters.badEntries, 1);
    assert.equal(decode(m.out[0]!.data).entries.length, 1);
  });

  it('close detaches the master logic and drops what is buffered', () => {
    const m = masterRig();
    m.sink().add(V4_CONN);
    m.side.close();
    assert.equal(m.detached(), true);
    m.sink().add(V4_CONN);
    m.side.flush(SYNC_FLUSH_TIME_MS);
    assert.equal(m.out.length, 0);
  });

  it("drops a finished message when its thread's queue holds sync_qlen_max (read live) and counts it", () => {
    // 3 IPv4 entries per 116-byte message; the rig takes each queued message at once.
    const m = masterRig({ maxLen: 116 });
    m.clock.qlenMax = 0;
    for (let i = 0; i < 4; i++) m.sink().add({ ...V4_CONN, cport: 1000 + i });
    assert.equal(m.side.queueDrops(), 1, 'qlen 0: the full message is dropped');
    assert.equal(m.out.length, 0);
    m.clock.qlenMax = 1;
    for (let i = 0; i < 3; i++) m.sink().add({ ...V4_CONN, cport: 2000 + i });
    assert.equal(m.side.queueDrops(), 1);
    assert.equal(m.out.length, 1);
  });
});

describe('codecSyncProtocol: backup', () => {
  const datagram = (syncId: number, entries: SyncConnEntry[]) => {
    const b = new SyncMessageBuilder({ syncId });
    for (const e of entries) b.add(e);
    return b.flush()!;
  };
  const backupRig = (syncId: number) => {
    const applied: [SyncConnEntry, number][] = [];
    const drops: string[] = [];
    const proto = codecSyncProtocol({
      attachMaster: () => () => {},
      applyEntry: (e, now) => applied.push([e, now]),
      onRxDrop: (c) => drops.push(c),
    });
    const side = proto.startBackup({ syncId, maxLen: 1472, version: 1, threads: 1 });
    return { proto, side, applied, drops };
  };

  it('applies every entry of a datagram in order, at the time it arrived', () => {
    const b = backupRig(9);
    b.side.onDatagram(datagram(9, [V4_CONN, V6_CONN]), 1234);
    assert.deepEqual(b.applied, [
      [V4_CONN, 1234],
      [V6_CONN, 1234],
    ]);
    assert.deepEqual(b.drops, []);
  });

  it('drops another syncid and reports why; syncid 0 accepts every syncid', () => {
    const b = backupRig(9);
    b.side.onDatagram(datagram(8, [V4_CONN]), 0);
    assert.deepEqual(b.applied, []);
    assert.deepEqual(b.drops, [SYNC_RX.WRONG_SYNCID]);
    assert.equal(b.proto.counters.rxDrops, 1);
    const any = backupRig(0);
    any.side.onDatagram(datagram(8, [V4_CONN]), 0);
    assert.equal(any.applied.length, 1);
  });

  it('drops a truncated datagram without applying anything', () => {
    const b = backupRig(9);
    const d = datagram(9, [V4_CONN]);
    b.side.onDatagram(d.subarray(0, d.length - 4), 0);
    assert.deepEqual(b.applied, []);
    assert.deepEqual(b.drops, [SYNC_RX.BAD_SIZE]);
  });
});
