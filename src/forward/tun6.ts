/**
 * Tunnelling to IPv6 real servers (ip_vs_tunnel_xmit_v6): an outer IPv6 header from the
 * director's address to the RIP in front of the inner IPv6 packet, directly (IPv6-in-IPv6, next
 * header 41, the default `--tun-type ipip`), or over GUE (UDP, `--tun-port`) or GRE. Traffic class
 * copied with ECN encapsulation (CE becomes ECT(0), INET_ECN_encapsulate), hop limit from the
 * inner packet. Over IPv6 a UDP checksum is mandatory (RFC 8200 §8.1), so GUE always carries one;
 * GRE's is optional as over IPv4 (`--tun-csum`).
 */
import { TUN_F, TUN_TYPE } from '../core/types.js';
import { fillL4Checksum, IPPROTO } from '../packet/checksum.js';
import { writeIPv6Header } from './frame.js';
import { guePort, writeGreHeader, writeGueHeader } from './tun.js';

/** Outer IPv6 header. */
const OUTER6 = 40;

/** Bytes of outer headers in front of an inner packet tunnelled to an IPv6 real server. */
export function tunOverhead6(type: number, flags: number): number {
  if (type === TUN_TYPE.GUE) return OUTER6 + 12;
  if (type === TUN_TYPE.GRE) return OUTER6 + ((flags & TUN_F.CSUM) !== 0 ? 8 : 4);
  return OUTER6;
}

/**
 * Writes the outer headers in front of the inner IPv6 packet `buf[innerOff, innerOff + innerLen)`
 * (the caller reserved {@link tunOverhead6} bytes before it) from `src` to `dst` (16 bytes each at
 * their offsets); returns the outer header's offset. `tclass` and `hopLimit` are the inner
 * packet's (after the decrement); `flowHash` picks the GUE source port.
 */
export function tunEncap6(
  buf: Uint8Array,
  innerOff: number,
  innerLen: number,
  tclass: number,
  hopLimit: number,
  type: number,
  flags: number,
  port: number,
  flowHash: number,
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
): number {
  const over = tunOverhead6(type, flags);
  const o = innerOff - over;
  const plen = over - OUTER6 + innerLen;
  const tc = (tclass & 3) === 3 ? (tclass & ~3) | 2 : tclass;
  const next = type === TUN_TYPE.GUE ? IPPROTO.UDP : type === TUN_TYPE.GRE ? IPPROTO.GRE : IPPROTO.IPV6;
  writeIPv6Header(buf, o, tc, plen, next, hopLimit, src, srcOff, dst, dstOff);
  const h = o + OUTER6;
  if (type === TUN_TYPE.GUE) {
    writeGueHeader(buf, h, guePort(flowHash), port, plen, IPPROTO.IPV6);
    fillL4Checksum(buf, o, h, h + plen, IPPROTO.UDP);
  } else if (type === TUN_TYPE.GRE) {
    writeGreHeader(buf, h, h + plen, (flags & TUN_F.CSUM) !== 0, 6);
  }
  return o;
}
