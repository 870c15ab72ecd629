/**
 * IP-in-IP: an outer IPv4 header with protocol 4 (IPv4 inside, RFC 2003) or 41 (IPv6 inside,
 * RFC 4213), as ip_vs_tunnel_xmit builds for `--tun-type ipip`. No options on the outer header.
 */
import { fail, PACKET_ERR } from './bytes.js';
import { IPPROTO } from './checksum.js';
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
  /** Copied from the inner packet when pmtu_disc=1 (ipvs.md §5). */
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
