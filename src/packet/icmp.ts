/**
 * ICMP for IPv4 (RFC 792) and the shared 8-byte ICMP/ICMPv6 header layout. Error messages embed
 * the offending IP header plus at least 8 bytes of its payload; {@link decodeIcmpErrorV4} finds it.
 */
import { checkField, fail, need, PACKET_ERR, rd16, rd32, room, wr16, wr32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import type { Codec } from './codec.js';
import { decodeIPv4, type IPv4Header } from './ipv4.js';

/** Length of the fixed ICMP header (type, code, checksum, 4 type-specific bytes). */
export const ICMP_LEN = 8;

/** ICMPv4 types. */
export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
} as const;

/** ICMPv4 destination-unreachable codes used by the director. */
export const ICMP_UNREACH = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAG_NEEDED: 4 } as const;

/** An ICMP or ICMPv6 header; `rest` is the type-specific word (echo id/seq, next-hop MTU, pointer). */
export interface IcmpHeader {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Bytes 4..7 as a u32: echo `id << 16 | seq`, frag-needed MTU in the low 16 bits, ICMPv6 MTU. */
  readonly rest: number;
}

/** Decodes the 8-byte ICMP header (also valid for ICMPv6). */
export function decodeIcmp(buf: Uint8Array, off: number): IcmpHeader {
  need(buf, off, ICMP_LEN, 'icmp');
  return { type: buf[off]!, code: buf[off + 1]!, checksum: rd16(buf, off + 2), rest: rd32(buf, off + 4) };
}

/** Encodes the 8-byte ICMP header; the checksum is written as given (see {@link fillIcmpChecksum}). */
export function encodeIcmp(h: IcmpHeader, buf: Uint8Array, off: number): number {
  checkField(h.type, 0xff, 'icmp type');
  checkField(h.code, 0xff, 'icmp code');
  checkField(h.checksum, 0xffff, 'icmp checksum');
  checkField(h.rest, 0xffffffff, 'icmp rest');
  room(buf, off, ICMP_LEN, 'icmp');
  buf[off] = h.type;
  buf[off + 1] = h.code;
  wr16(buf, off + 2, h.checksum);
  wr32(buf, off + 4, h.rest);
  return ICMP_LEN;
}

/** Computes and writes the ICMPv4 checksum over the message [off, end) (no pseudo-header, RFC 792). */
export function fillIcmpChecksum(buf: Uint8Array, off: number, end: number): number {
  wr16(buf, off + 2, 0);
  const c = internetChecksum(buf, off, end - off);
  wr16(buf, off + 2, c);
  return c;
}

/**
 * True for the ICMPv4 types that embed an offending datagram (RFC 1122 §3.2.2). IPVS itself
 * only translates DEST_UNREACH, SOURCE_QUENCH and TIME_EXCEEDED (ip_vs_in_icmp); the caller filters.
 */
export function isIcmpError(type: number): boolean {
  return (
    type === ICMP_TYPE.DEST_UNREACH ||
    type === ICMP_TYPE.SOURCE_QUENCH ||
    type === ICMP_TYPE.REDIRECT ||
    type === ICMP_TYPE.TIME_EXCEEDED ||
    type === ICMP_TYPE.PARAM_PROBLEM
  );
}

/** An ICMPv4 error decoded with its embedded datagram. */
export interface IcmpErrorV4 {
  readonly icmp: IcmpHeader;
  /** The embedded (offending) IPv4 header. */
  readonly inner: IPv4Header;
  /** Offset of the embedded header's payload (its L4 header) in the buffer. */
  readonly innerL4Offset: number;
  /** How many bytes of the embedded payload are present (usually 8, up to the whole datagram). */
  readonly innerL4Bytes: number;
}

/** Decodes an ICMPv4 error and its embedded IPv4 header; throws ERR_PACKET_UNSUPPORTED for non-errors. */
export function decodeIcmpErrorV4(buf: Uint8Array, off: number, end: number): IcmpErrorV4 {
  if (end > buf.length) fail(PACKET_ERR.TRUNCATED, 'icmp: end beyond buffer');
  const icmp = decodeIcmp(buf.subarray(0, end), off);
  if (!isIcmpError(icmp.type)) fail(PACKET_ERR.UNSUPPORTED, `icmp: type ${icmp.type} is not an error`);
  const inner = decodeIPv4(buf.subarray(0, end), off + ICMP_LEN);
  const innerL4Offset = off + ICMP_LEN + 20 + inner.options.length;
  return { icmp, inner, innerL4Offset, innerL4Bytes: end - innerL4Offset };
}

/** The 8-byte ICMPv4 header as a {@link Codec}. */
export const icmpCodec: Codec<IcmpHeader> = {
  name: 'icmp',
  extent: 'self',
  decode: decodeIcmp,
  encode: encodeIcmp,
  encodingLength: () => ICMP_LEN,
};
