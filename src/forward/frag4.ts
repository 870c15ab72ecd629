/**
 * IPv4 fragmentation of a packet the engine built, as the kernel's output path does for a packet
 * larger than the route's MTU whose DF bit is clear (net/ipv4/ip_output.c ip_do_fragment(), the
 * slow path): every fragment carries a copy of the 20-byte header with the same ID, its total
 * length, its offset in 8-byte units and MF on all but the last, and a fresh header checksum; the
 * payload is cut into pieces of (MTU - 20) rounded down to a multiple of 8. The engine uses it for
 * tunnelled packets whose outer DF is clear (pmtu_disc = 0, or an inner packet without DF), which
 * ip_vs_tunnel_xmit() hands to that path. Pure; no allocation.
 */
import { fillIPv4Checksum } from '../packet/checksum.js';

/** Bytes of the option-less IPv4 header the fragments carry. */
const HDR = 20;

/** Payload bytes per fragment (not the last) at `mtu`; 0 when the MTU cannot hold 8 bytes of payload. */
export function fragPayload4(mtu: number): number {
  return Math.max(0, (mtu - HDR) & ~7);
}

/** How many fragments a packet of `totalLen` bytes (20-byte header) leaves as at `mtu`; -1 when it cannot. */
export function fragCount4(totalLen: number, mtu: number): number {
  const per = fragPayload4(mtu);
  if (per === 0) return -1;
  return Math.ceil((totalLen - HDR) / per);
}

/**
 * Writes fragment `k` of the IPv4 packet `src[off, off + totalLen)` (an option-less header of a
 * packet that is not itself a fragment) cut for `mtu` to `dst[at...]`, returning its length.
 */
export function writeFragment4(
  src: Uint8Array,
  off: number,
  totalLen: number,
  mtu: number,
  k: number,
  dst: Uint8Array,
  at: number,
): number {
  const per = fragPayload4(mtu);
  const start = k * per;
  const payload = totalLen - HDR;
  const len = Math.min(per, payload - start);
  dst.set(src.subarray(off, off + HDR), at);
  dst.set(src.subarray(off + HDR + start, off + HDR + start + len), at + HDR);
  const total = HDR + len;
  dst[at + 2] = total >>> 8;
  dst[at + 3] = total & 0xff;
  // Keep DF as it was (clear here), set MF unless last, and the offset in 8-byte units.
  const more = start + len < payload ? 0x2000 : 0;
  const frag = ((src[off + 6]! << 8) & 0x4000) | more | (start >>> 3);
  dst[at + 6] = frag >>> 8;
  dst[at + 7] = frag & 0xff;
  fillIPv4Checksum(dst, at);
  return total;
}
