/** TCP headers (RFC 9293 §3.1) with raw options; option helpers live in tcp-options.ts. */
import { checkField, copyBytes, fail, need, PACKET_ERR, rd16, rd32, room, wr16, wr32 } from './bytes.js';
import type { Codec } from './codec.js';

/** Length of a TCP header without options. */
export const TCP_LEN = 20;
/** Largest TCP header (data offset 15). */
export const TCP_MAX_LEN = 60;

/** TCP flag bits as they sit in the low 9 bits of bytes 12-13 (NS is RFC 3540's, now reserved). */
export const TCP_FLAG = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
} as const;

/** A TCP header. The data offset is implied by `options` (a multiple of 4, at most 40 bytes). */
export interface TcpHeader {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  /** The 12 bits after the data offset: 3 reserved bits, NS, CWR..FIN ({@link TCP_FLAG}). */
  readonly flags: number;
  readonly window: number;
  /** Written as given; compute it with fillL4Checksum once the payload is in place. */
  readonly checksum: number;
  readonly urgent: number;
  /** Raw option bytes, padded to a multiple of 4. */
  readonly options: Uint8Array;
}

/** Bytes the header takes: 20 plus the options. */
export function encodingLengthTcp(h: TcpHeader): number {
  return TCP_LEN + h.options.length;
}

/** Decodes a TCP header; the data offset must be at least 5 and within the buffer. */
export function decodeTcp(buf: Uint8Array, off: number): TcpHeader {
  need(buf, off, TCP_LEN, 'tcp');
  const w = rd16(buf, off + 12);
  const hlen = (w >>> 12) * 4;
  if (hlen < TCP_LEN) fail(PACKET_ERR.BAD_HEADER_LENGTH, `tcp: data offset ${hlen / 4} < 5`);
  need(buf, off, hlen, 'tcp options');
  return {
    sport: rd16(buf, off),
    dport: rd16(buf, off + 2),
    seq: rd32(buf, off + 4),
    ack: rd32(buf, off + 8),
    flags: w & 0x0fff,
    window: rd16(buf, off + 14),
    checksum: rd16(buf, off + 16),
    urgent: rd16(buf, off + 18),
    options: copyBytes(buf, off + TCP_LEN, hlen - TCP_LEN),
  };
}

/** Encodes a TCP header at `off`; returns bytes written. */
export function encodeTcp(h: TcpHeader, buf: Uint8Array, off: number): number {
  const olen = h.options.length;
  if (olen % 4 !== 0 || olen > TCP_MAX_LEN - TCP_LEN) {
    fail(PACKET_ERR.BAD_FIELD, `tcp: options length ${olen} not a multiple of 4 up to 40`);
  }
  checkField(h.sport, 0xffff, 'tcp sport');
  checkField(h.dport, 0xffff, 'tcp dport');
  checkField(h.seq, 0xffffffff, 'tcp seq');
  checkField(h.ack, 0xffffffff, 'tcp ack');
  checkField(h.flags, 0x0fff, 'tcp flags');
  checkField(h.window, 0xffff, 'tcp window');
  checkField(h.checksum, 0xffff, 'tcp checksum');
  checkField(h.urgent, 0xffff, 'tcp urgent');
  const hlen = TCP_LEN + olen;
  room(buf, off, hlen, 'tcp');
  wr16(buf, off, h.sport);
  wr16(buf, off + 2, h.dport);
  wr32(buf, off + 4, h.seq);
  wr32(buf, off + 8, h.ack);
  wr16(buf, off + 12, ((hlen >> 2) << 12) | h.flags);
  wr16(buf, off + 14, h.window);
  wr16(buf, off + 16, h.checksum);
  wr16(buf, off + 18, h.urgent);
  buf.set(h.options, off + TCP_LEN);
  return hlen;
}

/** Parses flag letters (`'S'`, `'SA'`, `'FA'`, `'R'`, `'P'`, `'U'`, `'E'`, `'C'`) into {@link TCP_FLAG} bits. */
export function parseTcpFlags(s: string): number {
  const bits: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128, N: 256 };
  let v = 0;
  for (const ch of s.toUpperCase()) {
    const b = bits[ch];
    if (b === undefined) fail(PACKET_ERR.BAD_FIELD, `tcp: unknown flag letter ${ch}`);
    v |= b;
  }
  return v;
}

/** The TCP header (options as raw bytes) as a {@link Codec}. */
export const tcpCodec: Codec<TcpHeader> = {
  name: 'tcp',
  extent: 'self',
  decode: decodeTcp,
  encode: encodeTcp,
  encodingLength: encodingLengthTcp,
};
