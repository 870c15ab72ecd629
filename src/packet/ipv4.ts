/** IPv4 headers (RFC 791) with options and fragment fields. Addresses are host-order u32. */

import { checkField, copyBytes, fail, need, PACKET_ERR, rd16, rd32, room, wr16, wr32 } from './bytes.js';
import { fillIPv4Checksum } from './checksum.js';
import type { Codec } from './codec.js';

/** Length of an IPv4 header without options. */
export const IPV4_LEN = 20;
/** Largest IPv4 header (IHL 15). */
export const IPV4_MAX_LEN = 60;

/** The 3-bit flags field: reserved, Don't Fragment, More Fragments. */
export const IPV4_FLAG = { RESERVED: 4, DF: 2, MF: 1 } as const;

/** An IPv4 header. The header length is implied by `options` (a multiple of 4, at most 40 bytes). */
export interface IPv4Header {
  /** The whole TOS byte: DSCP << 2 | ECN. */
  readonly tos: number;
  /** Total length of header plus payload, as on the wire. */
  readonly totalLength: number;
  readonly id: number;
  /** {@link IPV4_FLAG} bits. */
  readonly flags: number;
  /** Fragment offset in 8-octet units (the wire value). */
  readonly fragOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  /** Header checksum; on encode, undefined means "compute it". */
  readonly checksum?: number | undefined;
  readonly src: number;
  readonly dst: number;
  /** Raw option bytes, already padded to a multiple of 4. */
  readonly options: Uint8Array;
}

/** Bytes the header takes: 20 plus the options. */
export function encodingLengthIPv4(h: IPv4Header): number {
  return IPV4_LEN + h.options.length;
}

/** Decodes an IPv4 header; checks version, IHL and that totalLength covers the header. */
export function decodeIPv4(buf: Uint8Array, off: number): IPv4Header {
  need(buf, off, IPV4_LEN, 'ipv4');
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) fail(PACKET_ERR.BAD_VERSION, `ipv4: version ${vihl >> 4}`);
  const hlen = (vihl & 0x0f) * 4;
  if (hlen < IPV4_LEN) fail(PACKET_ERR.BAD_HEADER_LENGTH, `ipv4: IHL ${hlen / 4} < 5`);
  need(buf, off, hlen, 'ipv4 options');
  const totalLength = rd16(buf, off + 2);
  if (totalLength < hlen) fail(PACKET_ERR.BAD_LENGTH, `ipv4: total length ${totalLength} < header ${hlen}`);
  const ff = rd16(buf, off + 6);
  return {
    tos: buf[off + 1]!,
    totalLength,
    id: rd16(buf, off + 4),
    flags: ff >>> 13,
    fragOffset: ff & 0x1fff,
    ttl: buf[off + 8]!,
    protocol: buf[off + 9]!,
    checksum: rd16(buf, off + 10),
    src: rd32(buf, off + 12),
    dst: rd32(buf, off + 16),
    options: copyBytes(buf, off + IPV4_LEN, hlen - IPV4_LEN),
  };
}

/** Encodes an IPv4 header at `off` (computing the checksum unless one is given); returns bytes written. */
export function encodeIPv4(h: IPv4Header, buf: Uint8Array, off: number): number {
  const olen = h.options.length;
  if (olen % 4 !== 0 || olen > IPV4_MAX_LEN - IPV4_LEN) {
    fail(PACKET_ERR.BAD_FIELD, `ipv4: options length ${olen} not a multiple of 4 up to 40`);
  }
  checkField(h.tos, 0xff, 'ipv4 tos');
  checkField(h.totalLength, 0xffff, 'ipv4 total length');
  checkField(h.id, 0xffff, 'ipv4 id');
  checkField(h.flags, 7, 'ipv4 flags');
  checkField(h.fragOffset, 0x1fff, 'ipv4 fragment offset');
  checkField(h.ttl, 0xff, 'ipv4 ttl');
  checkField(h.protocol, 0xff, 'ipv4 protocol');
  checkField(h.src, 0xffffffff, 'ipv4 src');
  checkField(h.dst, 0xffffffff, 'ipv4 dst');
  const hlen = IPV4_LEN + olen;
  room(buf, off, hlen, 'ipv4');
  buf[off] = 0x40 | (hlen >> 2);
  buf[off + 1] = h.tos;
  wr16(buf, off + 2, h.totalLength);
  wr16(buf, off + 4, h.id);
  wr16(buf, off + 6, (h.flags << 13) | h.fragOffset);
  buf[off + 8] = h.ttl;
  buf[off + 9] = h.protocol;
  wr16(buf, off + 10, 0);
  wr32(buf, off + 12, h.src);
  wr32(buf, off + 16, h.dst);
  buf.set(h.options, off + IPV4_LEN);
  if (h.checksum === undefined) fillIPv4Checksum(buf, off);
  else {
    checkField(h.checksum, 0xffff, 'ipv4 checksum');
    wr16(buf, off + 10, h.checksum);
  }
  return hlen;
}

/** The IPv4 header as a {@link Codec}. */
export const ipv4Codec: Codec<IPv4Header> = {
  name: 'ipv4',
  extent: 'self',
  decode: decodeIPv4,
  encode: encodeIPv4,
  encodingLength: encodingLengthIPv4,
};
