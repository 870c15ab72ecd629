/**
 * FULLNAT (`-b`, alibaba/LVS, iqiyi/dpvs): both ends of a request are
 * translated, client → LIP:lport as source and VIP:vport → RIP:rport as destination, so the real
 * server replies to the director's local address and needs no special routing; replies get the
 * reverse. The client address, lost on the way, travels in TOA: TCP option 254 with the client
 * port and IPv4 address (8 bytes, dpvs kmod/toa), inserted as DPVS's tcp_in_add_toa does into the
 * SYN and into the first data segment (the one acknowledging the server's SYN-ACK, the packet
 * Alibaba's toa.ko reads in syn_recv_sock), right after the base TCP header. The server's MSS in
 * its SYN-ACK is lowered by the option's size so full-sized client segments still fit with it
 * (tcp_out_adjust_mss). DPVS's timestamp stripping and sequence randomisation are not done.
 */
import { fillL4Checksum, IPPROTO, updateChecksum16 } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { setDport, setDst4, setSport, setSrc4 } from '../packet/rewrite.js';
import { clampTcpMss, TCPOLEN_TOA, tcpMss, writeToa4 } from '../packet/tcp-options.js';
import { fixIcmpChecksum, setInnerDst4, setInnerSrc4 } from './icmp-embedded.js';

/**
 * Rewrites both ends of a FULLNAT packet to `src:sport` → `dst:dport`. One function serves both
 * directions (the translation is symmetric), so every call site stays monomorphic.
 */
function fnatRewrite4(
  buf: Uint8Array,
  flow: Flow,
  src: number,
  sport: number,
  dst: number,
  dport: number,
): void {
  setSrc4(buf, flow, src);
  setSport(buf, flow, sport);
  setDst4(buf, flow, dst);
  setDport(buf, flow, dport);
}

/**
 * Relays an ICMP error as one from `src` to `dst` about the packet `dst:dport` → `src:sport` it
 * quotes (the quoted packet runs the other way), then fixes the ICMP checksum.
 */
function fnatIcmpRewrite4(
  buf: Uint8Array,
  flow: Flow,
  src: number,
  sport: number,
  dst: number,
  dport: number,
): void {
  setSrc4(buf, flow, src);
  setDst4(buf, flow, dst);
  setInnerSrc4(buf, flow, dst, dport);
  setInnerDst4(buf, flow, src, sport);
  fixIcmpChecksum(buf, flow);
}

/** Request: client:cport → VIP:vport becomes `lip:lport` → `rip:rport` (args: lip, lport, rip, rport). */
export const fnatIn4: typeof fnatRewrite4 = fnatRewrite4;

/** Reply: RIP:rport → LIP:lport becomes `vip:vport` → `cip:cport` (args: vip, vport, cip, cport). */
export const fnatOut4: typeof fnatRewrite4 = fnatRewrite4;

/**
 * An ICMP error for the VIP about a reply (quoted VIP:vport → client:cport), relayed to the real
 * server as an error about its own packet: outer LIP → RIP, quoted RIP:rport → LIP:lport
 * (args: lip, lport, rip, rport).
 */
export const fnatIcmpIn4: typeof fnatIcmpRewrite4 = fnatIcmpRewrite4;

/**
 * An ICMP error to a LIP about a forwarded request (quoted LIP:lport → RIP:rport), relayed to the
 * client: outer VIP → client, quoted client:cport → VIP:vport (args: vip, vport, cip, cport).
 */
export const fnatIcmpOut4: typeof fnatIcmpRewrite4 = fnatIcmpRewrite4;

/**
 * True if a TOA option fits: the TCP header stays within 60 bytes and the grown packet within
 * `mtu` (tcp_in_add_toa refuses otherwise and the segment goes on without it).
 */
export function toaFits(buf: Uint8Array, flow: Flow, mtu: number): boolean {
  if (flow.proto !== IPPROTO.TCP || !flow.hasL4 || flow.af !== 4) return false;
  const doff = (buf[flow.l4Off + 12]! >>> 4) << 2;
  return doff + TCPOLEN_TOA <= 60 && flow.ipEnd - flow.l3Off + TCPOLEN_TOA <= mtu;
}

/**
 * Inserts the 8-byte TOA option (client `cport`, `cip`) right after the base TCP header, moving
 * the existing options and payload down, and fixes data offset, IP length and both checksums.
 * The caller has checked {@link toaFits} and that `buf` has 8 spare bytes after `flow.ipEnd`.
 */
export function insertToa4(buf: Uint8Array, flow: Flow, cip: number, cport: number): void {
  const t = flow.l4Off;
  const at = t + 20;
  buf.copyWithin(at + TCPOLEN_TOA, at, flow.ipEnd);
  writeToa4(buf, at, cport, cip);
  buf[t + 12] = (buf[t + 12]! + (TCPOLEN_TOA << 2)) & 0xff;
  const l3 = flow.l3Off;
  const oldLen = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
  const newLen = oldLen + TCPOLEN_TOA;
  buf[l3 + 2] = newLen >>> 8;
  buf[l3 + 3] = newLen & 0xff;
  updateChecksum16(buf, l3 + 10, oldLen, newLen);
  flow.ipEnd += TCPOLEN_TOA;
  flow.l4Len += TCPOLEN_TOA;
  flow.payloadOff += TCPOLEN_TOA;
  fillL4Checksum(buf, l3, t, flow.ipEnd, IPPROTO.TCP);
}

/** Lowers the MSS of a real server's SYN-ACK by the TOA size (tcp_out_adjust_mss). */
export function adjustSynAckMss(buf: Uint8Array, flow: Flow): void {
  const mss = tcpMss(buf, flow.l4Off);
  if (mss > TCPOLEN_TOA) clampTcpMss(buf, flow.l4Off, mss - TCPOLEN_TOA);
}
