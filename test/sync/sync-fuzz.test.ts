import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PacketError } from '../../src/packet/index.js';
import { SyncMessageBuilder } from '../../src/sync/sync-builder.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import { parseSyncDatagram } from '../../src/sync/sync-datagram.js';
import type { SyncConnEntry, SyncMessage } from '../../src/sync/sync-entry.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const addr4 = u32.map((n) => Uint32Array.of(n, 0, 0, 0));
const addr6 = fc.tuple(u32, u32, u32, u32).map((w) => Uint32Array.from(w));
const plain = { noNullPrototype: true } as const;
const seqArb = fc.record({ initSeq: u32, delta: u32, previousDelta: u32 }, plain);
const seqPair = fc.record({ in: seqArb, out: seqArb }, plain);

function entryV1(af: 4 | 6): fc.Arbitrary<SyncConnEntry> {
  const addr = af === 4 ? addr4 : addr6;
  return fc
    .record(
      {
        af: fc.constant(af),
        protocol: u8,
        flags: u32,
        state: u16,
        cport: u16,
        vport: u16,
        dport: u16,
        fwmark: u32,
        timeoutS: u32,
        caddr: addr,
        vaddr: addr,
        daddr: addr,
        seq: seqPair,
        peData: fc.uint8Array({ minLength: 1, maxLength: 255 }),
        peName: fc.array(u8, { minLength: 1, maxLength: 16 }).map((a) => String.fromCharCode(...a)),
        local: fc.record({ laddr: addr, lport: u16 }, plain),
      },
      {
        requiredKeys: [
          'af',
          'protocol',
          'flags',
          'state',
          'cport',
          'vport',
          'dport',
          'fwmark',
          'timeoutS',
          'caddr',
          'vaddr',
          'daddr',
        ],
      },
    )
    .map((e) => ({ ...e }));
}

/** What version 0 can carry: IPv4, 16-bit flags, sequence data exactly when the flags ask for it. */
const entryV0: fc.Arbitrary<SyncConnEntry> = fc
  .record({
    protocol: u8,
    flags: u16,
    state: u16,
    cport: u16,
    vport: u16,
    dport: u16,
    caddr: addr4,
    vaddr: addr4,
    daddr: addr4,
    seq: seqPair,
  })
  .map(({ seq, ...e }) => ({
    af: 4 as const,
    fwmark: 0,
    timeoutS: 0,
    ...e,
    ...(e.flags & 0x0600 ? { seq } : {}),
  }));

const messageV1: fc.Arbitrary<SyncMessage> = fc.record(
  {
    syncId: u8,
    version: fc.constant(1 as const),
    entries: fc.array(fc.oneof(entryV1(4), entryV1(6)), { maxLength: 8 }),
  },
  plain,
);
const messageV0: fc.Arbitrary<SyncMessage> = fc.record(
  {
    syncId: u8,
    version: fc.constant(0 as const),
    entries: fc.array(entryV0, { maxLength: 8 }),
  },
  plain,
);
const message = fc.oneof(messageV1, messageV0);

function encode(m: SyncMessage): Uint8Array {
  const out = new Uint8Array(syncMessageCodec.encodingLength(m));
  syncMessageCodec.encode(m, out, 0);
  return out;
}

/** Decodes, accepting only a PacketError as failure. */
function decodeOrPacketError(b: Uint8Array): void {
  try {
    syncMessageCodec.decode(b, 0);
  } catch (e) {
    assert.ok(e instanceof PacketError, String(e));
  }
}

/** A valid datagram with some bytes overwritten, cut short or extended. */
const mutated = fc
  .tuple(message, fc.array(fc.tuple(fc.nat(), u8), { maxLength: 6 }), fc.integer({ min: -8, max: 4 }))
  .map(([m, writes, cut]) => {
    const b = encode(m);
    for (const [at, v] of writes) b[at % b.length] = v;
    if (cut < 0) return b.subarray(0, Math.max(0, b.length + cut));
    const longer = new Uint8Array(b.length + cut);
    longer.set(b);
    return longer;
  });

describe('sync codec and datagram walk under fast-check', () => {
  it('valid messages of both versions round-trip through the codec', () => {
    fc.assert(
      fc.property(message, (m) => {
        assert.deepEqual(syncMessageCodec.decode(encode(m), 0), m);
      }),
      { numRuns: 300 },
    );
  });

  it('the backup reads a valid datagram to its end, each entry kept or skipped', () => {
    fc.assert(
      fc.property(message, (m) => {
        const r = parseSyncDatagram(encode(m), 0);
        assert.equal(r.dropped, undefined);
        assert.equal(r.version, m.version);
        assert.equal(r.entries.length + r.skippedEntries.length, m.entries.length);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never make the walk or the codec throw anything but a PacketError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), u8, (b, ours) => {
        parseSyncDatagram(b, ours);
        decodeOrPacketError(b);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid datagrams never make the walk or the codec throw anything but a PacketError', () => {
    fc.assert(
      fc.property(mutated, (b) => {
        const r = parseSyncDatagram(b, 0);
        // A datagram dropped whole yields nothing; otherwise no more entries than nr_conns says.
        if (r.version === undefined) {
          assert.notEqual(r.dropped, undefined);
          assert.equal(r.entries.length, 0);
        } else {
          const n = r.version === 1 ? b[4]! : b[0]!;
          assert.ok(r.entries.length + r.skippedEntries.length <= n);
        }
        decodeOrPacketError(b);
      }),
      { numRuns: 500 },
    );
  });

  it('the builder splits any entry stream into datagrams that decode back to it, each within maxLen', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(entryV1(4), entryV1(6)), { maxLength: 40 }),
        fc.integer({ min: 100, max: 1472 }),
        (entries, maxLen) => {
          const b = new SyncMessageBuilder({ syncId: 9, maxLen });
          const out: Uint8Array[] = [];
          for (const e of entries) {
            const d = b.add(e);
            if (d) out.push(d);
          }
          const rest = b.flush();
          if (rest) out.push(rest);
          // Only a single entry too big for maxLen gets a longer message (ip_vs_sync_buff_create()).
          for (const d of out)
            assert.ok(d.length <= maxLen || syncMessageCodec.decode(d, 0).entries.length === 1);
          assert.deepEqual(
            out.flatMap((d) => syncMessageCodec.decode(d, 0).entries),
            entries,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
