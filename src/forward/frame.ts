/**
 * Small allocation-free helpers every forwarding method shares: Ethernet header writes, byte
 * copies between frames, and IPv4 header fields. They exist so the per-method files stay about
 * what each method changes, not about byte shuffling.
 */
import { fold } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';

/** Length of an untagged Ethernet header; the engine always emits untagged frames. */
export const ETH_LEN = 14;

/** Writes an untagged Ethernet header at `off`: destination and source MAC (6 bytes each from their arrays) and the EtherType. */
export function writeEth(
  buf: Uint8Array,
  off: number,
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  srcOff: number,
  etherType: number,
): void {
  for (let i = 0; i < 6; i++) {
    buf[off + i] = dst[dstOff + i]!;
    buf[off + 6 + i] = src[srcOff + i]!;
  }
  buf[off + 12] = etherType >>> 8;
  buf[off + 13] = etherType & 0xff;
}

/**
 * Copies `n` bytes between possibly different buffers. Short copies use a loop (no view object);
 * long ones use one subarray + set, which V8 turns into a memmove: the one view it allocates is
 * cheaper than a byte loop past ~128 bytes. Overlapping copies within one buffer use copyWithin.
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (dst === src) {
    if (dstOff !== srcOff) dst.copyWithin(dstOff, srcOff, srcOff + n);
    return;
  }
  if (n <= 128) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
    return;
  }
  dst.set(src.subarray(srcOff, srcOff + n), dstOff);
}

/** Writes a 20-byte IPv4 header (no options) at `off` and its checksum. `df` sets the DF bit. */
export function writeIPv4Header(
  buf: Uint8Array,
  off: number,
  tos: number,
  totalLen: number,
  id: number,
  df: boolean,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): void {
  buf[off] = 0x45;
  buf[off + 1] = tos;
  buf[off + 2] = totalLen >>> 8;
  buf[off + 3] = totalLen & 0xff;
  buf[off + 4] = (id >>> 8) & 0xff;
  buf[off + 5] = id & 0xff;
  buf[off + 6] = df ? 0x40 : 0;
  buf[off + 7] = 0;
  buf[off + 8] = ttl;
  buf[off + 9] = proto;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  buf[off + 12] = src >>> 24;
  buf[off + 13] = (src >>> 16) & 0xff;
  buf[off + 14] = (src >>> 8) & 0xff;
  buf[off + 15] = src & 0xff;
  buf[off + 16] = dst >>> 24;
  buf[off + 17] = (dst >>> 16) & 0xff;
  buf[off + 18] = (dst >>> 8) & 0xff;
  buf[off + 19] = dst & 0xff;
  // The header's word sum straight from the field values: the same sum16 gives, without re-reading.
  const s =
    (0x4500 | (tos & 0xff)) +
    (totalLen & 0xffff) +
    (id & 0xffff) +
    (df ? 0x4000 : 0) +
    (((ttl & 0xff) << 8) | (proto & 0xff)) +
    (src >>> 16) +
    (src & 0xffff) +
    (dst >>> 16) +
    (dst & 0xffff);
  const c = ~fold(s) & 0xffff;
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
}

/**
 * {@link writeIPv4Header} as five 32-bit stores through a DataView over the buffer (same bytes):
 * the tunnel fast path writes its outer header this way instead of twenty byte stores.
 */
export function writeIPv4HeaderWords(
  v: DataView,
  off: number,
  tos: number,
  totalLen: number,
  id: number,
  df: boolean,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): void {
  const w0 = 0x4500 | (tos & 0xff);
  const len = totalLen & 0xffff;
  const w1 = id & 0xffff;
  const fl = df ? 0x4000 : 0;
  const w2 = ((ttl & 0xff) << 8) | (proto & 0xff);
  const s = w0 + len + w1 + fl + w2 + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  const c = ~fold(s) & 0xffff;
  v.setInt32(off, (w0 << 16) | len);
  v.setInt32(off + 4, (w1 << 16) | fl);
  v.setInt32(off + 8, (w2 << 16) | c);
  v.setInt32(off + 12, src | 0);
  v.setInt32(off + 16, dst | 0);
}

/** Writes a 40-byte IPv6 header at `off`; addresses are copied from `src`/`dst` at their offsets. */
export function writeIPv6Header(
  buf: Uint8Array,
  off: number,
  tclass: number,
  payloadLen: number,
  next: number,
  hopLimit: number,
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
): void {
  buf[off] = 0x60 | (tclass >>> 4);
  buf[off + 1] = (tclass & 0x0f) << 4;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = payloadLen >>> 8;
  buf[off + 5] = payloadLen & 0xff;
  buf[off + 6] = next;
  buf[off + 7] = hopLimit;
  for (let i = 0; i < 16; i++) {
    buf[off + 8 + i] = src[srcOff + i]!;
    buf[off + 24 + i] = dst[dstOff + i]!;
  }
}

/**
 * Copies the frame a Flow describes (`buf[flow.base, flow.ipEnd)`) to `dst[dstOff]` and moves the
 * Flow's offsets with it, so later rewrites work on the copy. Used when a packet must grow (TOA)
 * and its original buffer may have no room after it (a ring slot).
 */
export function moveFrame(buf: Uint8Array, flow: Flow, dst: Uint8Array, dstOff: number): void {
  copyBytes(dst, dstOff, buf, flow.base, flow.ipEnd - flow.base);
  const d = dstOff - flow.base;
  flow.base += d;
  flow.l3Off += d;
  flow.srcOff += d;
  flow.dstOff += d;
  flow.l4Off += d;
  flow.ipEnd += d;
  flow.payloadOff += d;
  flow.innerL3Off += d;
  flow.innerL4Off += d;
}
