import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCodec, PACKET_ERR, PacketError } from '../../src/packet/index.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncConnEntry, SyncMessage } from '../../src/sync/sync-entry.js';
import {
  FULLNAT_CONN,
  FULLNAT_CONN_BYTES,
  FULLNAT6_CONN,
  FULLNAT6_CONN_BYTES,
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

function encode(m: SyncMessage): Uint8Array {
  const out = new Uint8Array(syncMessageCodec.encodingLength(m));
  assert.equal(syncMessageCodec.encode(m, out, 0), out.length);
  return out;
}

function throwsCode(f: () => unknown, code: string, what?: string): void {
  assert.throws(f, (e: unknown) => e instanceof PacketError && e.code === code, what);
}

const h8 = (n: number): string => n.toString(16).padStart(2, '0');
/** A version 1 header, syncid 5, written out: reserved 0, syncid, size, nr_conns, version 1, spare 0. */
const v1Header = (size: number, n: number): string =>
  `00 05 ${h8(size >> 8)} ${h8(size & 0xff)} ${h8(n)} 01 00 00`;

const singles: ReadonlyArray<[string, SyncConnEntry, string, number]> = [
  ['an IPv4 conn', V4_CONN, V4_CONN_BYTES, 36],
  ['an IPv6 conn', V6_CONN, V6_CONN_BYTES, 72],
  ['a fwmark persistence template', TEMPLATE, TEMPLATE_BYTES, 36],
  ['a conn with the SEQ_DATA option', SEQ_CONN, SEQ_CONN_BYTES, 62],
  ['a FULLNAT conn with our local-address option', FULLNAT_CONN, FULLNAT_CONN_BYTES, 44],
  ['an IPv6 FULLNAT conn', FULLNAT6_CONN, FULLNAT6_CONN_BYTES, 92],
  ['a SIP template with PE_DATA and PE_NAME', PE_TEMPLATE, PE_TEMPLATE_BYTES, 48],
];

describe('sync message codec: golden version 1 datagrams', () => {
  for (const [what, entry, bytes, len] of singles) {
    const golden = hex(`${v1Header(8 + len, 1)} ${bytes}`);
    const m: SyncMessage = { syncId: 5, version: 1, entries: [entry] };
    it(`encodes ${what} byte for byte as ip_vs_sync_conn() does`, () => {
      assert.equal(golden.length, 8 + len);
      assert.deepEqual(encode(m), golden);
    });
    it(`decodes ${what} from the kernel's bytes`, () => {
      assert.deepEqual(syncMessageCodec.decode(golden, 0), m);
    });
  }

  it('pads each entry after the first to 4 bytes, and not the last', () => {
    // 8 + 62 (SEQ conn) + 2 padding + 36 = 108.
    const golden = hex(`${v1Header(108, 2)} ${SEQ_CONN_BYTES} 00 00 ${V4_CONN_BYTES}`);
    const m: SyncMessage = { syncId: 5, version: 1, entries: [SEQ_CONN, V4_CONN] };
    assert.deepEqual(encode(m), golden);
    assert.deepEqual(syncMessageCodec.decode(golden, 0), m);
  });

  it('carries IPv4, IPv6, template and FULLNAT entries in one message', () => {
    const golden = hex(
      `${v1Header(196, 4)} ${V4_CONN_BYTES} ${V6_CONN_BYTES} ${TEMPLATE_BYTES} ${FULLNAT_CONN_BYTES}`,
    );
    const m: SyncMessage = { syncId: 5, version: 1, entries: [V4_CONN, V6_CONN, TEMPLATE, FULLNAT_CONN] };
    assert.deepEqual(encode(m), golden);
    assert.deepEqual(syncMessageCodec.decode(golden, 0), m);
  });

  it('an empty message is the bare 8-byte header', () => {
    assert.deepEqual(encode({ syncId: 9, version: 1, entries: [] }), hex('00 09 00 08 00 01 00 00'));
  });
});

describe('sync message codec: golden version 0 datagrams', () => {
  // struct ip_vs_sync_conn_v0: reserved, protocol, cport, vport, dport, caddr, vaddr, daddr, flags, state.
  const v0Plain = `00 06 9c 40 00 50 1f 90 c0 00 02 0a c6 33 64 01 cb 00 71 05
    00 03 00 01 # flags DROUTE (16 bits), state ESTABLISHED`;
  const v0Seq = `00 06 9c 40 00 50 1f 90 c0 00 02 0a c6 33 64 01 cb 00 71 05
    06 00 00 01 # flags IN_SEQ | OUT_SEQ
    44 33 22 11 10 00 00 00 08 00 00 00 # in_seq memcpy()d in host (little-endian) order
    88 77 66 55 f0 ff ff ff f8 ff ff ff # out_seq`;
  const golden = hex(`02 05 00 4c # nr_conns 2, syncid 5, size 4 + 24 + 48 = 76
    ${v0Plain}
    ${v0Seq}`);

  it('encodes IPv4 conns, with and without sequence data, as ip_vs_sync_conn_v0() does', () => {
    assert.deepEqual(encode({ syncId: 5, version: 0, entries: [V4_CONN, SEQ_CONN] }), golden);
  });

  it('decodes them with fwmark and timeout 0, which version 0 does not carry', () => {
    assert.deepEqual(syncMessageCodec.decode(golden, 0), {
      syncId: 5,
      version: 0,
      entries: [
        { ...V4_CONN, fwmark: 0, timeoutS: 0 },
        { ...SEQ_CONN, fwmark: 0, timeoutS: 0 },
      ],
    });
  });

  it('refuses an IPv6 conn, which has no version 0 form', () => {
    throwsCode(() => encode({ syncId: 5, version: 0, entries: [V6_CONN] }), PACKET_ERR.BAD_FIELD);
  });
});

describe('sync message codec: the Codec contract', () => {
  const one = hex(`${v1Header(44, 1)} ${V4_CONN_BYTES}`);

  it('is a self-delimited Codec: decode stops at the header size whatever follows', () => {
    assert.ok(isCodec(syncMessageCodec));
    assert.equal(syncMessageCodec.extent, 'self');
    const buf = new Uint8Array(3 + one.length + 5).fill(0xee);
    buf.set(one, 3);
    assert.deepEqual(syncMessageCodec.decode(buf, 3).entries, [V4_CONN]);
  });

  it('throws ERR_PACKET_TRUNCATED when the buffer is shorter than the header or the size', () => {
    throwsCode(() => syncMessageCodec.decode(one.subarray(0, 3), 0), PACKET_ERR.TRUNCATED);
    throwsCode(() => syncMessageCodec.decode(one.subarray(0, 43), 0), PACKET_ERR.TRUNCATED);
  });

  it('throws ERR_PACKET_TRUNCATED when an entry runs past the size', () => {
    const b = one.slice();
    b[8 + 3] = 48; // ver_size 48 > 36 bytes left
    throwsCode(() => syncMessageCodec.decode(b, 0), PACKET_ERR.TRUNCATED);
  });

  it('throws ERR_PACKET_BAD_LENGTH for bytes after the last entry', () => {
    const b = hex(`${v1Header(48, 1)} ${V4_CONN_BYTES} 00 00 00 00`);
    throwsCode(() => syncMessageCodec.decode(b, 0), PACKET_ERR.BAD_LENGTH);
  });

  it('throws ERR_PACKET_BAD_VERSION for a header version other than 1, or a non-zero spare', () => {
    throwsCode(
      () => syncMessageCodec.decode(hex(`00 05 00 2c 01 02 00 00 ${V4_CONN_BYTES}`), 0),
      PACKET_ERR.BAD_VERSION,
    );
    throwsCode(
      () => syncMessageCodec.decode(hex(`00 05 00 2c 01 01 00 01 ${V4_CONN_BYTES}`), 0),
      PACKET_ERR.BAD_VERSION,
    );
  });

  it('throws ERR_PACKET_BAD_VERSION for an entry version other than 0', () => {
    const b = one.slice();
    b[8 + 2] = 0x10;
    throwsCode(() => syncMessageCodec.decode(b, 0), PACKET_ERR.BAD_VERSION);
  });

  it('throws ERR_PACKET_BAD_OPTION for an unknown mandatory option, and skips an unknown optional one', () => {
    const mandatory = hex(
      `${v1Header(48, 1)} 00 06 00 28 ${V4_CONN_BYTES.slice(V4_CONN_BYTES.indexOf('00 00 00 03'))} 05 02 00 00`,
    );
    throwsCode(() => syncMessageCodec.decode(mandatory, 0), PACKET_ERR.BAD_OPTION);
    const optional = mandatory.slice();
    optional[44] = 0x45;
    assert.deepEqual(syncMessageCodec.decode(optional, 0).entries, [V4_CONN]);
  });

  it('refuses to encode fields that do not fit their wire width', () => {
    const bad: Array<[string, SyncMessage]> = [
      ['syncid 256', { syncId: 256, version: 1, entries: [] }],
      ['cport 65536', { syncId: 0, version: 1, entries: [{ ...V4_CONN, cport: 65536 }] }],
      ['an empty PE name', { syncId: 0, version: 1, entries: [{ ...PE_TEMPLATE, peName: '' }] }],
      ['a 17-byte PE name', { syncId: 0, version: 1, entries: [{ ...PE_TEMPLATE, peName: 'x'.repeat(17) }] }],
      ['empty PE data', { syncId: 0, version: 1, entries: [{ ...PE_TEMPLATE, peData: new Uint8Array(0) }] }],
      ['256 conns', { syncId: 0, version: 1, entries: Array(256).fill(V4_CONN) }],
    ];
    for (const [what, m] of bad) throwsCode(() => encode(m), PACKET_ERR.BAD_FIELD, what);
  });

  it('throws ERR_PACKET_NO_SPACE when the output buffer is too small', () => {
    const m: SyncMessage = { syncId: 5, version: 1, entries: [V4_CONN] };
    throwsCode(() => syncMessageCodec.encode(m, new Uint8Array(43), 0), PACKET_ERR.NO_SPACE);
  });
});
