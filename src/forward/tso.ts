/**
 * Software TCP segmentation (what tcp_gso_segment does for a NIC without TSO). AF_PACKET on veth
 * and on locally generated traffic hands over GSO super-frames of up to ~64 KB, and a packet
 * socket cannot transmit a frame larger than the egress MTU, so the engine cuts such a segment
 * into MSS-sized ones before sending: headers copied, sequence numbers advanced, IPv4 ID
 * incremented per segment, FIN and PSH kept only on the last segment and CWR only on the first
 * (RFC 3168 §6.1.2), IP length and both checksums recomputed.
 */
import { fillIPv4Checksum, fillL4Checksum, IPPROTO } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { copyBytes } from './frame.js';

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/**
 * Number of segments the TCP packet in `flow` needs so that each IP packet is at most
 * `maxIpLen` bytes, or -1 if it cannot be segmented (not TCP, a fragment, or headers too big).
 */
export function tcpSegmentCount(flow: Flow, maxIpLen: number): number {
  if (flow.proto !== IPPROTO.TCP || !flow.hasL4 || flow.fragment) return -1;
  const hdr = flow.payloadOff - flow.l3Off;
  const mss = maxIpLen - hdr;
  if (mss < 8) return -1;
  const payload = flow.ipEnd - flow.payloadOff;
  return payload <= 0 ? 1 : Math.ceil(payload / mss);
}

/**
 * Writes segment `k` of the TCP packet in `flow` (see {@link tcpSegmentCount}) as a complete IP
 * packet at `out[outOff]`; returns its IP length. `src` must not overlap `out[outOff, +maxIpLen)`.
 */
export function writeTcpSegment(
  src: Uint8Array,
  flow: Flow,
  maxIpLen: number,
  k: number,
  count: number,
  out: Uint8Array,
  outOff: number,
): number {
  const l3 = flow.l3Off;
  const hdr = flow.payloadOff - l3;
  const mss = maxIpLen - hdr;
  const payload = flow.ipEnd - flow.payloadOff;
  const start = k * mss;
  const len = Math.min(mss, payload - start);
  copyBytes(out, outOff, src, l3, hdr);
  if (len > 0) copyBytes(out, outOff + hdr, src, flow.payloadOff + start, len);
  const total = hdr + Math.max(len, 0);
  const t = outOff + (flow.l4Off - l3);
  if (flow.af === 4) {
    out[outOff + 2] = total >>> 8;
    out[outOff + 3] = total & 0xff;
    const id = (flow.ipId + k) & 0xffff;
    out[outOff + 4] = id >>> 8;
    out[outOff + 5] = id & 0xff;
    fillIPv4Checksum(out, outOff);
  } else {
    const plen = total - 40;
    out[outOff + 4] = plen >>> 8;
    out[outOff + 5] = plen & 0xff;
  }
  const seq =
    (((src[flow.l4Off + 4]! << 24) |
      (src[flow.l4Off + 5]! << 16) |
      (src[flow.l4Off + 6]! << 8) |
      src[flow.l4Off + 7]!) +
      start) >>>
    0;
  out[t + 4] = seq >>> 24;
  out[t + 5] = (seq >>> 16) & 0xff;
  out[t + 6] = (seq >>> 8) & 0xff;
  out[t + 7] = seq & 0xff;
  let flags = src[flow.l4Off + 13]!;
  if (k !== count - 1) flags &= ~(TCP_FIN | TCP_PSH);
  if (k !== 0) flags &= ~TCP_CWR;
  out[t + 13] = flags;
  fillL4Checksum(out, outOff, t, outOff + total, IPPROTO.TCP);
  return total;
}
