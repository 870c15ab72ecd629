import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PACKET_ERR, PacketError } from '../../src/packet/index.js';
import { SYNC_DEFAULT_MAXLEN, SyncMessageBuilder } from '../../src/sync/sync-builder.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SEQ_CONN, V4_CONN, V6_CONN } from './sync-fixtures.js';

/** V4_CONN with client port `i`, so each datagram's entries can be told apart. */
const conn = (i: number): SyncConnEntry => ({ ...V4_CONN, cport: 1000 + i });

/** Adds `entries` and returns the datagrams finished along the way, then the flushed rest. */
function build(b: SyncMessageBuilder, entries: readonly SyncConnEntry[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    const d = b.add(e);
    if (d) out.push(d);
  }
  const rest = b.flush();
  if (rest) out.push(rest);
  return out;
}

describe('SyncMessageBuilder', () => {
  it('defaults to the kernel master maxlen 1472 (1500 - 20 - 8) and version 1', () => {
    assert.equal(SYNC_DEFAULT_MAXLEN, 1472);
    const b = new SyncMessageBuilder({ syncId: 3 });
    // 8 + 40 * 36 = 1448 fits; a 41st conn (1484) does not.
    for (let i = 0; i < 40; i++) assert.equal(b.add(conn(i)), undefined);
    assert.equal(b.pending(), 40);
    const d = b.add(conn(40));
    assert.ok(d);
    assert.equal(d.length, 1448);
    assert.equal(b.pending(), 1);
    const m = syncMessageCodec.decode(d, 0);
    assert.equal(m.version, 1);
    assert.equal(m.syncId, 3);
    assert.deepEqual(
      m.entries.map((e) => e.cport),
      Array.from({ length: 40 }, (_, i) => 1000 + i),
    );
  });

  it('fills a message up to exactly maxLen, and splits one byte below', () => {
    const exact = build(new SyncMessageBuilder({ syncId: 1, maxLen: 8 + 3 * 36 }), [0, 1, 2, 3].map(conn));
    assert.deepEqual(
      exact.map((d) => d.length),
      [116, 44],
    );
    const below = build(
      new SyncMessageBuilder({ syncId: 1, maxLen: 8 + 3 * 36 - 1 }),
      [0, 1, 2, 3].map(conn),
    );
    assert.deepEqual(
      below.map((d) => d.length),
      [80, 80],
    );
  });

  it('counts the padding before an entry when deciding whether it fits', () => {
    // SEQ conn (62) + 2 padding + 36 = 108 with the header.
    const fits = build(new SyncMessageBuilder({ syncId: 1, maxLen: 108 }), [SEQ_CONN, V4_CONN]);
    assert.equal(fits.length, 1);
    assert.deepEqual(syncMessageCodec.decode(fits[0]!, 0).entries, [SEQ_CONN, V4_CONN]);
    const split = build(new SyncMessageBuilder({ syncId: 1, maxLen: 107 }), [SEQ_CONN, V4_CONN]);
    assert.deepEqual(
      split.map((d) => d.length),
      [70, 44],
    );
  });

  it('writes what the codec writes for the same entries', () => {
    const entries = [V4_CONN, SEQ_CONN, V6_CONN, V4_CONN];
    const [d] = build(new SyncMessageBuilder({ syncId: 7 }), entries);
    const want = new Uint8Array(syncMessageCodec.encodingLength({ syncId: 7, version: 1, entries }));
    syncMessageCodec.encode({ syncId: 7, version: 1, entries }, want, 0);
    assert.deepEqual(d, want);
  });

  it('gives an entry larger than maxLen a message of its own, as ip_vs_sync_buff_create() sizes it', () => {
    const ds = build(new SyncMessageBuilder({ syncId: 1, maxLen: 20 }), [conn(0), conn(1)]);
    assert.deepEqual(
      ds.map((d) => d.length),
      [44, 44],
    );
  });

  it('flushes a partly filled message once, and nothing when empty', () => {
    const b = new SyncMessageBuilder({ syncId: 1 });
    assert.equal(b.flush(), undefined);
    b.add(conn(0));
    const d = b.flush();
    assert.ok(d);
    assert.equal(syncMessageCodec.decode(d, 0).entries.length, 1);
    assert.equal(b.pending(), 0);
    assert.equal(b.flush(), undefined);
  });

  it('never reuses a finished datagram buffer for the next message', () => {
    const b = new SyncMessageBuilder({ syncId: 1, maxLen: 44 });
    b.add(conn(0));
    const first = b.add(conn(1));
    assert.ok(first);
    const copy = first.slice();
    b.add(conn(2));
    b.flush();
    assert.deepEqual(first, copy);
  });

  it('stops at 255 conns, the most nr_conns can count', () => {
    const ds = build(
      new SyncMessageBuilder({ syncId: 1, maxLen: 0xffff }),
      Array.from({ length: 256 }, (_, i) => conn(i)),
    );
    assert.deepEqual(
      ds.map((d) => syncMessageCodec.decode(d, 0).entries.length),
      [255, 1],
    );
  });

  it('builds version 0 messages of 24-byte entries and drops IPv6 conns, as ip_vs_sync_conn_v0() does', () => {
    const b = new SyncMessageBuilder({ syncId: 2, version: 0 });
    assert.equal(b.add(V6_CONN), undefined);
    assert.equal(b.skippedIPv6(), 1);
    assert.equal(b.pending(), 0);
    // 4 + 61 * 24 = 1468 fits in 1472; the 62nd does not.
    const ds = build(
      b,
      Array.from({ length: 62 }, (_, i) => conn(i)),
    );
    assert.deepEqual(
      ds.map((d) => d.length),
      [1468, 28],
    );
    const m = syncMessageCodec.decode(ds[0]!, 0);
    assert.equal(m.version, 0);
    assert.equal(m.entries.length, 61);
  });

  it('refuses a bad entry and keeps the pending message intact', () => {
    const b = new SyncMessageBuilder({ syncId: 1, maxLen: 44 });
    b.add(conn(0));
    assert.throws(
      () => b.add({ ...V4_CONN, dport: 70000 }),
      (e: unknown) => e instanceof PacketError && e.code === PACKET_ERR.BAD_FIELD,
    );
    assert.equal(b.pending(), 1);
    const d = b.flush();
    assert.ok(d);
    assert.deepEqual(syncMessageCodec.decode(d, 0).entries, [conn(0)]);
  });

  it('refuses a syncid or maxlen out of range', () => {
    assert.throws(() => new SyncMessageBuilder({ syncId: 256 }), PacketError);
    assert.throws(() => new SyncMessageBuilder({ syncId: 0, maxLen: 0x10000 }), PacketError);
  });
});
