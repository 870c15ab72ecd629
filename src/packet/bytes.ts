/**
 * Big-endian field access and bounds checks shared by every codec. Reads are plain index reads
 * (no DataView) because V8 inlines these tiny functions on the hot path.
 */
import { PacketError } from './packet-error.js';

/** Stable codes of {@link PacketError} thrown by the codecs; tests check these, not messages. */
export const PACKET_ERR = {
  /** Fewer bytes than the header or a length field needs. */
  TRUNCATED: 'ERR_PACKET_TRUNCATED',
  /** A version field other than the one the codec implements. */
  BAD_VERSION: 'ERR_PACKET_BAD_VERSION',
  /** A header-length field below the minimum (IPv4 IHL < 5, TCP data offset < 5, ...). */
  BAD_HEADER_LENGTH: 'ERR_PACKET_BAD_HEADER_LENGTH',
  /** A total/payload length field inconsistent with the header. */
  BAD_LENGTH: 'ERR_PACKET_BAD_LENGTH',
  /** A malformed option or extension header. */
  BAD_OPTION: 'ERR_PACKET_BAD_OPTION',
  /** Well-formed but outside what the codec handles (e.g. non-Ethernet ARP). */
  UNSUPPORTED: 'ERR_PACKET_UNSUPPORTED',
  /** An encoder was given a field value that cannot be encoded. */
  BAD_FIELD: 'ERR_PACKET_BAD_FIELD',
  /** An encoder was given a buffer too small for the bytes it must write. */
  NO_SPACE: 'ERR_PACKET_NO_SPACE',
} as const;

/** A code of {@link PACKET_ERR}. */
export type PacketErrorCode = (typeof PACKET_ERR)[keyof typeof PACKET_ERR];

/** Throws ERR_PACKET_TRUNCATED unless `n` bytes are readable at `off` (checked before any read). */
export function need(buf: Uint8Array, off: number, n: number, what: string): void {
  if (!(off >= 0 && off + n <= buf.length)) {
    throw new PacketError(
      PACKET_ERR.TRUNCATED,
      `${what}: need ${n} bytes at offset ${off}, have ${buf.length}`,
    );
  }
}

/** Throws ERR_PACKET_NO_SPACE unless `n` bytes are writable at `off`. */
export function room(buf: Uint8Array, off: number, n: number, what: string): void {
  if (!(off >= 0 && off + n <= buf.length)) {
    throw new PacketError(
      PACKET_ERR.NO_SPACE,
      `${what}: need ${n} bytes at offset ${off}, have ${buf.length}`,
    );
  }
}

/** Throws a {@link PacketError} with the given code; a helper so codecs stay one-liners. */
export function fail(code: PacketErrorCode, message: string): never {
  throw new PacketError(code, message);
}

/** Throws ERR_PACKET_BAD_FIELD unless `v` is an integer in [0, max]. */
export function checkField(v: number, max: number, what: string): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= max))
    fail(PACKET_ERR.BAD_FIELD, `${what}: ${v} not in 0..${max}`);
}

/** Reads a big-endian u16. The caller has bounds-checked. */
export function rd16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Reads a big-endian u32 as an unsigned number. The caller has bounds-checked. */
export function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Writes a big-endian u16. */
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** Writes a big-endian u32. */
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Copies `n` bytes out into a fresh plain Uint8Array (not a Buffer view, so deepEqual compares values). */
export function copyBytes(b: Uint8Array, o: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(b.subarray(o, o + n));
  return out;
}

/** Throws ERR_PACKET_BAD_FIELD unless `bytes` has exactly `n` bytes (MACs, IPv6 addresses). */
export function checkBytes(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) fail(PACKET_ERR.BAD_FIELD, `${what}: ${bytes.length} bytes, expected ${n}`);
}
