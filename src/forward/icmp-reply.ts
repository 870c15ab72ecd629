/**
 * ICMP messages the director itself originates: errors (port unreachable from ip_vs_leave,
 * fragmentation-needed / packet-too-big from ensure_mtu_is_adequate, time-exceeded from
 * decrement_ttl) and echo replies for the VIPs. Errors follow the kernel's icmp_send /
 * icmp6_send: quote as much of the offending packet as keeps the error within 576 bytes (IPv4,
 * RFC 1812 §4.3.2.3) or 1280 bytes (IPv6, RFC 4443 §2.4), TTL 64, and for IPv4 the TOS
 * precedence "internetwork control" with the original TOS bits.
 */
import { fillL4Checksum, IPPROTO, updateChecksum16 } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { fillIcmpChecksum } from '../packet/icmp.js';
import { copyBytes, writeIPv4Header, writeIPv6Header } from './frame.js';

/** Largest IPv4 ICMP error the director sends (icmp_send's 576-byte limit). */
export const ICMP4_MAX = 576;
/** Largest ICMPv6 error (the IPv6 minimum MTU). */
export const ICMP6_MAX = 1280;
/** TTL / hop limit of originated messages (ip_default_ttl, hop_limit defaults). */
export const ORIGIN_TTL = 64;

/**
 * Writes an IPv4 ICMP error (IP header onward) at `out[outOff]` quoting the packet at
 * `orig[origL3Off, origL3Off + origLen)`; `rest` is the 32-bit word after the checksum (the MTU
 * for frag-needed). Returns the IP length written. `out` needs ICMP4_MAX bytes of room.
 */
export function writeIcmpError4(
  out: Uint8Array,
  outOff: number,
  orig: Uint8Array,
  origL3Off: number,
  origLen: number,
  type: number,
  code: number,
  rest: number,
  src4: number,
  dst4: number,
  id: number,
): number {
  const quote = Math.min(origLen, ICMP4_MAX - 28);
  const total = 28 + quote;
  const tos = 0xc0 | (orig[origL3Off + 1]! & 0x1e);
  writeIPv4Header(out, outOff, tos, total, id, false, ORIGIN_TTL, IPPROTO.ICMP, src4, dst4);
  const o = outOff + 20;
  writeIcmpErrorBody(out, o, type, code, rest, orig, origL3Off, quote);
  fillIcmpChecksum(out, o, outOff + total);
  return total;
}

/**
 * Writes the ICMP/ICMPv6 error header (type, code, zero checksum, the 32-bit `rest` word: MTU or
 * unused) and the quoted packet at `out[o]`; the same layout serves both families (RFC 792,
 * RFC 4443 §2.1). The caller fills the checksum.
 */
function writeIcmpErrorBody(
  out: Uint8Array,
  o: number,
  type: number,
  code: number,
  rest: number,
  orig: Uint8Array,
  origL3Off: number,
  quote: number,
): void {
  out[o] = type;
  out[o + 1] = code;
  out[o + 2] = 0;
  out[o + 3] = 0;
  out[o + 4] = rest >>> 24;
  out[o + 5] = (rest >>> 16) & 0xff;
  out[o + 6] = (rest >>> 8) & 0xff;
  out[o + 7] = rest & 0xff;
  copyBytes(out, o + 8, orig, origL3Off, quote);
}

/**
 * Writes an ICMPv6 error (IPv6 header onward) at `out[outOff]` quoting the packet at
 * `orig[origL3Off, +origLen)`, from `src` to `dst` (16 bytes each at their offsets). Returns the
 * IP length written; `out` needs ICMP6_MAX bytes of room.
 */
export function writeIcmpError6(
  out: Uint8Array,
  outOff: number,
  orig: Uint8Array,
  origL3Off: number,
  origLen: number,
  type: number,
  code: number,
  rest: number,
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
): number {
  const quote = Math.min(origLen, ICMP6_MAX - 48);
  const plen = 8 + quote;
  writeIPv6Header(out, outOff, 0, plen, IPPROTO.ICMPV6, ORIGIN_TTL, src, srcOff, dst, dstOff);
  const o = outOff + 40;
  writeIcmpErrorBody(out, o, type, code, rest, orig, origL3Off, quote);
  fillL4Checksum(out, outOff, o, o + plen, IPPROTO.ICMPV6);
  return 40 + plen;
}

/**
 * Turns an ICMP echo request (v4 type 8 / v6 type 128) into the reply in place: addresses swapped
 * (which leaves every checksum unchanged), type 0 / 129, TTL reset to 64; checksums updated
 * incrementally. The payload is echoed untouched (RFC 792, RFC 4443 §4.2).
 */
export function echoReplyInPlace(buf: Uint8Array, flow: Flow): void {
  const o = flow.l4Off;
  const s = flow.srcOff;
  const d = flow.dstOff;
  const n = flow.af === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) {
    const t = buf[s + i]!;
    buf[s + i] = buf[d + i]!;
    buf[d + i] = t;
  }
  const oldType = buf[o]!;
  const newType = flow.af === 4 ? 0 : 129;
  buf[o] = newType;
  updateChecksum16(buf, o + 2, (oldType << 8) | buf[o + 1]!, (newType << 8) | buf[o + 1]!);
  if (flow.af === 4) {
    const t = flow.l3Off + 8;
    const oldWord = (buf[t]! << 8) | buf[t + 1]!;
    buf[t] = ORIGIN_TTL;
    updateChecksum16(buf, flow.l3Off + 10, oldWord, (ORIGIN_TTL << 8) | buf[t + 1]!);
    const a = flow.src4;
    flow.src4 = flow.dst4;
    flow.dst4 = a;
  } else {
    buf[flow.l3Off + 7] = ORIGIN_TTL;
    const tmp = flow.src6;
    for (let i = 0; i < 16; i++) {
      const t = tmp[i]!;
      tmp[i] = flow.dst6[i]!;
      flow.dst6[i] = t;
    }
  }
  flow.ttl = ORIGIN_TTL;
}
