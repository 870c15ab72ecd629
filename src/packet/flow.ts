/**
 * One parse of a frame into a flat, reusable {@link Flow} (katran's packet_description): L2 with an
 * optional 802.1Q tag, ARP, IPv4/IPv6 (fragments, extension headers), L4 ports and flags, and for
 * ICMP errors the embedded tuple. It never throws and never allocates: the verdict is a number the
 * engine counts drops by. Bounds are checked before every read; L3/L4 are bounded by the IP length,
 * not the frame length, so Ethernet padding is ignored.
 */
import { IPPROTO } from './checksum.js';
import { ETHERTYPE } from './ethernet.js';
import { isIcmpError } from './icmp.js';
import { IPV6_WALK_OK, IPV6_WALK_TRUNCATED, newIPv6Upper, walkIPv6Ext } from './ipv6.js';

/** parseFlow verdicts. 1..31 are malformed frames, 32.. well-formed ones the engine does not handle. */
export const PARSE = {
  OK: 0,
  /** Shorter than an Ethernet header (or its VLAN tag). */
  TRUNCATED_L2: 1,
  /** Shorter than the IP/ARP header, or the IP length runs past the frame. */
  TRUNCATED_L3: 2,
  /** IP version nibble disagrees with the EtherType. */
  BAD_IP_VERSION: 3,
  /** IPv4 IHL below 5. */
  BAD_IP_HEADER_LENGTH: 4,
  /** IPv4 total length below its header, or an IPv6 jumbogram (payload length 0 with data). */
  BAD_IP_LENGTH: 5,
  /** IPv4 header checksum fails (the kernel's ip_rcv drops these too). */
  BAD_IP_CHECKSUM: 6,
  /** IPv6 extension header chain malformed, cut short or too long. */
  BAD_IPV6_EXT: 7,
  /** The L4 header does not fit in the IP payload. */
  TRUNCATED_L4: 8,
  /** TCP data offset below 5. */
  BAD_TCP_HEADER_LENGTH: 9,
  /** UDP length field below 8 or beyond the IP payload. */
  BAD_UDP_LENGTH: 10,
  /** An ICMP error whose embedded header is cut short or malformed. */
  BAD_ICMP_EMBEDDED: 11,
  /** ARP for other than Ethernet/IPv4. */
  UNSUPPORTED_ARP: 32,
  /** Neither IPv4, IPv6 nor ARP (includes stacked VLAN tags). */
  UNSUPPORTED_ETHERTYPE: 33,
  /** L3 parsed, but the L4 protocol is not TCP, UDP, SCTP, ICMP or ICMPv6. */
  UNSUPPORTED_PROTOCOL: 34,
} as const;

/** A parseFlow verdict. */
export type ParseCode = (typeof PARSE)[keyof typeof PARSE];

/** Names of the verdicts by code, for counters and `lvsd simulate` summaries. */
export const PARSE_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(PARSE).map(([k, v]) => [v, k.toLowerCase()]),
);

/** True for verdicts that mean a malformed frame (as opposed to OK or unsupported). */
export function isMalformed(code: number): boolean {
  return code > 0 && code < 32;
}

/** The flat result of {@link parseFlow}. Allocate one per worker and reuse it for every frame. */
export class Flow {
  /** Frame length considered (min of `len` and what the buffer holds after `base`). */
  len = 0;
  /** Offset of the frame's first (Ethernet) byte in the buffer: parseFlow's `base`. */
  base = 0;
  /** VLAN id of the 802.1Q tag, or -1 if untagged. */
  vlan = -1;
  /** EtherType after any VLAN tag. */
  etherType = 0;
  /** Offset of the L3 (IP or ARP) header. */
  l3Off = 0;
  /** ARP opcode (ARP frames only). */
  arpOp = 0;
  /** ARP sender protocol address, host-order u32; the sender MAC is at l3Off + 8. */
  arpSenderIp = 0;
  /** ARP target protocol address, host-order u32. */
  arpTargetIp = 0;
  /** 4 or 6 for IP frames, 0 otherwise. */
  af = 0;
  /** End of the IP packet (l3Off + IP length); anything after it is padding. */
  ipEnd = 0;
  /** IPv4 TOS or IPv6 traffic class. */
  tos = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification, or the IPv6 fragment header's id. */
  ipId = 0;
  /** IPv4 DF bit. */
  df = false;
  /** True if the packet is a fragment (MF set or a nonzero offset). */
  fragment = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  /** More-fragments flag. */
  moreFragments = false;
  /** Upper-layer protocol (after IPv6 extension headers). */
  proto = 0;
  /** IPv4 source address, host-order u32. */
  src4 = 0;
  /** IPv4 destination address, host-order u32. */
  dst4 = 0;
  /** IPv6 source address (copied; valid when af === 6). */
  readonly src6 = new Uint8Array(16);
  /** IPv6 destination address (copied; valid when af === 6). */
  readonly dst6 = new Uint8Array(16);
  /** Offset of the source address field in the frame. */
  srcOff = 0;
  /** Offset of the destination address field in the frame. */
  dstOff = 0;
  /** Offset of the L4 header. */
  l4Off = 0;
  /** L4 length: the UDP length for UDP, else ipEnd - l4Off. */
  l4Len = 0;
  /** False for later fragments, whose L4 header is in the first fragment. */
  hasL4 = false;
  /** TCP/UDP/SCTP source port. */
  sport = 0;
  /** TCP/UDP/SCTP destination port. */
  dport = 0;
  /** TCP flags ({@link TCP_FLAG} bits). */
  tcpFlags = 0;
  /** Offset of the L4 payload (after the TCP header with options, UDP header, ICMP header). */
  payloadOff = 0;
  /** ICMP/ICMPv6 type, or -1. */
  icmpType = -1;
  /** ICMP/ICMPv6 code. */
  icmpCode = 0;
  /** Echo identifier for echo request/reply. */
  icmpId = 0;
  /** True for an ICMP error whose embedded header was parsed into the inner* fields. */
  inner = false;
  /** Offset of the embedded IP header. */
  innerL3Off = 0;
  /** Embedded packet's upper-layer protocol. */
  innerProto = 0;
  /** Offset of the embedded L4 header. */
  innerL4Off = 0;
  /** Embedded IPv4 source (the packet as originally sent). */
  innerSrc4 = 0;
  /** Embedded IPv4 destination. */
  innerDst4 = 0;
  /** Embedded IPv6 source. */
  readonly innerSrc6 = new Uint8Array(16);
  /** Embedded IPv6 destination. */
  readonly innerDst6 = new Uint8Array(16);
  /** Embedded source port (0 if not TCP/UDP/SCTP or a later fragment). */
  innerSport = 0;
  /** Embedded destination port. */
  innerDport = 0;
  /** Embedded ICMP type, or -1. */
  innerIcmpType = -1;
  /** Embedded ICMP echo id. */
  innerIcmpId = 0;

  /**
   * True when a field outside the IPv4 TCP/UDP fast path (ARP, ICMP, embedded header) may hold a
   * value from an earlier frame; the fast path then clears them once instead of on every frame.
   */
  rare = true;

  /** Clears the fields only ARP, ICMP and ICMP-error frames set. */
  resetRare(): void {
    this.rare = false;
    this.arpOp = 0;
    this.arpSenderIp = 0;
    this.arpTargetIp = 0;
    this.icmpType = -1;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.inner = false;
    this.innerProto = 0;
    this.innerSport = 0;
    this.innerDport = 0;
    this.innerIcmpType = -1;
    this.innerIcmpId = 0;
  }

  /** Resets the per-packet fields; parseFlow calls it first. */
  reset(): void {
    this.rare = true;
    this.vlan = -1;
    this.etherType = 0;
    this.arpOp = 0;
    this.arpSenderIp = 0;
    this.arpTargetIp = 0;
    this.af = 0;
    this.ipEnd = 0;
    this.tos = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.df = false;
    this.fragment = false;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.proto = 0;
    this.src4 = 0;
    this.dst4 = 0;
    this.l4Off = 0;
    this.l4Len = 0;
    this.hasL4 = false;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.payloadOff = 0;
    this.icmpType = -1;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.inner = false;
    this.innerProto = 0;
    this.innerSport = 0;
    this.innerDport = 0;
    this.innerIcmpType = -1;
    this.innerIcmpId = 0;
  }
}

// Scratch for IPv6 extension walks; parseFlow is synchronous so one module-level object is safe.
const up6 = newIPv6Upper();

/**
 * Parses the frame `buf[base, base + len)` into `flow`. Returns a {@link PARSE} code; never throws.
 * Every offset the Flow records is absolute in `buf`, so a frame inside a ring buffer is parsed
 * (and rewritten) where it lies, without a per-packet subarray view.
 */
export function parseFlow(buf: Uint8Array, len: number, flow: Flow, base = 0): number {
  // The common frame, untagged IPv4 without options or fragmentation carrying TCP or UDP, takes a
  // path with word reads; anything else, or anything it doubts, goes through the general parser.
  if (base > 0 && len >= 34 && base + len <= buf.length && buf[base + 14] === 0x45) {
    if (fastIPv4(buf, base, base + len, flow)) return PARSE.OK;
  } else if (base === 0 && len >= 34 && len <= buf.length && buf[14] === 0x45) {
    if (fastIPv4(buf, 0, len, flow)) return PARSE.OK;
  }
  return parseFrame(buf, len, flow, base);
}

// One DataView per buffer: the driver hands frames of one ring, so it is made once, not per frame.
let viewBuf: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/**
 * A DataView over all of `buf`, made once per buffer (the last one is kept): the driver hands
 * frames of one ring, so word reads and writes on them cost no allocation per frame.
 */
export function frameView(buf: Uint8Array): DataView {
  if (buf !== viewBuf) {
    viewBuf = buf;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return view;
}

/**
 * Parses `buf[b0, n)` (n ≤ buf.length, n - b0 ≥ 34, IPv4 version/IHL byte 0x45 checked) when it
 * is an untagged IPv4 TCP or UDP frame with no options, not a fragment, a good header checksum
 * and a sound L4 header; false (the Flow untouched but for scratch) for the general parser.
 * Every field ends as the general parser would leave it.
 */
function fastIPv4(buf: Uint8Array, b0: number, n: number, flow: Flow): boolean {
  const v = frameView(buf);
  if (v.getUint16(b0 + 12) !== ETHERTYPE.IPV4) return false;
  const o = b0 + 14;
  const w0 = v.getUint32(o);
  const total = w0 & 0xffff;
  const end = o + total;
  if (total < 20 || end > n) return false;
  const w1 = v.getUint32(o + 4);
  // MF or a fragment offset: the general parser knows fragments.
  if ((w1 & 0x3fff) !== 0) return false;
  const w2 = v.getUint32(o + 8);
  const src = v.getUint32(o + 12);
  const dst = v.getUint32(o + 16);
  // Header checksum over the ten 16-bit words must fold to 0xFFFF (RFC 1071).
  let s =
    (w0 >>> 16) +
    total +
    (w1 >>> 16) +
    (w1 & 0xffff) +
    (w2 >>> 16) +
    (w2 & 0xffff) +
    (src >>> 16) +
    (src & 0xffff) +
    (dst >>> 16) +
    (dst & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  if (s !== 0xffff) return false;
  const proto = (w2 >>> 16) & 0xff;
  const t = o + 20;
  let l4Len = total - 20;
  let payload: number;
  let tcpFlags = 0;
  if (proto === IPPROTO.TCP) {
    if (t + 20 > end) return false;
    const x = v.getUint16(t + 12);
    const doff = (x >>> 12) << 2;
    if (doff < 20 || t + doff > end) return false;
    payload = t + doff;
    tcpFlags = x & 0x0fff;
  } else if (proto === IPPROTO.UDP) {
    if (t + 8 > end) return false;
    const ulen = v.getUint16(t + 4);
    if (ulen < 8 || t + ulen > end) return false;
    l4Len = ulen;
    payload = t + 8;
  } else {
    return false;
  }
  const ports = v.getUint32(t);
  if (flow.rare) flow.resetRare();
  flow.base = b0;
  flow.len = n - b0;
  flow.vlan = -1;
  flow.etherType = ETHERTYPE.IPV4;
  flow.l3Off = o;
  flow.af = 4;
  flow.ipEnd = end;
  flow.tos = (w0 >>> 16) & 0xff;
  flow.ttl = w2 >>> 24;
  flow.ipId = w1 >>> 16;
  flow.df = (w1 & 0x4000) !== 0;
  flow.fragment = false;
  flow.fragOffset = 0;
  flow.moreFragments = false;
  flow.proto = proto;
  flow.src4 = src;
  flow.dst4 = dst;
  flow.srcOff = o + 12;
  flow.dstOff = o + 16;
  flow.l4Off = t;
  flow.l4Len = l4Len;
  flow.hasL4 = true;
  flow.sport = ports >>> 16;
  flow.dport = ports & 0xffff;
  flow.tcpFlags = tcpFlags;
  flow.payloadOff = payload;
  return true;
}

/**
 * The general parser behind {@link parseFlow}: every frame shape, field by field. Exported so
 * tests can check that parseFlow's fast path leaves exactly what this leaves.
 */
export function parseFrame(buf: Uint8Array, len: number, flow: Flow, base = 0): number {
  flow.reset();
  const b0 = Math.max(base, 0);
  flow.base = b0;
  // NaN or negative lengths read as empty, so a bad caller cannot push reads past the bounds checks.
  const n = len > 0 ? Math.min(b0 + len, buf.length) : b0;
  flow.len = n > b0 ? n - b0 : 0;
  if (n - b0 < 14) return PARSE.TRUNCATED_L2;
  let type = (buf[b0 + 12]! << 8) | buf[b0 + 13]!;
  let off = b0 + 14;
  if (type === ETHERTYPE.VLAN) {
    if (n - b0 < 18) return PARSE.TRUNCATED_L2;
    flow.vlan = ((buf[b0 + 14]! << 8) | buf[b0 + 15]!) & 0x0fff;
    type = (buf[b0 + 16]! << 8) | buf[b0 + 17]!;
    off = b0 + 18;
  }
  flow.etherType = type;
  flow.l3Off = off;
  if (type === ETHERTYPE.IPV4) return parseIPv4(buf, n, off, flow);
  if (type === ETHERTYPE.IPV6) return parseIPv6(buf, n, off, flow);
  if (type === ETHERTYPE.ARP) return parseArp(buf, n, off, flow);
  return PARSE.UNSUPPORTED_ETHERTYPE;
}

function parseArp(buf: Uint8Array, n: number, off: number, flow: Flow): number {
  if (off + 28 > n) return PARSE.TRUNCATED_L3;
  if (
    buf[off] !== 0 ||
    buf[off + 1] !== 1 ||
    buf[off + 2] !== 8 ||
    buf[off + 3] !== 0 ||
    buf[off + 4] !== 6 ||
    buf[off + 5] !== 4
  ) {
    return PARSE.UNSUPPORTED_ARP;
  }
  flow.arpOp = (buf[off + 6]! << 8) | buf[off + 7]!;
  flow.arpSenderIp = rd32(buf, off + 14);
  flow.arpTargetIp = rd32(buf, off + 24);
  return PARSE.OK;
}

function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function parseIPv4(buf: Uint8Array, n: number, off: number, flow: Flow): number {
  if (off + 20 > n) return PARSE.TRUNCATED_L3;
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) return PARSE.BAD_IP_VERSION;
  const hlen = (vihl & 0x0f) << 2;
  if (hlen < 20) return PARSE.BAD_IP_HEADER_LENGTH;
  const total = (buf[off + 2]! << 8) | buf[off + 3]!;
  if (total < hlen) return PARSE.BAD_IP_LENGTH;
  if (off + total > n) return PARSE.TRUNCATED_L3;
  // Header checksum: the folded sum of the header words must be 0xFFFF.
  let s = 0;
  for (let i = off; i < off + hlen; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  if (s !== 0xffff) return PARSE.BAD_IP_CHECKSUM;
  const ff = (buf[off + 6]! << 8) | buf[off + 7]!;
  flow.af = 4;
  flow.ipEnd = off + total;
  flow.tos = buf[off + 1]!;
  flow.ipId = (buf[off + 4]! << 8) | buf[off + 5]!;
  flow.df = (ff & 0x4000) !== 0;
  flow.moreFragments = (ff & 0x2000) !== 0;
  flow.fragOffset = (ff & 0x1fff) << 3;
  flow.fragment = flow.moreFragments || flow.fragOffset !== 0;
  flow.ttl = buf[off + 8]!;
  flow.proto = buf[off + 9]!;
  flow.srcOff = off + 12;
  flow.dstOff = off + 16;
  flow.src4 = rd32(buf, off + 12);
  flow.dst4 = rd32(buf, off + 16);
  flow.l4Off = off + hlen;
  flow.l4Len = total - hlen;
  if (flow.fragOffset !== 0) return supported(flow.proto) ? PARSE.OK : PARSE.UNSUPPORTED_PROTOCOL;
  return parseL4(buf, flow);
}

function parseIPv6(buf: Uint8Array, n: number, off: number, flow: Flow): number {
  if (off + 40 > n) return PARSE.TRUNCATED_L3;
  if (buf[off]! >> 4 !== 6) return PARSE.BAD_IP_VERSION;
  const plen = (buf[off + 4]! << 8) | buf[off + 5]!;
  const end = off + 40 + plen;
  if (end > n) return PARSE.TRUNCATED_L3;
  // A zero payload length with data after the header is a jumbogram (RFC 2675); not supported.
  if (plen === 0 && buf[off + 6] === IPPROTO.HOPOPTS) return PARSE.BAD_IP_LENGTH;
  flow.af = 6;
  flow.ipEnd = end;
  flow.tos = ((buf[off]! & 0x0f) << 4) | (buf[off + 1]! >> 4);
  flow.ttl = buf[off + 7]!;
  flow.srcOff = off + 8;
  flow.dstOff = off + 24;
  for (let i = 0; i < 16; i++) {
    flow.src6[i] = buf[off + 8 + i]!;
    flow.dst6[i] = buf[off + 24 + i]!;
  }
  if (walkIPv6Ext(buf, buf[off + 6]!, off + 40, end, up6) !== IPV6_WALK_OK) return PARSE.BAD_IPV6_EXT;
  flow.proto = up6.protocol;
  flow.l4Off = up6.offset;
  flow.l4Len = end - up6.offset;
  if (up6.fragment) {
    flow.fragment = true;
    flow.fragOffset = up6.fragOffset;
    flow.moreFragments = up6.moreFragments;
    flow.ipId = up6.fragId;
    if (up6.fragOffset !== 0) return supported(flow.proto) ? PARSE.OK : PARSE.UNSUPPORTED_PROTOCOL;
  }
  return parseL4(buf, flow);
}

function supported(p: number): boolean {
  return (
    p === IPPROTO.TCP || p === IPPROTO.UDP || p === IPPROTO.SCTP || p === IPPROTO.ICMP || p === IPPROTO.ICMPV6
  );
}

function parseL4(buf: Uint8Array, flow: Flow): number {
  const o = flow.l4Off;
  const end = flow.ipEnd;
  switch (flow.proto) {
    case IPPROTO.TCP: {
      if (o + 20 > end) return PARSE.TRUNCATED_L4;
      const doff = (buf[o + 12]! >> 4) << 2;
      if (doff < 20) return PARSE.BAD_TCP_HEADER_LENGTH;
      if (o + doff > end) return PARSE.TRUNCATED_L4;
      flow.sport = (buf[o]! << 8) | buf[o + 1]!;
      flow.dport = (buf[o + 2]! << 8) | buf[o + 3]!;
      flow.tcpFlags = ((buf[o + 12]! & 0x0f) << 8) | buf[o + 13]!;
      flow.payloadOff = o + doff;
      break;
    }
    case IPPROTO.UDP: {
      if (o + 8 > end) return PARSE.TRUNCATED_L4;
      const ulen = (buf[o + 4]! << 8) | buf[o + 5]!;
      // A first fragment carries less than the UDP length says; only whole datagrams are checked.
      if (ulen < 8 || (!flow.fragment && o + ulen > end)) return PARSE.BAD_UDP_LENGTH;
      flow.sport = (buf[o]! << 8) | buf[o + 1]!;
      flow.dport = (buf[o + 2]! << 8) | buf[o + 3]!;
      flow.l4Len = flow.fragment ? end - o : ulen;
      flow.payloadOff = o + 8;
      break;
    }
    case IPPROTO.SCTP: {
      if (o + 12 > end) return PARSE.TRUNCATED_L4;
      flow.sport = (buf[o]! << 8) | buf[o + 1]!;
      flow.dport = (buf[o + 2]! << 8) | buf[o + 3]!;
      flow.payloadOff = o + 12;
      break;
    }
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6: {
      if (o + 8 > end) return PARSE.TRUNCATED_L4;
      const t = buf[o]!;
      flow.icmpType = t;
      flow.icmpCode = buf[o + 1]!;
      flow.icmpId = (buf[o + 4]! << 8) | buf[o + 5]!;
      flow.payloadOff = o + 8;
      flow.hasL4 = true;
      // Errors about fragments' tails cannot be parsed; only whole or first-fragment ICMP is.
      if (flow.fragment) return PARSE.OK;
      if (flow.proto === IPPROTO.ICMP && flow.af === 4 && isIcmpError(t)) return parseInner4(buf, flow);
      if (flow.proto === IPPROTO.ICMPV6 && flow.af === 6 && t < 128) return parseInner6(buf, flow);
      return PARSE.OK;
    }
    default:
      return PARSE.UNSUPPORTED_PROTOCOL;
  }
  flow.hasL4 = true;
  return PARSE.OK;
}

function parseInnerPorts(buf: Uint8Array, flow: Flow, o: number): number {
  const end = flow.ipEnd;
  const p = flow.innerProto;
  if (p === IPPROTO.TCP || p === IPPROTO.UDP || p === IPPROTO.SCTP) {
    // RFC 792 guarantees 8 bytes of the offending payload; the ports are the first 4.
    if (o + 4 > end) return PARSE.BAD_ICMP_EMBEDDED;
    flow.innerSport = (buf[o]! << 8) | buf[o + 1]!;
    flow.innerDport = (buf[o + 2]! << 8) | buf[o + 3]!;
  } else if (p === IPPROTO.ICMP || p === IPPROTO.ICMPV6) {
    if (o + 8 > end) return PARSE.BAD_ICMP_EMBEDDED;
    flow.innerIcmpType = buf[o]!;
    flow.innerIcmpId = (buf[o + 4]! << 8) | buf[o + 5]!;
  }
  flow.inner = true;
  return PARSE.OK;
}

function parseInner4(buf: Uint8Array, flow: Flow): number {
  const o = flow.payloadOff;
  const end = flow.ipEnd;
  if (o + 20 > end) return PARSE.BAD_ICMP_EMBEDDED;
  const vihl = buf[o]!;
  const hlen = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || hlen < 20 || o + hlen > end) return PARSE.BAD_ICMP_EMBEDDED;
  flow.innerL3Off = o;
  flow.innerProto = buf[o + 9]!;
  flow.innerSrc4 = rd32(buf, o + 12);
  flow.innerDst4 = rd32(buf, o + 16);
  flow.innerL4Off = o + hlen;
  // An error about a later fragment carries no ports.
  if ((((buf[o + 6]! << 8) | buf[o + 7]!) & 0x1fff) !== 0) {
    flow.inner = true;
    return PARSE.OK;
  }
  return parseInnerPorts(buf, flow, o + hlen);
}

function parseInner6(buf: Uint8Array, flow: Flow): number {
  const o = flow.payloadOff;
  const end = flow.ipEnd;
  if (o + 40 > end || buf[o]! >> 4 !== 6) return PARSE.BAD_ICMP_EMBEDDED;
  for (let i = 0; i < 16; i++) {
    flow.innerSrc6[i] = buf[o + 8 + i]!;
    flow.innerDst6[i] = buf[o + 24 + i]!;
  }
  // The embedded packet is usually cut short: walk its extension headers only up to our end.
  const r = walkIPv6Ext(buf, buf[o + 6]!, o + 40, end, up6);
  if (r === IPV6_WALK_TRUNCATED || r !== IPV6_WALK_OK) return PARSE.BAD_ICMP_EMBEDDED;
  flow.innerL3Off = o;
  flow.innerProto = up6.protocol;
  flow.innerL4Off = up6.offset;
  if (up6.fragOffset !== 0) {
    flow.inner = true;
    return PARSE.OK;
  }
  return parseInnerPorts(buf, flow, up6.offset);
}
