/**
 * FULLNAT for IPv6 (DPVS's IPv6 FULLNAT): requests leave from a local address, client:cport →
 * VIP:vport becoming LIP:lport → RIP:rport, and replies come back the other way. Each field
 * change updates the L4 checksum incrementally (the IPv6 header has none). ICMPv6 errors are
 * translated both ways as the IPv4 ones are (fullnat.ts), the IPv6 side of DPVS's
 * icmp6 handling of FULLNAT conns: the outer addresses and the quoted packet's addresses and ports.
 * TOA takes its IPv6 form, as DPVS's tcp_in_add_toa writes it for an IPv6 client and the toa
 * module reads it (dpvs kmod/toa/toa.h: kind 254, TCPOLEN_IP6_TOA 20 = kind, length, port and the
 * 16-byte address), into the same segments as for IPv4 (fullnat.ts).
 */
import { fillL4Checksum, IPPROTO } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { setDport, setDst6, setSport, setSrc6 } from '../packet/rewrite.js';
import { clampTcpMss, TCPOLEN_TOA6, tcpMss, writeToa6 } from '../packet/tcp-options.js';
import { fixIcmpChecksum, setInnerDst6, setInnerSrc6 } from './icmp-embedded.js';

/** A request: source to `lip`:`lport`, destination to `rip`:`rport` (16-byte addresses). */
export function fnatIn6(
  buf: Uint8Array,
  flow: Flow,
  lip: Uint8Array,
  lport: number,
  rip: Uint8Array,
  rport: number,
): void {
  setSrc6(buf, flow, lip);
  setSport(buf, flow, lport);
  setDst6(buf, flow, rip);
  setDport(buf, flow, rport);
}

/** A reply: source to `vip`:`vport`, destination to the client `cip`:`cport`. */
export function fnatOut6(
  buf: Uint8Array,
  flow: Flow,
  vip: Uint8Array,
  vport: number,
  cip: Uint8Array,
  cport: number,
): void {
  setSrc6(buf, flow, vip);
  setSport(buf, flow, vport);
  setDst6(buf, flow, cip);
  setDport(buf, flow, cport);
}

/**
 * Relays an ICMPv6 error as one from `src` to `dst` about the packet `dst:dport` → `src:sport` it
 * quotes (the quoted packet runs the other way), then recomputes the ICMPv6 checksum (its
 * pseudo-header holds the new outer addresses, RFC 4443 §2.3).
 */
function fnatIcmpRewrite6(
  buf: Uint8Array,
  flow: Flow,
  src: Uint8Array,
  sport: number,
  dst: Uint8Array,
  dport: number,
): void {
  setSrc6(buf, flow, src);
  setDst6(buf, flow, dst);
  setInnerSrc6(buf, flow, dst, dport);
  setInnerDst6(buf, flow, src, sport);
  fixIcmpChecksum(buf, flow);
}

/**
 * An ICMPv6 error for the VIP about a reply (quoted VIP:vport → client:cport), relayed to the real
 * server as an error about its own packet: outer LIP → RIP, quoted RIP:rport → LIP:lport
 * (args: lip, lport, rip, rport).
 */
export const fnatIcmpIn6: typeof fnatIcmpRewrite6 = fnatIcmpRewrite6;

/**
 * An ICMPv6 error to a LIP about a forwarded request (quoted LIP:lport → RIP:rport), relayed to
 * the client: outer VIP → client, quoted client:cport → VIP:vport (args: vip, vport, cip, cport).
 */
export const fnatIcmpOut6: typeof fnatIcmpRewrite6 = fnatIcmpRewrite6;

/**
 * True if the 20-byte IPv6 TOA fits: a TCP segment with its header (not a fragment: growing the
 * first would move every later fragment's offset), the TCP header staying within 60 bytes and the
 * grown packet within `mtu` (tcp_in_add_toa refuses otherwise and the segment goes on without it).
 */
export function toaFits6(buf: Uint8Array, flow: Flow, mtu: number): boolean {
  if (flow.proto !== IPPROTO.TCP || !flow.hasL4 || flow.fragment || flow.af !== 6) return false;
  const doff = (buf[flow.l4Off + 12]! >>> 4) << 2;
  return doff + TCPOLEN_TOA6 <= 60 && flow.ipEnd - flow.l3Off + TCPOLEN_TOA6 <= mtu;
}

/**
 * Inserts the IPv6 TOA option (client `cport`, `cip`) right after the base TCP header, moving the
 * existing options and payload down, and fixes the data offset, the IPv6 payload length and the
 * TCP checksum. The caller has checked {@link toaFits6} and that `buf` has 20 spare bytes after
 * `flow.ipEnd`.
 */
export function insertToa6(buf: Uint8Array, flow: Flow, cip: Uint8Array, cport: number): void {
  const t = flow.l4Off;
  const at = t + 20;
  buf.copyWithin(at + TCPOLEN_TOA6, at, flow.ipEnd);
  writeToa6(buf, at, cport, cip);
  buf[t + 12] = (buf[t + 12]! + (TCPOLEN_TOA6 << 2)) & 0xff;
  const l3 = flow.l3Off;
  const plen = ((buf[l3 + 4]! << 8) | buf[l3 + 5]!) + TCPOLEN_TOA6;
  buf[l3 + 4] = plen >>> 8;
  buf[l3 + 5] = plen & 0xff;
  flow.ipEnd += TCPOLEN_TOA6;
  flow.l4Len += TCPOLEN_TOA6;
  flow.payloadOff += TCPOLEN_TOA6;
  fillL4Checksum(buf, l3, t, flow.ipEnd, IPPROTO.TCP);
}

/** Lowers the MSS of a real server's SYN-ACK by the IPv6 TOA size (DPVS tcp_out_adjust_mss). */
export function adjustSynAckMss6(buf: Uint8Array, flow: Flow): void {
  const mss = tcpMss(buf, flow.l4Off);
  if (mss > TCPOLEN_TOA6) clampTcpMss(buf, flow.l4Off, mss - TCPOLEN_TOA6);
}
