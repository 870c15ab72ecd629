import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Settings } from '../../src/core/settings.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SYNC_FLUSH_TIME_MS, SyncOutbox } from '../../src/sync/sync-outbox.js';
import { V4_CONN } from './sync-fixtures.js';

const conn = (i: number): SyncConnEntry => ({ ...V4_CONN, cport: 1000 + i });
const cports = (d: Uint8Array): number[] => syncMessageCodec.decode(d, 0).entries.map((e) => e.cport);

describe('SyncOutbox', () => {
  it('queues a buffer when the next entry does not fit (1472 bytes: 40 IPv4 conns) and drain hands it over once', () => {
    const o = new SyncOutbox({ syncId: 9 });
    for (let i = 0; i < 41; i++) o.add(conn(i), 1000);
    assert.equal(o.queued(), 1);
    assert.equal(o.pending(), 1);
    const [d, ...rest] = o.drain();
    assert.deepEqual(rest, []);
    assert.ok(d);
    assert.equal(syncMessageCodec.decode(d, 0).syncId, 9);
    assert.deepEqual(
      cports(d),
      Array.from({ length: 40 }, (_, i) => 1000 + i),
    );
    assert.deepEqual(o.drain(), [], 'drained datagrams are gone');
    assert.equal(o.counters.entries, 41);
  });

  it('drops full buffers beyond sync_qlen_max and counts them, as sb_queue_tail() does', () => {
    const s = new Settings();
    s.set('sync_qlen_max', 2);
    // maxlen 8 + 2 * 36: two entries per datagram.
    const o = new SyncOutbox({ syncId: 1, maxLen: 80, qlenMax: () => s.get('sync_qlen_max') });
    for (let i = 0; i < 9; i++) o.add(conn(i), 0);
    // Four buffers finished (entries 0-1, 2-3, 4-5, 6-7); the queue keeps the first two.
    assert.equal(o.counters.dropped, 2);
    assert.equal(o.counters.queued, 2);
    assert.deepEqual(o.drain().map(cports), [
      [1000, 1001],
      [1002, 1003],
    ]);
  });

  it('with sync_qlen_max 0 every finished buffer is dropped (sb_queue_tail() compares the length alone), and the flush still sends', () => {
    const s = new Settings();
    s.set('sync_qlen_max', 0);
    const o = new SyncOutbox({ syncId: 1, maxLen: 80, qlenMax: () => s.get('sync_qlen_max') });
    for (let i = 0; i < 5; i++) o.add(conn(i), 0);
    assert.equal(o.counters.queued, 0);
    assert.equal(o.counters.dropped, 2);
    assert.equal(o.flushDue(SYNC_FLUSH_TIME_MS), true);
    assert.deepEqual(o.drain().map(cports), [[1004]]);
  });

  it('next() takes the queue one datagram at a time, oldest first, and clear() releases the rest and the open buffer', () => {
    const o = new SyncOutbox({ syncId: 1, maxLen: 80 });
    for (let i = 0; i < 7; i++) o.add(conn(i), 0);
    assert.equal(o.queued(), 3);
    assert.deepEqual(cports(o.next()!), [1000, 1001]);
    assert.equal(o.queued(), 2);
    assert.equal(o.clear(), 2);
    assert.equal(o.next(), undefined);
    assert.equal(o.pending(), 0);
    assert.equal(o.flushDue(SYNC_FLUSH_TIME_MS), false, 'the open buffer went with clear()');
  });

  it('flushes a partly filled buffer only once it is two seconds old, counted from its first entry', () => {
    const o = new SyncOutbox({ syncId: 1 });
    assert.equal(o.flushDue(10_000), false, 'nothing open');
    o.add(conn(0), 10_000);
    o.add(conn(1), 11_500);
    assert.equal(o.flushDue(10_000 + SYNC_FLUSH_TIME_MS - 1), false);
    assert.equal(o.queued(), 0);
    assert.equal(o.flushDue(10_000 + SYNC_FLUSH_TIME_MS), true);
    assert.deepEqual(o.drain().map(cports), [[1000, 1001]]);
    assert.equal(o.counters.flushed, 1);
    assert.equal(o.flushDue(20_000), false, 'the next buffer has not begun');
    // A buffer begun after a full one was queued is aged from the entry that began it.
    const o2 = new SyncOutbox({ syncId: 1, maxLen: 80 });
    o2.add(conn(0), 0);
    o2.add(conn(1), 0);
    o2.add(conn(2), 5_000);
    assert.equal(o2.flushDue(5_000 + SYNC_FLUSH_TIME_MS - 1), false);
    assert.equal(o2.flushDue(5_000 + SYNC_FLUSH_TIME_MS), true);
    assert.deepEqual(o2.drain().map(cports), [[1000, 1001], [1002]]);
  });

  it('a flushed buffer is queued even when the queue is at sync_qlen_max (the kernel sends it directly)', () => {
    const s = new Settings();
    s.set('sync_qlen_max', 1);
    const o = new SyncOutbox({ syncId: 1, maxLen: 80, qlenMax: () => s.get('sync_qlen_max') });
    for (let i = 0; i < 3; i++) o.add(conn(i), 0);
    assert.equal(o.queued(), 1);
    assert.equal(o.flushDue(SYNC_FLUSH_TIME_MS), true);
    assert.equal(o.queued(), 2);
    assert.equal(o.counters.dropped, 0);
  });

  it('counts an entry the wire format cannot carry and keeps the open buffer as it was', () => {
    const o = new SyncOutbox({ syncId: 1 });
    o.add(conn(0), 0);
    o.add({ ...V4_CONN, state: 0x10000 }, 0);
    assert.equal(o.counters.invalid, 1);
    assert.equal(o.pending(), 1);
    assert.equal(o.flush(), true);
    assert.deepEqual(o.drain().map(cports), [[1000]]);
  });
});

describe('SyncOutbox (fast-check)', () => {
  it('every entry comes out exactly once, in order, in datagrams no longer than maxlen; with a bound, dropped datagrams are the only loss', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.boolean()), { maxLength: 300 }),
        fc.integer({ min: 44, max: 1472 }),
        fc.integer({ min: 0, max: 6 }),
        (steps, maxLen, qlen) => {
          const s = new Settings();
          s.set('sync_qlen_max', qlen);
          const o = new SyncOutbox({ syncId: 2, maxLen, qlenMax: () => s.get('sync_qlen_max') });
          const out: number[][] = [];
          let now = 0;
          steps.forEach(([dt, drain], i) => {
            now += dt;
            o.add(conn(i), now);
            o.flushDue(now);
            if (drain) for (const d of o.drain()) out.push(cports(d));
          });
          o.flush();
          for (const d of o.drain()) out.push(cports(d));
          const got = out.flat();
          // Entries of one size: a full datagram holds perFull of them, and only full ones are dropped.
          const perFull = Math.max(1, Math.floor((maxLen - 8) / 36));
          for (let k = 1; k < got.length; k++) assert.ok(got[k]! > got[k - 1]!, 'in order');
          assert.equal(steps.length - got.length, o.counters.dropped * perFull);
          if (o.counters.dropped === 0)
            assert.deepEqual(
              got,
              steps.map((_, i) => 1000 + i),
            );
          assert.equal(o.counters.queued, out.length);
          assert.equal(o.counters.entries, steps.length);
          for (const d of out) assert.ok(d.length >= 1 && d.length <= perFull);
        },
      ),
      { numRuns: 200 },
    );
  });
});
