import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyncDatagram } from '../../src/sync/sync-datagram.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SYNC_RX, type SyncRxCode, syncRxSkipsEntryOnly } from '../../src/sync/sync-error.js';
import {
  FULLNAT_CONN,
  FULLNAT_CONN_BYTES,
  hex,
  PE_TEMPLATE,
  PE_TEMPLATE_BYTES,
  SEQ_CONN,
  SEQ_CONN_BYTES,
  TEMPLATE,
  TEMPLATE_BYTES,
  V4_CONN,
  V4_CONN_BYTES,
  V6_CONN,
  V6_CONN_BYTES,
} from './sync-fixtures.js';

const V4 = hex(V4_CONN_BYTES);

/** A version 1 datagram, syncid 5, of `parts` laid end to end; nr_conns `n`, size its length. */
function v1(parts: readonly Uint8Array[], n = parts.length, syncId = 5): Uint8Array {
  const len = 8 + parts.reduce((s, p) => s + p.length, 0);
  const b = new Uint8Array(len);
  b.set([0, syncId, len >> 8, len & 0xff, n, 1, 0, 0]);
  let o = 8;
  for (const p of parts) {
    b.set(p, o);
    o += p.length;
  }
  return b;
}

/** A version 0 datagram, syncid 5. */
function v0(parts: readonly Uint8Array[], n = parts.length): Uint8Array {
  const len = 4 + parts.reduce((s, p) => s + p.length, 0);
  const b = new Uint8Array(len);
  b.set([n, 5, len >> 8, len & 0xff]);
  let o = 4;
  for (const p of parts) {
    b.set(p, o);
    o += p.length;
  }
  return b;
}

/** `base` (a 36-byte v4 entry) followed by option bytes, ver_size set to the total. */
function withOpts(base: Uint8Array, ...opts: number[]): Uint8Array {
  const b = new Uint8Array(base.length + opts.length);
  b.set(base);
  b.set(opts, base.length);
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  return b;
}

/** A copy of `b` with the bytes at `off` replaced. */
function patch(b: Uint8Array, off: number, ...bytes: number[]): Uint8Array {
  const c = b.slice();
  c.set(bytes, off);
  return c;
}

const V0_PLAIN = hex('00 06 9c 40 00 50 1f 90 c0 00 02 0a c6 33 64 01 cb 00 71 05 00 03 00 01');
const V0_PLAIN_ENTRY: SyncConnEntry = { ...V4_CONN, fwmark: 0, timeoutS: 0 };

describe('parseSyncDatagram: accepted datagrams', () => {
  it('reads every entry of a version 1 datagram, with its syncid and version', () => {
    const d = v1([V4, hex(V6_CONN_BYTES), hex(TEMPLATE_BYTES), hex(FULLNAT_CONN_BYTES)]);
    const r = parseSyncDatagram(d, 5);
    assert.deepEqual(r, {
      syncId: 5,
      version: 1,
      entries: [V4_CONN, V6_CONN, TEMPLATE, FULLNAT_CONN],
      dropped: undefined,
      skippedEntries: [],
    });
  });

  it('steps over the padding after an entry whose size is not a multiple of 4', () => {
    const d = v1([hex(SEQ_CONN_BYTES), new Uint8Array(2), V4]);
    assert.deepEqual(parseSyncDatagram(d, 0).entries, [SEQ_CONN, V4_CONN]);
  });

  it('accepts every syncid when ours is 0', () => {
    const r = parseSyncDatagram(v1([V4], 1, 200), 0);
    assert.equal(r.syncId, 200);
    assert.deepEqual(r.entries, [V4_CONN]);
  });

  it('keeps a known PE template (sip) and skips an unknown optional option', () => {
    const d = v1([hex(PE_TEMPLATE_BYTES), withOpts(V4, 0x45, 2, 0xaa, 0xbb)]);
    const r = parseSyncDatagram(d, 5);
    assert.deepEqual(r.entries, [PE_TEMPLATE, V4_CONN]);
    assert.deepEqual(r.skippedEntries, []);
  });

  it('reads a version 0 datagram (no version 1 header) as version 0', () => {
    const r = parseSyncDatagram(v0([V0_PLAIN]), 5);
    assert.equal(r.version, 0);
    assert.deepEqual(r.entries, [V0_PLAIN_ENTRY]);
    assert.equal(r.dropped, undefined);
  });

  it('reads a 4-byte version 0 message of no conns as empty, not as a bad version', () => {
    assert.deepEqual(parseSyncDatagram(hex('00 05 00 04'), 5), {
      syncId: 5,
      version: 0,
      entries: [],
      dropped: undefined,
      skippedEntries: [],
    });
  });
});

interface Case {
  readonly code: SyncRxCode;
  readonly what: string;
  readonly d: Uint8Array;
  /** Entries kept (before a mid-message drop, or around a skipped one). */
  readonly kept: readonly SyncConnEntry[];
  readonly ours?: number;
  /** The kernel skips just this entry and reads on. */
  readonly skip?: boolean;
}

const cases: readonly Case[] = [
  { code: SYNC_RX.TOO_SHORT, what: 'a 3-byte datagram', d: hex('00 05 00'), kept: [] },
  {
    code: SYNC_RX.BAD_SIZE,
    what: 'a size one byte more than the datagram',
    d: patch(v1([V4]), 3, 45),
    kept: [],
  },
  { code: SYNC_RX.WRONG_SYNCID, what: 'syncid 5 at a backup with syncid 6', d: v1([V4]), kept: [], ours: 6 },
  { code: SYNC_RX.BAD_VERSION, what: 'header version byte 2', d: patch(v1([V4]), 5, 2), kept: [] },
  {
    code: SYNC_RX.BAD_VERSION,
    what: 'a version 1 header with spare 1',
    d: patch(v1([V4]), 6, 0, 1),
    kept: [],
  },
  { code: SYNC_RX.CONN_TRUNCATED, what: 'nr_conns 2 with one entry', d: v1([V4], 2), kept: [V4_CONN] },
  {
    code: SYNC_RX.CONN_OVERRUN,
    what: 'an entry size past the datagram',
    d: v1([V4, patch(V4, 3, 40)]),
    kept: [V4_CONN],
  },
  { code: SYNC_RX.CONN_VERSION, what: 'entry version 1 in ver_size', d: v1([patch(V4, 2, 0x10)]), kept: [] },
  { code: SYNC_RX.BAD_TYPE, what: 'entry type 2', d: v1([patch(V4, 0, 2)]), kept: [] },
  { code: SYNC_RX.CONN_SHORT, what: 'an IPv6 type on a 36-byte entry', d: v1([patch(V4, 0, 1)]), kept: [] },
  { code: SYNC_RX.OPT_TRUNCATED, what: 'one option byte', d: v1([withOpts(V4, 0x41)]), kept: [] },
  { code: SYNC_RX.OPT_BAD_LEN, what: 'a zero-length option', d: v1([withOpts(V4, 0x45, 0, 0, 0)]), kept: [] },
  {
    code: SYNC_RX.OPT_BAD_LEN,
    what: 'an option longer than its entry',
    d: v1([withOpts(V4, 0x45, 9, 0, 0)]),
    kept: [],
  },
  { code: SYNC_RX.SEQ_BAD_LEN, what: 'a 4-byte SEQ_DATA', d: v1([withOpts(V4, 1, 4, 0, 0, 0, 0)]), kept: [] },
  {
    code: SYNC_RX.OPT_DUPLICATE,
    what: 'PE_NAME twice',
    d: v1([withOpts(V4, 3, 2, 0x61, 0x62, 3, 2, 0x61, 0x62)]),
    kept: [],
  },
  {
    code: SYNC_RX.PE_TOO_LONG,
    what: 'a 17-byte PE_NAME',
    d: v1([withOpts(V4, 3, 17, ...new Array(17).fill(0x61))]),
    kept: [],
  },
  {
    code: SYNC_RX.LOCAL_BAD_LEN,
    what: 'our FULLNAT option with 4 bytes on an IPv4 entry',
    d: v1([withOpts(V4, 0x7f, 4, 1, 2, 3, 4)]),
    kept: [],
  },
  {
    code: SYNC_RX.V0_CONN_TRUNCATED,
    what: 'v0 nr_conns 2 with one entry',
    d: v0([V0_PLAIN], 2),
    kept: [V0_PLAIN_ENTRY],
  },
  {
    code: SYNC_RX.V0_OPT_TRUNCATED,
    what: 'v0 IN_SEQ without the sequence bytes',
    d: v0([patch(V0_PLAIN, 20, 0x04, 0x03)]),
    kept: [],
  },
  {
    code: SYNC_RX.UNKNOWN_MANDATORY,
    skip: true,
    what: 'option 5 without the 0x40 bit',
    d: v1([withOpts(V4, 5, 2, 0, 0), V4]),
    kept: [V4_CONN],
  },
  {
    code: SYNC_RX.BAD_PROTOCOL,
    skip: true,
    what: 'an ESP conn',
    d: v1([patch(V4, 1, 50), V4]),
    kept: [V4_CONN],
  },
  {
    code: SYNC_RX.BAD_PROTOCOL,
    skip: true,
    what: 'a v0 ESP conn',
    d: v0([patch(V0_PLAIN, 1, 50), V0_PLAIN]),
    kept: [V0_PLAIN_ENTRY],
  },
  {
    code: SYNC_RX.BAD_STATE,
    skip: true,
    what: 'TCP state 11',
    d: v1([patch(V4, 8, 0, 11), V4]),
    kept: [V4_CONN],
  },
  {
    code: SYNC_RX.PE_INVALID,
    skip: true,
    what: 'PE_DATA without PE_NAME',
    d: v1([withOpts(V4, 2, 2, 0x61, 0x62), V4]),
    kept: [V4_CONN],
  },
  {
    code: SYNC_RX.PE_UNKNOWN,
    skip: true,
    what: 'PE_DATA for engine "foo"',
    d: v1([withOpts(V4, 2, 1, 0x61, 3, 3, 0x66, 0x6f, 0x6f), V4]),
    kept: [V4_CONN],
  },
];

describe('parseSyncDatagram: one rejected datagram per kernel drop reason', () => {
  for (const c of cases) {
    const skips = c.skip === true;
    it(`${skips ? 'skips the entry' : 'drops'} on ${c.what}: ${c.code}`, () => {
      const r = parseSyncDatagram(c.d, c.ours ?? 5);
      assert.equal(syncRxSkipsEntryOnly(c.code), skips);
      assert.deepEqual(r.entries, c.kept);
      if (skips) {
        assert.equal(r.dropped, undefined);
        assert.deepEqual(r.skippedEntries, [c.code]);
      } else {
        assert.equal(r.dropped, c.code);
        assert.deepEqual(r.skippedEntries, []);
      }
    });
  }

  it('has a case for every SYNC_RX code', () => {
    assert.deepEqual(new Set(cases.map((c) => c.code)), new Set(Object.values(SYNC_RX)));
  });

  it('checks options before the protocol: a bad protocol entry with a zero-length option drops the rest', () => {
    const r = parseSyncDatagram(v1([withOpts(patch(V4, 1, 50), 0x45, 0, 0, 0), V4]), 5);
    assert.equal(r.dropped, SYNC_RX.OPT_BAD_LEN);
    assert.deepEqual(r.entries, []);
  });

  it('does not check a template state or protocol (a fwmark template has protocol 0)', () => {
    const t = patch(hex(TEMPLATE_BYTES), 8, 0, 99);
    assert.deepEqual(parseSyncDatagram(v1([t]), 5).entries, [{ ...TEMPLATE, state: 99 }]);
  });
});
