/**
 * In-place header rewrites driven by a parsed {@link Flow}: addresses, ports and TTL, each keeping
 * the IP and L4 checksums right with RFC 1624 updates (as ip_vs_nat_xmit + tcp/udp_dnat_handler do),
 * and completion of CHECKSUM_PARTIAL frames. The Flow's fields are updated to match, so one parse
 * serves every later step. Allocation-free; the caller has had parseFlow return OK.
 */
import { wr16, wr32 } from './bytes.js';
import {
  completePartialChecksum,
  fold,
  IPPROTO,
  updateChecksum16,
  updateChecksum32,
  updateChecksumBytes,
  updateUdpChecksum16,
  updateUdpChecksum32,
} from './checksum.js';
import { type Flow, frameView } from './flow.js';

/** Offset of the L4 checksum a pseudo-header change affects, or -1 (ICMPv4, SCTP, later fragments). */
function pseudoCsumOff(flow: Flow): number {
  if (!flow.hasL4) return -1;
  switch (flow.proto) {
    case IPPROTO.TCP:
      return flow.l4Off + 16;
    case IPPROTO.UDP:
      return flow.l4Off + 6;
    case IPPROTO.ICMPV6:
      return flow.l4Off + 2;
    default:
      return -1;
  }
}

function update32(buf: Uint8Array, flow: Flow, oldVal: number, newVal: number): void {
  const co = pseudoCsumOff(flow);
  if (co < 0) return;
  if (flow.proto === IPPROTO.UDP) updateUdpChecksum32(buf, co, oldVal, newVal);
  else updateChecksum32(buf, co, oldVal, newVal);
}

/** Sets the IPv4 source address, updating the header and L4 checksums. */
export function setSrc4(buf: Uint8Array, flow: Flow, addr: number): void {
  const old = flow.src4;
  wr32(buf, flow.srcOff, addr);
  updateChecksum32(buf, flow.l3Off + 10, old, addr);
  update32(buf, flow, old, addr);
  flow.src4 = addr >>> 0;
}

/** Sets the IPv4 destination address, updating the header and L4 checksums. */
export function setDst4(buf: Uint8Array, flow: Flow, addr: number): void {
  const old = flow.dst4;
  wr32(buf, flow.dstOff, addr);
  updateChecksum32(buf, flow.l3Off + 10, old, addr);
  update32(buf, flow, old, addr);
  flow.dst4 = addr >>> 0;
}

function set6(buf: Uint8Array, flow: Flow, fieldOff: number, addr: Uint8Array, addrOff: number): void {
  const co = pseudoCsumOff(flow);
  if (co >= 0) {
    // UDP over IPv6 always has a checksum (RFC 8200 §8.1), so no zero rule applies here.
    updateChecksumBytes(buf, co, buf, fieldOff, addr, addrOff, 16);
    if (flow.proto === IPPROTO.UDP && buf[co] === 0 && buf[co + 1] === 0) wr16(buf, co, 0xffff);
  }
  for (let i = 0; i < 16; i++) buf[fieldOff + i] = addr[addrOff + i]!;
}

/** Sets the IPv6 source address from `addr[addrOff..+16]`, updating the L4 checksum. */
export function setSrc6(buf: Uint8Array, flow: Flow, addr: Uint8Array, addrOff = 0): void {
  set6(buf, flow, flow.srcOff, addr, addrOff);
  for (let i = 0; i < 16; i++) flow.src6[i] = addr[addrOff + i]!;
}

/** Sets the IPv6 destination address from `addr[addrOff..+16]`, updating the L4 checksum. */
export function setDst6(buf: Uint8Array, flow: Flow, addr: Uint8Array, addrOff = 0): void {
  set6(buf, flow, flow.dstOff, addr, addrOff);
  for (let i = 0; i < 16; i++) flow.dst6[i] = addr[addrOff + i]!;
}

function setPort(buf: Uint8Array, flow: Flow, at: number, oldPort: number, port: number): void {
  wr16(buf, at, port);
  if (flow.proto === IPPROTO.TCP) updateChecksum16(buf, flow.l4Off + 16, oldPort, port);
  else if (flow.proto === IPPROTO.UDP) updateUdpChecksum16(buf, flow.l4Off + 6, oldPort, port);
  // SCTP's CRC32c covers ports but not addresses; the caller must recompute it (not done here).
}

/** Sets the TCP/UDP source port, updating the L4 checksum. No-op without an L4 header. */
export function setSport(buf: Uint8Array, flow: Flow, port: number): void {
  if (!flow.hasL4 || flow.sport === port) return;
  setPort(buf, flow, flow.l4Off, flow.sport, port);
  flow.sport = port;
}

/** Sets the TCP/UDP destination port, updating the L4 checksum. No-op without an L4 header. */
export function setDport(buf: Uint8Array, flow: Flow, port: number): void {
  if (!flow.hasL4 || flow.dport === port) return;
  setPort(buf, flow, flow.l4Off + 2, flow.dport, port);
  flow.dport = port;
}

/**
 * Decrements the IPv4 TTL (updating the header checksum, RFC 1141 style) or IPv6 hop limit.
 * Returns false, changing nothing, if it is already ≤ 1: the caller sends time-exceeded instead.
 */
export function decrementTtl(buf: Uint8Array, flow: Flow): boolean {
  if (flow.ttl <= 1) return false;
  if (flow.af === 4) {
    const o = flow.l3Off + 8;
    const oldWord = (buf[o]! << 8) | buf[o + 1]!;
    buf[o] = flow.ttl - 1;
    updateChecksum16(buf, flow.l3Off + 10, oldWord, oldWord - 0x100);
  } else {
    buf[flow.l3Off + 7] = flow.ttl - 1;
  }
  flow.ttl--;
  return true;
}

/**
 * {@link decrementTtl} for an IPv4 packet whose TTL the caller has checked is above 1, on the
 * header word holding TTL, protocol and checksum: one 32-bit read and one write through `v`, a
 * DataView over the frame's buffer (the fast path's DR and TUN rewrite). Same bytes, same Flow.
 */
export function decrementTtl4(v: DataView, flow: Flow): void {
  const o = flow.l3Off + 8;
  const w = v.getInt32(o);
  const old = w >>> 16;
  // RFC 1624 eqn. 3 for the TTL/protocol word going from `old` to `old - 0x100`, as csumReplace16.
  let s = (~w & 0xffff) + (~old & 0xffff) + ((old - 0x100) & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  v.setInt32(o, ((w - 0x01000000) & ~0xffff) | (~s & 0xffff));
  flow.ttl = (old >>> 8) - 1;
}

/**
 * Sets an IPv4 TCP or UDP packet's source and destination address and port and decrements its
 * TTL in one pass: the engine's fast path for established conns (NAT and FULLNAT requests). Each
 * checksum gets a single RFC 1624 update summing every change, which folds to the value the
 * updates one by one ({@link setSrc4}, {@link setSport}, ..., {@link decrementTtl}) produce. The
 * caller has checked af 4, TCP or UDP with its header (hasL4), and TTL > 1.
 */
export function translate4(
  buf: Uint8Array,
  flow: Flow,
  src: number,
  sport: number,
  dst: number,
  dport: number,
): void {
  // Word reads and writes through the buffer's DataView: the header words change whole.
  const v = frameView(buf);
  const l3 = flow.l3Off;
  const ns = src >>> 0;
  const nd = dst >>> 0;
  // Address changes enter both checksums (the L4 one through the pseudo-header).
  let a = 0;
  const os = flow.src4;
  if (os !== ns) {
    a += (~os >>> 16) + (~os & 0xffff) + (ns >>> 16) + (ns & 0xffff);
    v.setInt32(flow.srcOff, ns | 0);
    flow.src4 = ns;
  }
  const od = flow.dst4;
  if (od !== nd) {
    a += (~od >>> 16) + (~od & 0xffff) + (nd >>> 16) + (nd & 0xffff);
    v.setInt32(flow.dstOff, nd | 0);
    flow.dst4 = nd;
  }
  // TTL shares its header word with the protocol byte and the header checksum: one word.
  const ttl = flow.ttl;
  const w = v.getInt32(l3 + 8);
  const tw = (ttl << 8) | flow.proto;
  const ip = (~w & 0xffff) + a + (~tw & 0xffff) + (tw - 0x100);
  v.setInt32(l3 + 8, ((w - 0x01000000) & ~0xffff) | (~fold(ip) & 0xffff));
  flow.ttl = ttl - 1;
  const l4 = flow.l4Off;
  let p = 0;
  const osp = flow.sport;
  const odp = flow.dport;
  if (osp !== sport) {
    p += (~osp & 0xffff) + sport;
    flow.sport = sport;
  }
  if (odp !== dport) {
    p += (~odp & 0xffff) + dport;
    flow.dport = dport;
  }
  if (osp !== sport || odp !== dport) v.setInt32(l4, (sport << 16) | dport);
  if (a + p === 0) return;
  const udp = flow.proto === IPPROTO.UDP;
  const lc = l4 + (udp ? 6 : 16);
  const old = v.getUint16(lc);
  // An IPv4 UDP checksum of 0 means "none" and stays 0; a computed 0 is sent as 0xFFFF (RFC 768).
  if (udp && old === 0) return;
  let n = ~fold((~old & 0xffff) + a + p) & 0xffff;
  if (udp && n === 0) n = 0xffff;
  v.setUint16(lc, n);
}

/**
 * Completes the L4 checksum of a frame AF_PACKET flagged CHECKSUM_PARTIAL (TP_STATUS_CSUMNOTREADY),
 * so the engine always emits correct checksums. Call right after parseFlow, before any rewrite.
 * Returns false if there is nothing to complete (later fragment, SCTP, unknown protocol).
 */
export function completeChecksum(buf: Uint8Array, flow: Flow): boolean {
  if (!flow.hasL4 || flow.fragment) return false;
  const p = flow.proto;
  if (p !== IPPROTO.TCP && p !== IPPROTO.UDP && p !== IPPROTO.ICMPV6 && p !== IPPROTO.ICMP) return false;
  completePartialChecksum(buf, flow.l4Off, flow.l4Off + flow.l4Len, p);
  return true;
}
