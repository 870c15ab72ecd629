/**
 * Generic UDP Encapsulation, variant 0 (draft-ietf-intarea-gue §3.1): a 4-byte header after UDP,
 * `ver(2) C(1) hlen(5) | proto(8) | flags(16)`, then hlen 32-bit words of extension fields.
 * ipvs_gue_encap writes version 0, C 0, proto 4 or 41, and hlen 0 unless remote checksum offload.
 */
import { checkField, copyBytes, fail, need, PACKET_ERR, rd16, room, wr16 } from './bytes.js';
import type { Codec } from './codec.js';

/** Length of the GUE base header. */
export const GUE_LEN = 4;

/** A GUE variant-0 header. */
export interface GueHeader {
  /** C bit: a control message (then `proto` is a ctype). */
  readonly control: boolean;
  /** Inner IP protocol (4 or 41 for IPVS) or control type. */
  readonly proto: number;
  readonly flags: number;
  /** Extension fields, hlen * 4 bytes. */
  readonly fields: Uint8Array;
}

/** Bytes the header takes: 4 plus the extension fields. */
export function encodingLengthGue(h: GueHeader): number {
  return GUE_LEN + h.fields.length;
}

/** Decodes a GUE header; any version other than 0 is ERR_PACKET_BAD_VERSION. */
export function decodeGue(buf: Uint8Array, off: number): GueHeader {
  need(buf, off, GUE_LEN, 'gue');
  const b0 = buf[off]!;
  if (b0 >> 6 !== 0) fail(PACKET_ERR.BAD_VERSION, `gue: version ${b0 >> 6}`);
  const hlen = (b0 & 0x1f) * 4;
  need(buf, off, GUE_LEN + hlen, 'gue fields');
  return {
    control: (b0 & 0x20) !== 0,
    proto: buf[off + 1]!,
    flags: rd16(buf, off + 2),
    fields: copyBytes(buf, off + GUE_LEN, hlen),
  };
}

/** Encodes a GUE header; returns bytes written. */
export function encodeGue(h: GueHeader, buf: Uint8Array, off: number): number {
  if (h.fields.length % 4 !== 0 || h.fields.length > 31 * 4) {
    fail(PACKET_ERR.BAD_FIELD, `gue: fields length ${h.fields.length}`);
  }
  checkField(h.proto, 0xff, 'gue proto');
  checkField(h.flags, 0xffff, 'gue flags');
  const len = GUE_LEN + h.fields.length;
  room(buf, off, len, 'gue');
  buf[off] = (h.control ? 0x20 : 0) | (h.fields.length >> 2);
  buf[off + 1] = h.proto;
  wr16(buf, off + 2, h.flags);
  buf.set(h.fields, off + GUE_LEN);
  return len;
}

/** The GUE variant-0 header as a {@link Codec}. */
export const gueCodec: Codec<GueHeader> = {
  name: 'gue',
  extent: 'self',
  decode: decodeGue,
  encode: encodeGue,
  encodingLength: encodingLengthGue,
};
