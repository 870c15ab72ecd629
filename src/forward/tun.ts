/**
 * Tunnelling (`-i`, `--tun-type ipip|gue|gre`): ip_vs_tunnel_xmit with ipvs_gue_encap and
 * ipvs_gre_encap (ip_vs_xmit.c). The inner packet is left as the client sent it (after the TTL
 * decrement) and outer headers are written in front of it: outer source = the director's address
 * on the route to the real server, outer destination = RIP, TTL copied from the inner packet,
 * TOS copied with ECN encapsulation (INET_ECN_encapsulate), DF as the caller gives it (the inner
 * packet's while pmtu_disc = 1, the default, else clear) and always set over IPv6 inner packets,
 * a fresh IP ID.
 *
 * Only an IPv4 outer header is written (an IPv6 real server under a tunnel is reported as
 * unsupported by the engine). `--tun-remcsum` emits no remote-checksum option: the engine always
 * completes inner checksums, and the kernel adds the option only for CHECKSUM_PARTIAL packets.
 */

import { TUN_F, TUN_TYPE } from '../core/types.js';
import { fillL4Checksum, IPPROTO } from '../packet/checksum.js';
import { fillGreChecksum } from '../packet/gre.js';
import { writeIPv4Header, writeIPv4HeaderWords } from './frame.js';

/** Outer IPv4 header length. */
const OUTER4 = 20;
/** UDP + GUE base header. */
const GUE_HDR = 12;

/** Bytes of outer headers a tunnel of `type` with `flags` puts in front of the inner packet (IPv4 outer). */
export function tunOverhead(type: number, flags: number): number {
  if (type === TUN_TYPE.GUE) return OUTER4 + GUE_HDR;
  if (type === TUN_TYPE.GRE) return OUTER4 + ((flags & TUN_F.CSUM) !== 0 ? 8 : 4);
  return OUTER4;
}

/** Per-packet tunnel parameters; the engine owns one and refills it, so encapsulation allocates nothing. */
export class TunParams {
  /** TUN_TYPE value. */
  type = 0;
  /** TUN_F bits. */
  flags = 0;
  /** GUE destination port (`--tun-port`). */
  port = 0;
  /** Outer source (director) and destination (RIP): host-order address bits (int32 or u32). */
  src4 = 0;
  dst4 = 0;
  /** Outer IP ID. */
  id = 0;
}

// INET_ECN_encapsulate: the outer ECN field copies the inner one, except CE becomes ECT(0).
function ecnEncap(tos: number): number {
  return (tos & 3) === 3 ? (tos & ~3) | 2 : tos;
}

/**
 * {@link tunEncap} for IPIP over an IPv4 inner packet, the engine's tunnel fast path: the outer
 * header as five word stores through `v` (a DataView over the buffer), the same bytes tunEncap
 * writes. Returns the outer header's offset (`innerOff` - 20).
 */
export function ipipEncap4(
  v: DataView,
  innerOff: number,
  innerLen: number,
  tos: number,
  ttl: number,
  df: boolean,
  id: number,
  src4: number,
  dst4: number,
): number {
  const o = innerOff - OUTER4;
  writeIPv4HeaderWords(v, o, ecnEncap(tos), innerLen + OUTER4, id, df, ttl, IPPROTO.IPIP, src4, dst4);
  return o;
}

/**
 * Writes the outer headers in front of the inner IP packet at `buf[innerOff, innerOff + innerLen)`
 * (the caller reserved {@link tunOverhead} bytes before it) and returns the outer IP header's
 * offset. `innerAf` is 4 or 6; `tos`, `ttl` and `df` come from the (already TTL-decremented) inner
 * header; `flowHash` picks the GUE UDP source port, as udp_flow_src_port spreads flows over the
 * ephemeral range so receivers can spread tunnels over queues.
 */
export function tunEncap(
  buf: Uint8Array,
  innerOff: number,
  innerLen: number,
  innerAf: number,
  tos: number,
  ttl: number,
  df: boolean,
  flowHash: number,
  p: TunParams,
): number {
  const over = tunOverhead(p.type, p.flags);
  const o = innerOff - over;
  const total = over + innerLen;
  const outerDf = innerAf === 6 ? true : df;
  const ipProto = innerAf === 6 ? IPPROTO.IPV6 : IPPROTO.IPIP;
  if (p.type === TUN_TYPE.GUE) {
    writeIPv4Header(buf, o, ecnEncap(tos), total, p.id, outerDf, ttl, IPPROTO.UDP, p.src4, p.dst4);
    const u = o + OUTER4;
    writeGueHeader(buf, u, guePort(flowHash), p.port, total - OUTER4, ipProto);
    if ((p.flags & TUN_F.CSUM) !== 0) fillL4Checksum(buf, o, u, o + total, IPPROTO.UDP);
    return o;
  }
  if (p.type === TUN_TYPE.GRE) {
    writeIPv4Header(buf, o, ecnEncap(tos), total, p.id, outerDf, ttl, IPPROTO.GRE, p.src4, p.dst4);
    writeGreHeader(buf, o + OUTER4, o + total, (p.flags & TUN_F.CSUM) !== 0, innerAf);
    return o;
  }
  writeIPv4Header(buf, o, ecnEncap(tos), total, p.id, outerDf, ttl, ipProto, p.src4, p.dst4);
  return o;
}

/** The GUE UDP source port for a flow: udp_flow_src_port spreads flows over the ephemeral range. */
export function guePort(flowHash: number): number {
  return 32768 + ((flowHash >>> 0) % 28232);
}

/**
 * Writes the UDP header (checksum 0; the caller fills it when wanted) and the 4-byte GUE
 * version-0 data header carrying `ipProto` at `u` (ipvs_gue_encap): `ulen` is the UDP length.
 */
export function writeGueHeader(
  buf: Uint8Array,
  u: number,
  sport: number,
  dport: number,
  ulen: number,
  ipProto: number,
): void {
  buf[u] = sport >>> 8;
  buf[u + 1] = sport & 0xff;
  buf[u + 2] = dport >>> 8;
  buf[u + 3] = dport & 0xff;
  buf[u + 4] = ulen >>> 8;
  buf[u + 5] = ulen & 0xff;
  buf[u + 6] = 0;
  buf[u + 7] = 0;
  // GUE version 0, no control, no optional fields: one word carrying the inner protocol.
  buf[u + 8] = 0;
  buf[u + 9] = ipProto;
  buf[u + 10] = 0;
  buf[u + 11] = 0;
}

/**
 * Writes a GRE header at `g` for an inner packet of family `innerAf` ending at `end`, with the
 * RFC 2784 checksum word when `csum` (ipvs_gre_encap); returns the header length (4 or 8).
 */
export function writeGreHeader(
  buf: Uint8Array,
  g: number,
  end: number,
  csum: boolean,
  innerAf: number,
): number {
  buf[g] = csum ? 0x80 : 0;
  buf[g + 1] = 0;
  const et = innerAf === 6 ? 0x86dd : 0x0800;
  buf[g + 2] = et >>> 8;
  buf[g + 3] = et & 0xff;
  if (!csum) return 4;
  buf[g + 4] = 0;
  buf[g + 5] = 0;
  buf[g + 6] = 0;
  buf[g + 7] = 0;
  fillGreChecksum(buf, g, end);
  return 8;
}
