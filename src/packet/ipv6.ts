/**
 * IPv6 base headers (RFC 8200 §3), the extension headers the director must step over
 * (hop-by-hop, routing, fragment, destination options, AH) and a bounded walker that finds the
 * upper-layer protocol and offset without allocating.
 */
import {
  checkBytes,
  checkField,
  copyBytes,
  fail,
  need,
  PACKET_ERR,
  rd16,
  rd32,
  room,
  wr16,
  wr32,
} from './bytes.js';
import { IPPROTO } from './checksum.js';
import type { Codec } from './codec.js';

/** Length of the IPv6 base header. */
export const IPV6_LEN = 40;
/** Length of the fragment extension header. */
export const IPV6_FRAG_LEN = 8;

/** An IPv6 base header; addresses are 16-byte Uint8Arrays. */
export interface IPv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** Length of everything after the base header, extension headers included. */
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** Decodes an IPv6 base header. */
export function decodeIPv6(buf: Uint8Array, off: number): IPv6Header {
  need(buf, off, IPV6_LEN, 'ipv6');
  const w = rd32(buf, off);
  if (w >>> 28 !== 6) fail(PACKET_ERR.BAD_VERSION, `ipv6: version ${w >>> 28}`);
  return {
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength: rd16(buf, off + 4),
    nextHeader: buf[off + 6]!,
    hopLimit: buf[off + 7]!,
    src: copyBytes(buf, off + 8, 16),
    dst: copyBytes(buf, off + 24, 16),
  };
}

/** Encodes an IPv6 base header at `off`; returns {@link IPV6_LEN}. */
export function encodeIPv6(h: IPv6Header, buf: Uint8Array, off: number): number {
  checkField(h.trafficClass, 0xff, 'ipv6 traffic class');
  checkField(h.flowLabel, 0xfffff, 'ipv6 flow label');
  checkField(h.payloadLength, 0xffff, 'ipv6 payload length');
  checkField(h.nextHeader, 0xff, 'ipv6 next header');
  checkField(h.hopLimit, 0xff, 'ipv6 hop limit');
  checkBytes(h.src, 16, 'ipv6 src');
  checkBytes(h.dst, 16, 'ipv6 dst');
  room(buf, off, IPV6_LEN, 'ipv6');
  wr32(buf, off, ((6 << 28) | (h.trafficClass << 20) | h.flowLabel) >>> 0);
  wr16(buf, off + 4, h.payloadLength);
  buf[off + 6] = h.nextHeader;
  buf[off + 7] = h.hopLimit;
  buf.set(h.src, off + 8);
  buf.set(h.dst, off + 24);
  return IPV6_LEN;
}

/**
 * A generic extension header: hop-by-hop (0), routing (43), destination options (60) in 8-octet
 * units, or AH (51) in 4-octet units (RFC 4302 §2.2). `body` is everything after the first 2 bytes.
 */
export interface IPv6ExtHeader {
  /** Which header this is (its own type, i.e. the previous header's next-header value). */
  readonly type: number;
  readonly nextHeader: number;
  readonly body: Uint8Array;
}

/** Bytes an extension header takes: 2 + body. */
export function encodingLengthIPv6Ext(h: IPv6ExtHeader): number {
  return 2 + h.body.length;
}

/** Decodes the extension header of `type` at `off` (not the fragment header: see decodeIPv6Frag). */
export function decodeIPv6Ext(buf: Uint8Array, off: number, type: number): IPv6ExtHeader {
  need(buf, off, 2, 'ipv6 ext');
  if (type === IPPROTO.FRAGMENT) fail(PACKET_ERR.UNSUPPORTED, 'ipv6 ext: use decodeIPv6Frag for fragments');
  const len = type === IPPROTO.AH ? (buf[off + 1]! + 2) * 4 : (buf[off + 1]! + 1) * 8;
  need(buf, off, len, 'ipv6 ext');
  return { type, nextHeader: buf[off]!, body: copyBytes(buf, off + 2, len - 2) };
}

/** Encodes an extension header at `off`; the total length must fit its length unit. */
export function encodeIPv6Ext(h: IPv6ExtHeader, buf: Uint8Array, off: number): number {
  const len = 2 + h.body.length;
  const unit = h.type === IPPROTO.AH ? 4 : 8;
  const lenField = h.type === IPPROTO.AH ? len / 4 - 2 : len / 8 - 1;
  if (h.type === IPPROTO.FRAGMENT || len % unit !== 0 || lenField < 0 || lenField > 255) {
    fail(PACKET_ERR.BAD_FIELD, `ipv6 ext: type ${h.type} with ${len} bytes`);
  }
  checkField(h.nextHeader, 0xff, 'ipv6 ext next header');
  room(buf, off, len, 'ipv6 ext');
  buf[off] = h.nextHeader;
  buf[off + 1] = lenField;
  buf.set(h.body, off + 2);
  return len;
}

/** The IPv6 fragment header (RFC 8200 §4.5). */
export interface IPv6FragHeader {
  readonly nextHeader: number;
  /** Fragment offset in 8-octet units. */
  readonly fragOffset: number;
  readonly more: boolean;
  readonly id: number;
}

/** Decodes a fragment header. */
export function decodeIPv6Frag(buf: Uint8Array, off: number): IPv6FragHeader {
  need(buf, off, IPV6_FRAG_LEN, 'ipv6 fragment');
  const fo = rd16(buf, off + 2);
  return { nextHeader: buf[off]!, fragOffset: fo >>> 3, more: (fo & 1) !== 0, id: rd32(buf, off + 4) };
}

/** Encodes a fragment header; returns {@link IPV6_FRAG_LEN}. */
export function encodeIPv6Frag(h: IPv6FragHeader, buf: Uint8Array, off: number): number {
  checkField(h.nextHeader, 0xff, 'ipv6 fragment next header');
  checkField(h.fragOffset, 0x1fff, 'ipv6 fragment offset');
  checkField(h.id, 0xffffffff, 'ipv6 fragment id');
  room(buf, off, IPV6_FRAG_LEN, 'ipv6 fragment');
  buf[off] = h.nextHeader;
  buf[off + 1] = 0;
  wr16(buf, off + 2, (h.fragOffset << 3) | (h.more ? 1 : 0));
  wr32(buf, off + 4, h.id);
  return IPV6_FRAG_LEN;
}

/** The IPv6 base header as a {@link Codec}. */
export const ipv6Codec: Codec<IPv6Header> = {
  name: 'ipv6',
  extent: 'self',
  decode: decodeIPv6,
  encode: encodeIPv6,
  encodingLength: () => IPV6_LEN,
};

/** The IPv6 fragment header as a {@link Codec}. */
export const ipv6FragCodec: Codec<IPv6FragHeader> = {
  name: 'ipv6 fragment',
  extent: 'self',
  decode: decodeIPv6Frag,
  encode: encodeIPv6Frag,
  encodingLength: () => IPV6_FRAG_LEN,
};

// An extension header's own type is the previous header's next-header value, not a field of its
// own bytes, so each type gets its codec; encode refuses a value of another type.
function ipv6ExtCodec(name: string, type: number): Codec<IPv6ExtHeader> {
  return {
    name,
    extent: 'self',
    decode: (buf, off) => decodeIPv6Ext(buf, off, type),
    encode: (h, buf, off) => {
      if (h.type !== type) fail(PACKET_ERR.BAD_FIELD, `${name}: header of type ${h.type}`);
      return encodeIPv6Ext(h, buf, off);
    },
    encodingLength: encodingLengthIPv6Ext,
  };
}

/** The hop-by-hop options header (RFC 8200 §4.3) as a {@link Codec}. */
export const ipv6HopByHopCodec = ipv6ExtCodec('ipv6 hop-by-hop', IPPROTO.HOPOPTS);
/** The routing header (RFC 8200 §4.4) as a {@link Codec}. */
export const ipv6RoutingCodec = ipv6ExtCodec('ipv6 routing', IPPROTO.ROUTING);
/** The destination options header (RFC 8200 §4.6) as a {@link Codec}. */
export const ipv6DstOptsCodec = ipv6ExtCodec('ipv6 destination options', IPPROTO.DSTOPTS);
/** The authentication header (RFC 4302 §2) as a {@link Codec}. */
export const ipv6AhCodec = ipv6ExtCodec('ipv6 ah', IPPROTO.AH);

/** Where the upper layer of an IPv6 packet starts; filled in place by {@link walkIPv6Ext}. */
export interface IPv6Upper {
  /** Upper-layer protocol (TCP 6, UDP 17, ICMPv6 58, ESP 50, No Next Header 59, ...). */
  protocol: number;
  /** Offset of the upper-layer header in the buffer. */
  offset: number;
  /** True if a fragment header was seen. */
  fragment: boolean;
  /** Fragment offset in bytes (0 for the first fragment or unfragmented). */
  fragOffset: number;
  /** The fragment header's M flag. */
  moreFragments: boolean;
  /** The fragment header's identification. */
  fragId: number;
}

/** A fresh {@link IPv6Upper} to reuse across calls. */
export function newIPv6Upper(): IPv6Upper {
  return { protocol: 0, offset: 0, fragment: false, fragOffset: 0, moreFragments: false, fragId: 0 };
}

/** {@link walkIPv6Ext} verdict: the chain was walked. */
export const IPV6_WALK_OK = 0;
/** {@link walkIPv6Ext} verdict: an extension header runs past `end`. */
export const IPV6_WALK_TRUNCATED = 1;
/** {@link walkIPv6Ext} verdict: a hop-by-hop header not first, or more headers than the bound. */
export const IPV6_WALK_BAD = 2;

/** At most this many extension headers are stepped over; a longer chain is treated as an attack. */
export const IPV6_MAX_EXT = 8;

/**
 * Steps over extension headers starting with `nextHeader` at `off` (just after the base header),
 * bounded by `end`, and fills `out`. ESP, No Next Header and unknown types end the walk. Returns an
 * IPV6_WALK_* code and never throws or allocates (it is on the per-packet path).
 */
export function walkIPv6Ext(
  buf: Uint8Array,
  nextHeader: number,
  off: number,
  end: number,
  out: IPv6Upper,
): number {
  let nh = nextHeader;
  let p = off;
  out.fragment = false;
  out.fragOffset = 0;
  out.moreFragments = false;
  out.fragId = 0;
  for (let n = 0; ; n++) {
    if (
      nh !== IPPROTO.HOPOPTS &&
      nh !== IPPROTO.ROUTING &&
      nh !== IPPROTO.DSTOPTS &&
      nh !== IPPROTO.FRAGMENT &&
      nh !== IPPROTO.AH
    ) {
      out.protocol = nh;
      out.offset = p;
      return IPV6_WALK_OK;
    }
    // RFC 8200 §4.1: hop-by-hop options may only follow the base header.
    if (n >= IPV6_MAX_EXT || (nh === IPPROTO.HOPOPTS && n > 0)) return IPV6_WALK_BAD;
    if (p + 8 > end) return IPV6_WALK_TRUNCATED;
    let len: number;
    if (nh === IPPROTO.FRAGMENT) {
      const fo = (buf[p + 2]! << 8) | buf[p + 3]!;
      out.fragment = true;
      out.fragOffset = fo & 0xfff8;
      out.moreFragments = (fo & 1) !== 0;
      out.fragId = rd32(buf, p + 4);
      len = 8;
    } else if (nh === IPPROTO.AH) {
      len = (buf[p + 1]! + 2) * 4;
    } else {
      len = (buf[p + 1]! + 1) * 8;
    }
    if (p + len > end) return IPV6_WALK_TRUNCATED;
    nh = buf[p]!;
    p += len;
    // Later fragments carry no upper-layer header: report the protocol, stop at the fragment data.
    if (out.fragOffset !== 0) {
      out.protocol = nh;
      out.offset = p;
      return IPV6_WALK_OK;
    }
  }
}

/**
 * Finds the upper layer of the IPv6 packet whose base header is at `off`, throwing PacketError on a
 * bad chain; the allocation-free form is {@link walkIPv6Ext}. The end is taken from payloadLength.
 */
export function locateIPv6Upper(buf: Uint8Array, off: number): IPv6Upper {
  need(buf, off, IPV6_LEN, 'ipv6');
  if (buf[off]! >> 4 !== 6) fail(PACKET_ERR.BAD_VERSION, `ipv6: version ${buf[off]! >> 4}`);
  const end = off + IPV6_LEN + rd16(buf, off + 4);
  if (end > buf.length) fail(PACKET_ERR.TRUNCATED, 'ipv6: payload length beyond buffer');
  const out = newIPv6Upper();
  const r = walkIPv6Ext(buf, buf[off + 6]!, off + IPV6_LEN, end, out);
  if (r === IPV6_WALK_TRUNCATED) fail(PACKET_ERR.TRUNCATED, 'ipv6: extension header beyond payload');
  if (r === IPV6_WALK_BAD) fail(PACKET_ERR.BAD_OPTION, 'ipv6: bad extension header chain');
  return out;
}
