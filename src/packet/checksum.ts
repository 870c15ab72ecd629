/**
 * The Internet checksum (RFC 1071): full sums, IPv4/IPv6 pseudo-headers, incremental updates
 * (RFC 1624 eqn. 3, as the kernel's csum_replace4 does) and completion of CHECKSUM_PARTIAL frames.
 * Sums are carried unfolded in a JS number (exact up to 2^53) and folded once at the end.
 */
import { rd16, wr16 } from './bytes.js';

/** IP protocol numbers the checksum helpers and the flow parser know. */
export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
} as const;

/** Ones-complement sum of the big-endian 16-bit words of `len` bytes at `off`, added to `init`, unfolded. */
export function sum16(buf: Uint8Array, off: number, len: number, init = 0): number {
  let s = init;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  // An odd trailing byte is padded with a zero octet (RFC 1071 §4.1).
  if (len & 1) s += buf[end]! << 8;
  return s;
}

/** Folds an unfolded sum into 16 bits with end-around carry. */
export function fold(sum: number): number {
  let s = sum;
  if (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The Internet checksum of `len` bytes at `off`: the complement of the folded sum. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return ~fold(sum16(buf, off, len)) & 0xffff;
}

/** Unfolded IPv6 pseudo-header sum (RFC 8200 §8.1) with addresses read from `buf`. */
export function pseudoSum6(
  buf: Uint8Array,
  srcOff: number,
  dstOff: number,
  proto: number,
  l4len: number,
): number {
  return sum16(buf, dstOff, 16, sum16(buf, srcOff, 16)) + (l4len >>> 16) + (l4len & 0xffff) + proto;
}

/**
 * Unfolded pseudo-header sum for the IP header at `l3off` (v4 or v6 by its version nibble).
 * ICMPv4 has no pseudo-header (RFC 792), so this returns 0 for it.
 */
export function pseudoSumAt(buf: Uint8Array, l3off: number, proto: number, l4len: number): number {
  if (buf[l3off]! >> 4 === 6) return pseudoSum6(buf, l3off + 8, l3off + 24, proto, l4len);
  if (proto === IPPROTO.ICMP) return 0;
  const src = ((buf[l3off + 12]! << 8) | buf[l3off + 13]!) + ((buf[l3off + 14]! << 8) | buf[l3off + 15]!);
  const dst = ((buf[l3off + 16]! << 8) | buf[l3off + 17]!) + ((buf[l3off + 18]! << 8) | buf[l3off + 19]!);
  return src + dst + proto + l4len;
}

/** Offset of the checksum field inside an L4 header of `proto`, or -1 if it has no Internet checksum. */
export function l4ChecksumOffset(proto: number): number {
  switch (proto) {
    case IPPROTO.TCP:
      return 16;
    case IPPROTO.UDP:
      return 6;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      return 2;
    default:
      // SCTP uses CRC32c and no pseudo-header; GRE/others have no checksum the engine maintains.
      return -1;
  }
}

/**
 * Computes the L4 checksum of the segment [l4off, end) under the IP header at `l3off`, treating
 * the checksum field as zero. UDP's computed 0 becomes 0xFFFF (RFC 768: 0 means "none").
 */
export function computeL4Checksum(
  buf: Uint8Array,
  l3off: number,
  l4off: number,
  end: number,
  proto: number,
): number {
  const co = l4ChecksumOffset(proto);
  if (co < 0) return 0;
  const len = end - l4off;
  let s = pseudoSumAt(buf, l3off, proto, len);
  s = sum16(buf, l4off, co, s);
  s = sum16(buf, l4off + co + 2, len - co - 2, s);
  const c = ~fold(s) & 0xffff;
  return proto === IPPROTO.UDP && c === 0 ? 0xffff : c;
}

/** Computes and writes the L4 checksum of [l4off, end) in place; returns it. */
export function fillL4Checksum(
  buf: Uint8Array,
  l3off: number,
  l4off: number,
  end: number,
  proto: number,
): number {
  const co = l4ChecksumOffset(proto);
  if (co < 0) return 0;
  const c = computeL4Checksum(buf, l3off, l4off, end, proto);
  wr16(buf, l4off + co, c);
  return c;
}

/** True if the L4 checksum of [l4off, end) verifies; an IPv4 UDP checksum of 0 ("none") verifies. */
export function verifyL4Checksum(
  buf: Uint8Array,
  l3off: number,
  l4off: number,
  end: number,
  proto: number,
): boolean {
  const co = l4ChecksumOffset(proto);
  if (co < 0) return true;
  if (proto === IPPROTO.UDP && buf[l3off]! >> 4 === 4 && rd16(buf, l4off + 6) === 0) return true;
  const len = end - l4off;
  return fold(sum16(buf, l4off, len, pseudoSumAt(buf, l3off, proto, len))) === 0xffff;
}

/** The IPv4 header checksum of the `hlen`-byte header at `off`, skipping the checksum field. */
export function ipv4HeaderChecksum(buf: Uint8Array, off: number, hlen: number): number {
  return ~fold(sum16(buf, off + 12, hlen - 12, sum16(buf, off, 10))) & 0xffff;
}

/** Recomputes and writes the checksum of the IPv4 header at `off` (length from its IHL). */
export function fillIPv4Checksum(buf: Uint8Array, off: number): number {
  const c = ipv4HeaderChecksum(buf, off, (buf[off]! & 0x0f) * 4);
  wr16(buf, off + 10, c);
  return c;
}

/** True if the IPv4 header at `off` (length from its IHL) has a correct checksum. */
export function verifyIPv4Checksum(buf: Uint8Array, off: number): boolean {
  return fold(sum16(buf, off, (buf[off]! & 0x0f) * 4)) === 0xffff;
}

/** RFC 1624 eqn. 3 for one 16-bit field: HC' = ~(~HC + ~m + m'). */
export function csumReplace16(check: number, oldVal: number, newVal: number): number {
  return ~fold((~check & 0xffff) + (~oldVal & 0xffff) + (newVal & 0xffff)) & 0xffff;
}

/** RFC 1624 eqn. 3 for one 32-bit field (an IPv4 address), as two 16-bit halves. */
export function csumReplace32(check: number, oldVal: number, newVal: number): number {
  const s = (~check & 0xffff) + (~oldVal >>> 16) + (~oldVal & 0xffff) + (newVal >>> 16) + (newVal & 0xffff);
  return ~fold(s) & 0xffff;
}

/** Updates the checksum at `csumOff` in place for a 16-bit field change (e.g. a port). */
export function updateChecksum16(buf: Uint8Array, csumOff: number, oldVal: number, newVal: number): void {
  wr16(buf, csumOff, csumReplace16(rd16(buf, csumOff), oldVal, newVal));
}

/** Updates the checksum at `csumOff` in place for a 32-bit field change (e.g. an IPv4 address). */
export function updateChecksum32(buf: Uint8Array, csumOff: number, oldVal: number, newVal: number): void {
  wr16(buf, csumOff, csumReplace32(rd16(buf, csumOff), oldVal, newVal));
}

/**
 * Updates the checksum at `csumOff` in place for an `n`-byte field (n even) changing from
 * `oldB[oldOff..]` to `newB[newOff..]`; used for IPv6 addresses. Call before overwriting the field
 * if old and new share a buffer.
 */
export function updateChecksumBytes(
  buf: Uint8Array,
  csumOff: number,
  oldB: Uint8Array,
  oldOff: number,
  newB: Uint8Array,
  newOff: number,
  n: number,
): void {
  let s = ~rd16(buf, csumOff) & 0xffff;
  for (let i = 0; i < n; i += 2) {
    s +=
      (~((oldB[oldOff + i]! << 8) | oldB[oldOff + i + 1]!) & 0xffff) +
      ((newB[newOff + i]! << 8) | newB[newOff + i + 1]!);
  }
  wr16(buf, csumOff, ~fold(s) & 0xffff);
}

/**
 * As {@link updateChecksum16} for a UDP checksum: an IPv4 checksum of 0 means "none" and stays 0,
 * and a result of 0 is sent as 0xFFFF (RFC 768), as the kernel's udp_nat_update does.
 */
export function updateUdpChecksum16(buf: Uint8Array, csumOff: number, oldVal: number, newVal: number): void {
  const c = rd16(buf, csumOff);
  if (c === 0) return;
  wr16(buf, csumOff, csumReplace16(c, oldVal, newVal) || 0xffff);
}

/** As {@link updateChecksum32} with the UDP zero rules of {@link updateUdpChecksum16}. */
export function updateUdpChecksum32(buf: Uint8Array, csumOff: number, oldVal: number, newVal: number): void {
  const c = rd16(buf, csumOff);
  if (c === 0) return;
  wr16(buf, csumOff, csumReplace32(c, oldVal, newVal) || 0xffff);
}

/**
 * Completes a CHECKSUM_PARTIAL L4 checksum in place. AF_PACKET hands locally generated and veth
 * frames over before the NIC would checksum them: the field holds only the folded, uncomplemented
 * pseudo-header sum (the kernel's `~tcp_v4_check(len, s, d, 0)`), so summing [l4off, end) with the
 * field in place and complementing gives the full checksum. Complete before any incremental update:
 * RFC 1624 updates assume a finished checksum. Returns the checksum written (0 if `proto` has none).
 */
export function completePartialChecksum(buf: Uint8Array, l4off: number, end: number, proto: number): number {
  const co = l4ChecksumOffset(proto);
  if (co < 0) return 0;
  let c = ~fold(sum16(buf, l4off, end - l4off)) & 0xffff;
  if (proto === IPPROTO.UDP && c === 0) c = 0xffff;
  wr16(buf, l4off + co, c);
  return c;
}

/**
 * Writes the CHECKSUM_PARTIAL form (folded pseudo-header sum only) of the L4 checksum, as the
 * kernel leaves it for offload; used by tests and the packet builder to produce partial frames.
 */
export function fillPartialChecksum(
  buf: Uint8Array,
  l3off: number,
  l4off: number,
  end: number,
  proto: number,
): void {
  const co = l4ChecksumOffset(proto);
  if (co < 0) return;
  wr16(buf, l4off + co, fold(pseudoSumAt(buf, l3off, proto, end - l4off)));
}
