/**
 * IP-in-IP: an outer IPv4 header with protocol 4 (IPv4 inside, RFC 2003) or 41 (IPv6 inside,
 * RFC 4213), as ip_vs_tunnel_xmit builds for `--tun-type ipip`. No options on the outer header.
 */
import { copyBytes, fail, need, PACKET_ERR, room } from './bytes.js';
import { IPPROTO } from './checksum.js';
import type { Codec } from './codec.js';
import { decodeIPv4, encodeIPv4, IPV4_FLAG, IPV4_LEN, type IPv4Header } from './ipv4.js';

/** Bytes an IPIP encapsulation adds. */
export const IPIP_OVERHEAD = IPV4_LEN;

/** The fields of an outer IPIP header the tunnel chooses (length and protocol follow the inner packet). */
export interface IpipOuter {
  readonly src: number;
  readonly dst: number;
  readonly ttl: number;
  readonly tos: number;
  readonly id: number;
  /** Copied from the inner packet when pmtu_disc=1 (net/netfilter/ipvs/ip_vs_xmit.c ip_vs_tunnel_xmit()). */
  readonly df: boolean;
}

/** Writes the outer IPv4 header for an inner packet of `innerLength` bytes and IP version `innerVersion`. */
export function encodeIpip(
  o: IpipOuter,
  innerVersion: 4 | 6,
  innerLength: number,
  buf: Uint8Array,
  off: number,
): number {
  return encodeIPv4(
    {
      tos: o.tos,
      totalLength: IPV4_LEN + innerLength,
      id: o.id,
      flags: o.df ? IPV4_FLAG.DF : 0,
      fragOffset: 0,
      ttl: o.ttl,
      protocol: innerVersion === 4 ? IPPROTO.IPIP : IPPROTO.IPV6,
      src: o.src,
      dst: o.dst,
      options: new Uint8Array(0),
    },
    buf,
    off,
  );
}

/** A decoded IPIP packet: the outer header and where the inner packet starts. */
export interface IpipPacket {
  readonly outer: IPv4Header;
  readonly innerOffset: number;
  readonly innerVersion: 4 | 6;
}

/** Decodes an IPIP outer header; the protocol must be 4 or 41 and match the inner version nibble. */
export function decodeIpip(buf: Uint8Array, off: number): IpipPacket {
  const outer = decodeIPv4(buf, off);
  const innerOffset = off + IPV4_LEN + outer.options.length;
  if (outer.protocol !== IPPROTO.IPIP && outer.protocol !== IPPROTO.IPV6) {
    fail(PACKET_ERR.UNSUPPORTED, `ipip: protocol ${outer.protocol}`);
  }
  const innerVersion = outer.protocol === IPPROTO.IPIP ? 4 : 6;
  if (innerOffset >= buf.length) fail(PACKET_ERR.TRUNCATED, 'ipip: no inner packet');
  if (buf[innerOffset]! >> 4 !== innerVersion) fail(PACKET_ERR.BAD_VERSION, 'ipip: inner version mismatch');
  return { outer, innerOffset, innerVersion };
}

/** A whole IPIP datagram: the outer fields the tunnel chooses and the inner packet's bytes. */
export interface IpipDatagram {
  readonly outer: IpipOuter;
  /** The encapsulated IPv4 or IPv6 packet; its version nibble picks protocol 4 or 41. */
  readonly inner: Uint8Array;
}

/** Bytes an IPIP datagram takes: the 20-byte outer header plus the inner packet. */
export function encodingLengthIpipDatagram(d: IpipDatagram): number {
  return IPIP_OVERHEAD + d.inner.length;
}

/** Encodes an outer header and copies the inner packet after it; returns bytes written. */
export function encodeIpipDatagram(d: IpipDatagram, buf: Uint8Array, off: number): number {
  const version = d.inner.length > 0 ? d.inner[0]! >> 4 : 0;
  if (version !== 4 && version !== 6) fail(PACKET_ERR.BAD_FIELD, `ipip: inner version ${version}`);
  const len = encodingLengthIpipDatagram(d);
  room(buf, off, len, 'ipip');
  encodeIpip(d.outer, version, d.inner.length, buf, off);
  buf.set(d.inner, off + IPIP_OVERHEAD);
  return len;
}

/**
 * Decodes a whole IPIP datagram, bounded by the outer total length. Outer options are stepped
 * over; a fragment is ERR_PACKET_UNSUPPORTED, since it does not hold a whole inner packet.
 */
export function decodeIpipDatagram(buf: Uint8Array, off: number): IpipDatagram {
  const { outer, innerOffset } = decodeIpip(buf, off);
  if ((outer.flags & IPV4_FLAG.MF) !== 0 || outer.fragOffset !== 0) {
    fail(PACKET_ERR.UNSUPPORTED, 'ipip: outer header is a fragment');
  }
  const end = off + outer.totalLength;
  if (end <= innerOffset)
    fail(PACKET_ERR.BAD_LENGTH, `ipip: total length ${outer.totalLength} holds no inner packet`);
  need(buf, off, outer.totalLength, 'ipip inner packet');
  return {
    outer: {
      src: outer.src,
      dst: outer.dst,
      ttl: outer.ttl,
      tos: outer.tos,
      id: outer.id,
      df: (outer.flags & IPV4_FLAG.DF) !== 0,
    },
    inner: copyBytes(buf, innerOffset, end - innerOffset),
  };
}

/** The IPIP datagram as a {@link Codec}. */
export const ipipCodec: Codec<IpipDatagram> = {
  name: 'ipip',
  extent: 'self',
  decode: decodeIpipDatagram,
  encode: encodeIpipDatagram,
  encodingLength: encodingLengthIpipDatagram,
};
