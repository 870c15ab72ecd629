/**
 * GRE (RFC 2784, with RFC 2890 key and sequence). IPVS's `--tun-type gre` writes version 0,
 * protocol 0x0800/0x86DD, no key or sequence, and the checksum field only with `--tun-csum`.
 */
import { checkField, fail, need, PACKET_ERR, rd16, rd32, room, wr16, wr32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import type { Codec } from './codec.js';

/** Length of the base GRE header. */
export const GRE_LEN = 4;

const F_CSUM = 0x8000;
const F_KEY = 0x2000;
const F_SEQ = 0x1000;

/** A GRE version-0 header; optional fields are present when defined. */
export interface GreHeader {
  /** EtherType of the payload. */
  readonly protocol: number;
  /** Present (C bit) when defined; written as given, see {@link fillGreChecksum}. */
  readonly checksum?: number | undefined;
  readonly key?: number | undefined;
  readonly seq?: number | undefined;
}

/** Bytes the header takes: 4, plus 4 for each of checksum, key, sequence. */
export function encodingLengthGre(h: GreHeader): number {
  return (
    GRE_LEN +
    (h.checksum !== undefined ? 4 : 0) +
    (h.key !== undefined ? 4 : 0) +
    (h.seq !== undefined ? 4 : 0)
  );
}

/** Decodes a GRE header; versions other than 0 (1 is PPTP) are ERR_PACKET_BAD_VERSION. */
export function decodeGre(buf: Uint8Array, off: number): GreHeader {
  need(buf, off, GRE_LEN, 'gre');
  const f = rd16(buf, off);
  if ((f & 7) !== 0) fail(PACKET_ERR.BAD_VERSION, `gre: version ${f & 7}`);
  let p = off + GRE_LEN;
  const n = ((f & F_CSUM) !== 0 ? 4 : 0) + ((f & F_KEY) !== 0 ? 4 : 0) + ((f & F_SEQ) !== 0 ? 4 : 0);
  need(buf, off, GRE_LEN + n, 'gre fields');
  let checksum: number | undefined;
  let key: number | undefined;
  let seq: number | undefined;
  if (f & F_CSUM) {
    checksum = rd16(buf, p);
    p += 4;
  }
  if (f & F_KEY) {
    key = rd32(buf, p);
    p += 4;
  }
  if (f & F_SEQ) seq = rd32(buf, p);
  return { protocol: rd16(buf, off + 2), checksum, key, seq };
}

/** Encodes a GRE header (reserved1 after the checksum is written as 0); returns bytes written. */
export function encodeGre(h: GreHeader, buf: Uint8Array, off: number): number {
  checkField(h.protocol, 0xffff, 'gre protocol');
  const len = encodingLengthGre(h);
  room(buf, off, len, 'gre');
  let f = 0;
  let p = off + GRE_LEN;
  if (h.checksum !== undefined) {
    checkField(h.checksum, 0xffff, 'gre checksum');
    f |= F_CSUM;
    wr16(buf, p, h.checksum);
    wr16(buf, p + 2, 0);
    p += 4;
  }
  if (h.key !== undefined) {
    checkField(h.key, 0xffffffff, 'gre key');
    f |= F_KEY;
    wr32(buf, p, h.key);
    p += 4;
  }
  if (h.seq !== undefined) {
    checkField(h.seq, 0xffffffff, 'gre seq');
    f |= F_SEQ;
    wr32(buf, p, h.seq);
  }
  wr16(buf, off, f);
  wr16(buf, off + 2, h.protocol);
  return len;
}

/** Computes and writes the GRE checksum over header and payload [off, end) (RFC 2784 §2.5); header must have C set. */
export function fillGreChecksum(buf: Uint8Array, off: number, end: number): number {
  if ((rd16(buf, off) & F_CSUM) === 0) fail(PACKET_ERR.BAD_FIELD, 'gre: no checksum field');
  wr16(buf, off + 4, 0);
  const c = internetChecksum(buf, off, end - off);
  wr16(buf, off + 4, c);
  return c;
}

/** The GRE version-0 header as a {@link Codec}. */
export const greCodec: Codec<GreHeader> = {
  name: 'gre',
  extent: 'self',
  decode: decodeGre,
  encode: encodeGre,
  encodingLength: encodingLengthGre,
};
