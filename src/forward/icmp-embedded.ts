/**
 * Rewrites of the packet quoted inside an ICMP/ICMPv6 error (ip_vs_nat_icmp / ip_vs_nat_icmp_v6):
 * when the director translates a connection, errors about it must quote the translated tuple, or
 * the receiver cannot match them to its socket. The quoted IPv4 header checksum is fixed, the
 * quoted L4 checksum too when it lies inside the quoted bytes (the kernel leaves it; fixing it
 * keeps the quote consistent for tools that verify it), and the caller then recomputes the outer
 * ICMP checksum once with {@link fixIcmpChecksum}.
 */
import {
  fillL4Checksum,
  IPPROTO,
  updateChecksum16,
  updateChecksum32,
  updateChecksumBytes,
} from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { fillIcmpChecksum } from '../packet/icmp.js';

// Offset of the quoted L4 checksum if it lies inside the quote, else -1 (quotes are often 8 bytes).
function innerCsumOff(buf: Uint8Array, flow: Flow): number {
  const o = flow.innerL4Off;
  if (flow.innerProto === IPPROTO.TCP && o + 18 <= flow.ipEnd) return o + 16;
  if (flow.innerProto === IPPROTO.UDP && o + 8 <= flow.ipEnd) {
    // An IPv4 UDP checksum of 0 means "none" and stays 0 (RFC 768).
    if (flow.af === 4 && buf[o + 6] === 0 && buf[o + 7] === 0) return -1;
    return o + 6;
  }
  return -1;
}

function hasPorts(flow: Flow): boolean {
  const p = flow.innerProto;
  return (p === IPPROTO.TCP || p === IPPROTO.UDP || p === IPPROTO.SCTP) && flow.innerL4Off + 4 <= flow.ipEnd;
}

function setInnerPort(buf: Uint8Array, at: number, port: number, co: number): void {
  const old = (buf[at]! << 8) | buf[at + 1]!;
  buf[at] = port >>> 8;
  buf[at + 1] = port & 0xff;
  if (co >= 0) updateChecksum16(buf, co, old, port);
}

function setInner4(
  buf: Uint8Array,
  flow: Flow,
  addrOff: number,
  old: number,
  addr: number,
  co: number,
): void {
  buf[addrOff] = addr >>> 24;
  buf[addrOff + 1] = (addr >>> 16) & 0xff;
  buf[addrOff + 2] = (addr >>> 8) & 0xff;
  buf[addrOff + 3] = addr & 0xff;
  updateChecksum32(buf, flow.innerL3Off + 10, old, addr);
  if (co >= 0) updateChecksum32(buf, co, old, addr);
}

/** Sets the quoted IPv4 packet's source address and (if quoted) source port. */
export function setInnerSrc4(buf: Uint8Array, flow: Flow, addr: number, port: number): void {
  const co = innerCsumOff(buf, flow);
  setInner4(buf, flow, flow.innerL3Off + 12, flow.innerSrc4, addr, co);
  flow.innerSrc4 = addr >>> 0;
  if (hasPorts(flow)) {
    setInnerPort(buf, flow.innerL4Off, port, co);
    flow.innerSport = port;
  }
}

/** Sets the quoted IPv4 packet's destination address and (if quoted) destination port. */
export function setInnerDst4(buf: Uint8Array, flow: Flow, addr: number, port: number): void {
  const co = innerCsumOff(buf, flow);
  setInner4(buf, flow, flow.innerL3Off + 16, flow.innerDst4, addr, co);
  flow.innerDst4 = addr >>> 0;
  if (hasPorts(flow)) {
    setInnerPort(buf, flow.innerL4Off + 2, port, co);
    flow.innerDport = port;
  }
}

function setInner6(buf: Uint8Array, fieldOff: number, addr: Uint8Array, co: number): void {
  if (co >= 0) updateChecksumBytes(buf, co, buf, fieldOff, addr, 0, 16);
  for (let i = 0; i < 16; i++) buf[fieldOff + i] = addr[i]!;
}

/** Sets the quoted IPv6 packet's source address and (if quoted) source port. */
export function setInnerSrc6(buf: Uint8Array, flow: Flow, addr: Uint8Array, port: number): void {
  const co = innerCsumOff(buf, flow);
  setInner6(buf, flow.innerL3Off + 8, addr, co);
  flow.innerSrc6.set(addr);
  if (hasPorts(flow)) {
    setInnerPort(buf, flow.innerL4Off, port, co);
    flow.innerSport = port;
  }
}

/** Sets the quoted IPv6 packet's destination address and (if quoted) destination port. */
export function setInnerDst6(buf: Uint8Array, flow: Flow, addr: Uint8Array, port: number): void {
  const co = innerCsumOff(buf, flow);
  setInner6(buf, flow.innerL3Off + 24, addr, co);
  flow.innerDst6.set(addr);
  if (hasPorts(flow)) {
    setInnerPort(buf, flow.innerL4Off + 2, port, co);
    flow.innerDport = port;
  }
}

/** Recomputes the outer ICMP (v4: over the message) or ICMPv6 (with pseudo-header) checksum. */
export function fixIcmpChecksum(buf: Uint8Array, flow: Flow): void {
  if (flow.proto === IPPROTO.ICMP) fillIcmpChecksum(buf, flow.l4Off, flow.ipEnd);
  else fillL4Checksum(buf, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.ICMPV6);
}
