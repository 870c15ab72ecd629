/**
 * TCP options: a list codec for building and inspecting, allocation-free lookups for the hot path,
 * MSS clamping, and TOA (kind 254), the option Alibaba's LVS and DPVS insert under FULLNAT so the
 * real server's toa.ko can recover the client address (dpvs kmod/toa/toa.h: TCPOLEN_IP4_TOA 8 =
 * kind, len, port, IPv4; TCPOLEN_IP6_TOA 20 = kind, len, port, IPv6; all in network order).
 */
import {
  checkBytes,
  checkField,
  copyBytes,
  fail,
  need,
  PACKET_ERR,
  rd16,
  rd32,
  room,
  wr16,
  wr32,
} from './bytes.js';
import { updateChecksum16 } from './checksum.js';
import type { Codec } from './codec.js';
import { TCP_LEN } from './tcp.js';

/** TCP option kinds. */
export const TCPOPT = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERM: 4,
  SACK: 5,
  TIMESTAMP: 8,
  TOA: 254,
} as const;
/** Length of the IPv4 TOA option. */
export const TCPOLEN_TOA = 8;
/** Length of the IPv6 TOA option (DPVS). */
export const TCPOLEN_TOA6 = 20;

/** One option: EOL and NOP have no length byte and an empty `data`. */
export interface TcpOption {
  readonly kind: number;
  /** The bytes after kind and length. */
  readonly data: Uint8Array;
}

/** Decodes an option list (the bytes after the 20-byte header); stops at EOL, keeping it. */
export function decodeTcpOptions(buf: Uint8Array, off: number, end: number): TcpOption[] {
  if (end > buf.length) fail(PACKET_ERR.TRUNCATED, 'tcp options: end beyond buffer');
  const out: TcpOption[] = [];
  let p = off;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCPOPT.EOL || kind === TCPOPT.NOP) {
      out.push({ kind, data: new Uint8Array(0) });
      p++;
      if (kind === TCPOPT.EOL) break;
      continue;
    }
    need(buf.subarray(0, end), p, 2, 'tcp option');
    const len = buf[p + 1]!;
    if (len < 2) fail(PACKET_ERR.BAD_OPTION, `tcp option ${kind}: length ${len}`);
    need(buf.subarray(0, end), p, len, 'tcp option');
    out.push({ kind, data: copyBytes(buf, p + 2, len - 2) });
    p += len;
  }
  return out;
}

/** Bytes an option list takes before padding. */
export function encodingLengthTcpOptions(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) n += o.kind === TCPOPT.EOL || o.kind === TCPOPT.NOP ? 1 : 2 + o.data.length;
  return n;
}

/** Encodes options at `off` and pads with EOL to a multiple of 4; returns bytes written. */
export function encodeTcpOptions(opts: readonly TcpOption[], buf: Uint8Array, off: number): number {
  const raw = encodingLengthTcpOptions(opts);
  const len = (raw + 3) & ~3;
  if (len > 40) fail(PACKET_ERR.BAD_FIELD, `tcp options: ${len} bytes > 40`);
  room(buf, off, len, 'tcp options');
  let p = off;
  for (const o of opts) {
    checkField(o.kind, 0xff, 'tcp option kind');
    buf[p++] = o.kind;
    if (o.kind === TCPOPT.EOL || o.kind === TCPOPT.NOP) continue;
    buf[p++] = 2 + o.data.length;
    buf.set(o.data, p);
    p += o.data.length;
  }
  buf.fill(TCPOPT.EOL, p, off + len);
  return len;
}

/**
 * An option list as a {@link Codec}. The list runs to the end of the buffer (the header's data
 * offset bounds it), and encode pads with EOL, so a list decodes back to itself when it ends with
 * EOL or fills a multiple of 4 bytes.
 */
export const tcpOptionsCodec: Codec<readonly TcpOption[]> = {
  name: 'tcp options',
  extent: 'buffer',
  decode: (buf, off) => decodeTcpOptions(buf, off, buf.length),
  encode: encodeTcpOptions,
  encodingLength: (opts) => (encodingLengthTcpOptions(opts) + 3) & ~3,
};

/** Encodes an option list into a fresh padded array, ready for TcpHeader.options. */
export function tcpOptionsBytes(opts: readonly TcpOption[]): Uint8Array {
  const out = new Uint8Array((encodingLengthTcpOptions(opts) + 3) & ~3);
  encodeTcpOptions(opts, out, 0);
  return out;
}

/** An MSS option. */
export function mssOption(mss: number): TcpOption {
  checkField(mss, 0xffff, 'mss');
  return { kind: TCPOPT.MSS, data: new Uint8Array([mss >>> 8, mss & 0xff]) };
}

/** A TOA option carrying the client address (4 or 16 bytes) and port. */
export function toaOption(port: number, addr: Uint8Array): TcpOption {
  checkField(port, 0xffff, 'toa port');
  if (addr.length !== 4 && addr.length !== 16)
    fail(PACKET_ERR.BAD_FIELD, 'toa: address must be 4 or 16 bytes');
  const data = new Uint8Array(2 + addr.length);
  wr16(data, 0, port);
  data.set(addr, 2);
  return { kind: TCPOPT.TOA, data };
}

/**
 * Offset of the first option of `kind` in the TCP header at `tcpOff`, or -1 if absent or if the
 * option list is malformed. The caller has checked the whole header (data offset) is in `buf`.
 * Allocation-free and bounded by the header length.
 */
export function findTcpOption(buf: Uint8Array, tcpOff: number, kind: number): number {
  const end = tcpOff + (buf[tcpOff + 12]! >>> 4) * 4;
  let p = tcpOff + TCP_LEN;
  while (p < end) {
    const k = buf[p]!;
    if (k === TCPOPT.EOL) return -1;
    if (k === TCPOPT.NOP) {
      p++;
      continue;
    }
    if (p + 2 > end) return -1;
    const len = buf[p + 1]!;
    if (len < 2 || p + len > end) return -1;
    if (k === kind) return p;
    p += len;
  }
  return -1;
}

/** The MSS option's value in the TCP header at `tcpOff`, or -1 if absent or malformed. */
export function tcpMss(buf: Uint8Array, tcpOff: number): number {
  const p = findTcpOption(buf, tcpOff, TCPOPT.MSS);
  return p >= 0 && buf[p + 1] === 4 ? rd16(buf, p + 2) : -1;
}

/**
 * Lowers the MSS option to `mss` if it is larger (iptables TCPMSS --clamp-mss semantics, used when
 * tunnel overhead shrinks the path MTU), updating the TCP checksum incrementally. Returns true if
 * the option was rewritten. The checksum must be complete (not CHECKSUM_PARTIAL).
 */
export function clampTcpMss(buf: Uint8Array, tcpOff: number, mss: number): boolean {
  const p = findTcpOption(buf, tcpOff, TCPOPT.MSS);
  if (p < 0 || buf[p + 1] !== 4) return false;
  const old = rd16(buf, p + 2);
  if (old <= mss) return false;
  // The option may sit at an odd offset relative to the header; the checksum is over 16-bit words
  // aligned to the header start, so update the two aligned words that cover it.
  if (((p + 2 - tcpOff) & 1) === 0) {
    updateChecksum16(buf, tcpOff + 16, old, mss);
    wr16(buf, p + 2, mss);
  } else {
    const w0 = rd16(buf, p + 1);
    const w1 = rd16(buf, p + 3);
    wr16(buf, p + 2, mss);
    updateChecksum16(buf, tcpOff + 16, w0, rd16(buf, p + 1));
    updateChecksum16(buf, tcpOff + 16, w1, rd16(buf, p + 3));
  }
  return true;
}

/** A TOA option's contents. */
export interface Toa {
  readonly port: number;
  /** Client address: 4 bytes (IPv4) or 16 bytes (IPv6). */
  readonly addr: Uint8Array;
}

/** Decodes the TOA option at `off` (kind byte included); length must be 8 or 20. */
export function decodeToa(buf: Uint8Array, off: number): Toa {
  need(buf, off, 2, 'toa');
  if (buf[off] !== TCPOPT.TOA) fail(PACKET_ERR.BAD_OPTION, `toa: kind ${buf[off]}`);
  const len = buf[off + 1]!;
  if (len !== TCPOLEN_TOA && len !== TCPOLEN_TOA6) fail(PACKET_ERR.BAD_OPTION, `toa: length ${len}`);
  need(buf, off, len, 'toa');
  return { port: rd16(buf, off + 2), addr: copyBytes(buf, off + 4, len - 4) };
}

/** Bytes a TOA option takes: 8 for an IPv4 address, 20 for IPv6. */
export function encodingLengthToa(t: Toa): number {
  return t.addr.length === 4 ? TCPOLEN_TOA : TCPOLEN_TOA6;
}

/** Encodes a TOA option at `off`; returns 8 (IPv4) or 20 (IPv6). */
export function encodeToa(t: Toa, buf: Uint8Array, off: number): number {
  checkField(t.port, 0xffff, 'toa port');
  if (t.addr.length !== 4) checkBytes(t.addr, 16, 'toa addr');
  const len = encodingLengthToa(t);
  room(buf, off, len, 'toa');
  buf[off] = TCPOPT.TOA;
  buf[off + 1] = len;
  wr16(buf, off + 2, t.port);
  buf.set(t.addr, off + 4);
  return len;
}

/** Writes an IPv4 TOA option from numbers (host-order u32 address) without allocating; returns 8. */
export function writeToa4(buf: Uint8Array, off: number, port: number, addr: number): number {
  buf[off] = TCPOPT.TOA;
  buf[off + 1] = TCPOLEN_TOA;
  wr16(buf, off + 2, port);
  wr32(buf, off + 4, addr);
  return TCPOLEN_TOA;
}

/**
 * Writes the 20-byte IPv6 TOA option (kind 254, length 20, port, 16-byte address from
 * `addr[addrOff..]`) at `off` (dpvs kmod/toa/toa.h struct toa_ip6_data); returns its length.
 */
export function writeToa6(buf: Uint8Array, off: number, port: number, addr: Uint8Array, addrOff = 0): number {
  buf[off] = TCPOPT.TOA;
  buf[off + 1] = TCPOLEN_TOA6;
  wr16(buf, off + 2, port);
  for (let i = 0; i < 16; i++) buf[off + 4 + i] = addr[addrOff + i]!;
  return TCPOLEN_TOA6;
}

/** Reads the IPv4 address of an 8-byte TOA option at `off` as a host-order u32. */
export function readToa4Addr(buf: Uint8Array, off: number): number {
  return rd32(buf, off + 4);
}

/** The TOA option as a {@link Codec}. */
export const toaCodec: Codec<Toa> = {
  name: 'toa',
  extent: 'self',
  decode: decodeToa,
  encode: encodeToa,
  encodingLength: encodingLengthToa,
};
