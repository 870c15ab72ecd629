/**
 * ICMPv6 (RFC 4443). The header layout is ICMPv4's ({@link IcmpHeader}); the checksum covers the
 * IPv6 pseudo-header, and every type below 128 is an error that embeds the offending packet.
 */
import { fail, PACKET_ERR, wr16 } from './bytes.js';
import { computeL4Checksum, IPPROTO } from './checksum.js';
import type { Codec } from './codec.js';
import { decodeIcmp, encodeIcmp, ICMP_LEN, type IcmpHeader } from './icmp.js';
import {
  decodeIPv6,
  IPV6_LEN,
  IPV6_WALK_OK,
  IPV6_WALK_TRUNCATED,
  type IPv6Header,
  newIPv6Upper,
  walkIPv6Ext,
} from './ipv6.js';

/** ICMPv6 types used by the director. */
export const ICMPV6_TYPE = {
  DEST_UNREACH: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
} as const;

/** Decodes the 8-byte ICMPv6 header. */
export function decodeIcmpv6(buf: Uint8Array, off: number): IcmpHeader {
  return decodeIcmp(buf, off);
}

/** Encodes the 8-byte ICMPv6 header; the checksum is written as given (see {@link fillIcmpv6Checksum}). */
export function encodeIcmpv6(h: IcmpHeader, buf: Uint8Array, off: number): number {
  return encodeIcmp(h, buf, off);
}

/** True for ICMPv6 error messages (types 0..127, RFC 4443 §2.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

/** Computes and writes the ICMPv6 checksum of [off, end) under the IPv6 header at `l3off`. */
export function fillIcmpv6Checksum(buf: Uint8Array, l3off: number, off: number, end: number): number {
  const c = computeL4Checksum(buf, l3off, off, end, IPPROTO.ICMPV6);
  wr16(buf, off + 2, c);
  return c;
}

/** An ICMPv6 error decoded with its embedded packet. */
export interface IcmpErrorV6 {
  readonly icmp: IcmpHeader;
  readonly inner: IPv6Header;
  /** Upper-layer protocol of the embedded packet after its extension headers. */
  readonly innerProtocol: number;
  /** Offset of the embedded packet's upper-layer header. */
  readonly innerL4Offset: number;
  /** Bytes of the embedded upper layer present in the message. */
  readonly innerL4Bytes: number;
}

/** Decodes an ICMPv6 error and its embedded IPv6 header; throws ERR_PACKET_UNSUPPORTED for non-errors. */
export function decodeIcmpErrorV6(buf: Uint8Array, off: number, end: number): IcmpErrorV6 {
  if (end > buf.length) fail(PACKET_ERR.TRUNCATED, 'icmpv6: end beyond buffer');
  const view = buf.subarray(0, end);
  const icmp = decodeIcmp(view, off);
  if (!isIcmpv6Error(icmp.type)) fail(PACKET_ERR.UNSUPPORTED, `icmpv6: type ${icmp.type} is not an error`);
  const innerOff = off + ICMP_LEN;
  const inner = decodeIPv6(view, innerOff);
  // The embedded packet is usually cut short, so walk its extension headers only up to `end`.
  const up = newIPv6Upper();
  const r = walkIPv6Ext(view, inner.nextHeader, innerOff + IPV6_LEN, end, up);
  if (r === IPV6_WALK_TRUNCATED) fail(PACKET_ERR.TRUNCATED, 'icmpv6: embedded extension header cut short');
  if (r !== IPV6_WALK_OK) fail(PACKET_ERR.BAD_OPTION, 'icmpv6: bad embedded extension header chain');
  return {
    icmp,
    inner,
    innerProtocol: up.protocol,
    innerL4Offset: up.offset,
    innerL4Bytes: end - up.offset,
  };
}

/** The 8-byte ICMPv6 header as a {@link Codec}. */
export const icmpv6Codec: Codec<IcmpHeader> = {
  name: 'icmpv6',
  extent: 'self',
  decode: decodeIcmpv6,
  encode: encodeIcmpv6,
  encodingLength: () => ICMP_LEN,
};
