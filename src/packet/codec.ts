/**
 * The one contract every codec in this folder meets, in the shape of dns-packet's encoders
 * (mafintosh/dns-packet: `encode(value, buf, offset)`, `decode(buf, offset)`, `encodingLength(value)`):
 * pure functions over bytes at an explicit offset, bounds checked before every read and write, and
 * failures thrown only as {@link PacketError} with a {@link PACKET_ERR} code.
 *
 * The engine's per-packet path calls the plain functions (`decodeIPv4`, `walkIPv6Ext`, ...) and
 * the in-place rewrites directly; a Codec object wraps those same functions for building,
 * inspecting and testing, so the contract costs the hot path nothing.
 */

/** How far a decoder reads: the encoding's own length fields, or everything up to the buffer's end. */
export type CodecExtent = 'self' | 'buffer';

/** An encoder/decoder pair for values of type `T`. */
export interface Codec<T> {
  /** A short name for reports ("ipv4", "pcap", ...); unique among the codecs of this folder. */
  readonly name: string;
  /**
   * `'self'`: the encoding carries its own length, so decode stops there whatever follows.
   * `'buffer'`: the encoding runs to the end of `buf` (a pcap file, a TCP option list bounded by
   * the data offset), so callers pass a buffer cut at the encoding's end.
   */
  readonly extent: CodecExtent;
  /** Decodes the value at `off`; throws a PacketError (ERR_PACKET_TRUNCATED, ...) on bad bytes. */
  decode(buf: Uint8Array, off: number): T;
  /** Writes `v` at `off` and returns the bytes written; throws ERR_PACKET_NO_SPACE or ERR_PACKET_BAD_FIELD. */
  encode(v: T, buf: Uint8Array, off: number): number;
  /** The bytes {@link Codec.encode} writes for `v`. */
  encodingLength(v: T): number;
}

/** True if `x` is a {@link Codec} object (used to list every codec a module exports). */
export function isCodec(x: unknown): x is Codec<unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Partial<Codec<unknown>>;
  return (
    typeof c.name === 'string' &&
    (c.extent === 'self' || c.extent === 'buffer') &&
    typeof c.decode === 'function' &&
    typeof c.encode === 'function' &&
    typeof c.encodingLength === 'function'
  );
}
