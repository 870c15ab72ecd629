/**
 * One sync connection entry on the wire, both versions, exactly as net/netfilter/ipvs/ip_vs_sync.c
 * lays it out: version 1 `struct ip_vs_sync_v4` (36 bytes) / `ip_vs_sync_v6` (72 bytes) followed by
 * type-length-value options, and version 0 `struct ip_vs_sync_conn_v0` (24 bytes, + 24 sequence
 * bytes with IN_SEQ/OUT_SEQ). The readers check what ip_vs_proc_sync_conn() checks, in its order,
 * and answer a {@link SyncRxCode} instead of throwing, so the strict codec and the backup's lenient
 * datagram walk share them. The writers write in place (no allocation), for the master's buffer.
 */
import { checkField, copyBytes, fail, PACKET_ERR, rd16, rd32, room, wr16, wr32 } from '../packet/bytes.js';
import type { SyncConnEntry, SyncSeq } from './sync-entry.js';
import { SYNC_RX, type SyncRxCode } from './sync-error.js';

/** Bytes of the version 1 message header (`struct ip_vs_sync_mesg`). */
export const SYNC_V1_HEADER_LEN = 8;
/** Bytes of the version 0 message header (`struct ip_vs_sync_mesg_v0`). */
export const SYNC_V0_HEADER_LEN = 4;
/** Bytes of `struct ip_vs_sync_v4`. */
export const SYNC_V4_CONN_LEN = 36;
/** Bytes of `struct ip_vs_sync_v6`. */
export const SYNC_V6_CONN_LEN = 72;
/** Bytes of `struct ip_vs_sync_conn_v0` (SIMPLE_CONN_SIZE). */
export const SYNC_V0_CONN_LEN = 24;
/** Bytes of `struct ip_vs_sync_conn_options`: two `struct ip_vs_seq` of three u32 each. */
export const SYNC_SEQ_LEN = 24;
/** IP_VS_PENAME_MAXLEN (include/uapi/linux/ip_vs.h). */
export const SYNC_PE_NAME_MAX = 16;
/** IP_VS_PEDATA_MAXLEN (include/uapi/linux/ip_vs.h). */
export const SYNC_PE_DATA_MAX = 255;
/** The v1 entry's type bit for IPv6 (STYPE_F_INET6). */
export const SYNC_STYPE_F_INET6 = 1;
/** IP_VS_CONN_F_IN_SEQ | IP_VS_CONN_F_OUT_SEQ (IP_VS_CONN_F_SEQ_MASK). */
export const SYNC_F_SEQ_MASK = 0x0600;

/**
 * Option types. The kernel switches on `type & ~IPVS_OPT_F_PARAM` and skips an unknown type only
 * when that 0x40 bit is set (ip_vs_proc_sync_conn()). Its own types are numbered from 1 up, each
 * also a bit in a u32 `opt_flags` (`1 << (type - 1)`) with 7 taken by IPVS_OPT_PARAM itself, so
 * new kernel types would come next as 4, 5, 6. Ours takes the other end of the 6-bit space, 0x3f,
 * sent as 0x7f with the optional bit: a kernel backup skips it, and it collides with no kernel type.
 */
export const SYNC_OPT = {
  SEQ_DATA: 1,
  PE_DATA: 2,
  PE_NAME: 3,
  /** IPVS_OPT_F_PARAM: an unknown option with this bit may be skipped. */
  F_PARAM: 0x40,
  /** Our FULLNAT option: local address (4 or 16 bytes, by the entry's family) then local port. */
  LOCAL: 0x7f,
} as const;

const OPT_LOCAL_BASE = SYNC_OPT.LOCAL & ~SYNC_OPT.F_PARAM;

/** Bytes the entry takes in a message of `version`, without the padding before the next one. */
export function syncConnLength(e: SyncConnEntry, version: 0 | 1): number {
  if (version === 0) return SYNC_V0_CONN_LEN + (e.flags & SYNC_F_SEQ_MASK ? SYNC_SEQ_LEN : 0);
  let n = e.af === 6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
  if (e.seq) n += 2 + SYNC_SEQ_LEN;
  if (e.peData) n += 2 + e.peData.length;
  if (e.peName !== undefined) n += 2 + e.peName.length;
  if (e.local) n += 2 + (e.af === 6 ? 16 : 4) + 2;
  return n;
}

function checkSeq(s: SyncSeq, what: string): void {
  checkField(s.initSeq, 0xffffffff, `${what} init_seq`);
  checkField(s.delta, 0xffffffff, `${what} delta`);
  checkField(s.previousDelta, 0xffffffff, `${what} previous_delta`);
}

/** Throws ERR_PACKET_BAD_FIELD unless `e` can be written as a `version` entry. */
export function checkSyncConn(e: SyncConnEntry, version: 0 | 1): void {
  if (e.af !== 4 && e.af !== 6) fail(PACKET_ERR.BAD_FIELD, `sync conn af: ${e.af}`);
  // ip_vs_sync_conn_v0() returns early for anything but AF_INET: version 0 has no IPv6 form.
  if (version === 0 && e.af === 6) fail(PACKET_ERR.BAD_FIELD, 'sync v0 conn: IPv6 has no version 0 form');
  checkField(e.protocol, 0xff, 'sync conn protocol');
  checkField(e.flags, 0xffffffff, 'sync conn flags');
  checkField(e.state, 0xffff, 'sync conn state');
  checkField(e.cport, 0xffff, 'sync conn cport');
  checkField(e.vport, 0xffff, 'sync conn vport');
  checkField(e.dport, 0xffff, 'sync conn dport');
  checkField(e.fwmark, 0xffffffff, 'sync conn fwmark');
  checkField(e.timeoutS, 0xffffffff, 'sync conn timeout');
  if (e.seq) {
    checkSeq(e.seq.in, 'sync conn in_seq');
    checkSeq(e.seq.out, 'sync conn out_seq');
  }
  if (version === 0) return;
  // A zero-length option is malformed on receive (ip_vs_proc_sync_conn() -40), so never send one.
  if (e.peData && (e.peData.length === 0 || e.peData.length > SYNC_PE_DATA_MAX))
    fail(PACKET_ERR.BAD_FIELD, `sync conn pe_data: ${e.peData.length} bytes, want 1..${SYNC_PE_DATA_MAX}`);
  if (e.peName !== undefined) {
    if (e.peName.length === 0 || e.peName.length > SYNC_PE_NAME_MAX)
      fail(PACKET_ERR.BAD_FIELD, `sync conn pe_name: ${e.peName.length} chars, want 1..${SYNC_PE_NAME_MAX}`);
    for (let i = 0; i < e.peName.length; i++)
      if (e.peName.charCodeAt(i) > 0xff) fail(PACKET_ERR.BAD_FIELD, 'sync conn pe_name: not 8-bit');
  }
  if (e.local) checkField(e.local.lport, 0xffff, 'sync conn lport');
}

function writeAddr(b: Uint8Array, o: number, a: Uint32Array, af: 4 | 6): number {
  if (af === 4) {
    wr32(b, o, a[0] ?? 0);
    return 4;
  }
  for (let i = 0; i < 4; i++) wr32(b, o + 4 * i, a[i] ?? 0);
  return 16;
}

function readAddr(b: Uint8Array, o: number, af: 4 | 6): Uint32Array {
  const a = new Uint32Array(4);
  if (af === 4) a[0] = rd32(b, o);
  else for (let i = 0; i < 4; i++) a[i] = rd32(b, o + 4 * i);
  return a;
}

// ip_vs_sync_conn_v0() memcpy()s `struct ip_vs_seq` in host order, and the v0 receiver copies it
// back unconverted; every Linux director we pair with is little-endian (x86, arm64), so v0's
// sequence words are little-endian on the wire. Version 1 converts them (hton_seq()).
function wrSeq(b: Uint8Array, o: number, s: SyncSeq | undefined, le: boolean): void {
  const w = le ? wr32le : wr32;
  w(b, o, s?.initSeq ?? 0);
  w(b, o + 4, s?.delta ?? 0);
  w(b, o + 8, s?.previousDelta ?? 0);
}

function rdSeq(b: Uint8Array, o: number, le: boolean): SyncSeq {
  const r = le ? rd32le : rd32;
  return { initSeq: r(b, o), delta: r(b, o + 4), previousDelta: r(b, o + 8) };
}

function wr32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function rd32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * Writes `e` at `off` as ip_vs_sync_conn() (version 1) or ip_vs_sync_conn_v0() does and returns
 * the bytes written. Version 0 has no fwmark, timeout, PE or FULLNAT option and 16-bit flags (the
 * kernel's htons() keeps the low half); it carries the sequence words when the flags ask for them.
 */
export function writeSyncConn(buf: Uint8Array, off: number, e: SyncConnEntry, version: 0 | 1): number {
  checkSyncConn(e, version);
  const len = syncConnLength(e, version);
  room(buf, off, len, 'sync conn');
  if (version === 0) {
    buf[off] = 0;
    buf[off + 1] = e.protocol;
    wr16(buf, off + 2, e.cport);
    wr16(buf, off + 4, e.vport);
    wr16(buf, off + 6, e.dport);
    writeAddr(buf, off + 8, e.caddr, 4);
    writeAddr(buf, off + 12, e.vaddr, 4);
    writeAddr(buf, off + 16, e.daddr, 4);
    wr16(buf, off + 20, e.flags & 0xffff);
    wr16(buf, off + 22, e.state);
    if (e.flags & SYNC_F_SEQ_MASK) {
      wrSeq(buf, off + 24, e.seq?.in, true);
      wrSeq(buf, off + 36, e.seq?.out, true);
    }
    return len;
  }
  buf[off] = e.af === 6 ? SYNC_STYPE_F_INET6 : 0;
  buf[off + 1] = e.protocol;
  wr16(buf, off + 2, len & 0x0fff); // ver_size: version 0 in the high 4 bits
  wr32(buf, off + 4, e.flags);
  wr16(buf, off + 8, e.state);
  wr16(buf, off + 10, e.cport);
  wr16(buf, off + 12, e.vport);
  wr16(buf, off + 14, e.dport);
  wr32(buf, off + 16, e.fwmark);
  wr32(buf, off + 20, e.timeoutS);
  let p = off + 24;
  p += writeAddr(buf, p, e.caddr, e.af);
  p += writeAddr(buf, p, e.vaddr, e.af);
  p += writeAddr(buf, p, e.daddr, e.af);
  if (e.seq) {
    buf[p] = SYNC_OPT.SEQ_DATA;
    buf[p + 1] = SYNC_SEQ_LEN;
    wrSeq(buf, p + 2, e.seq.in, false);
    wrSeq(buf, p + 14, e.seq.out, false);
    p += 2 + SYNC_SEQ_LEN;
  }
  if (e.peData) {
    buf[p] = SYNC_OPT.PE_DATA;
    buf[p + 1] = e.peData.length;
    buf.set(e.peData, p + 2);
    p += 2 + e.peData.length;
  }
  if (e.peName !== undefined) {
    buf[p] = SYNC_OPT.PE_NAME;
    buf[p + 1] = e.peName.length;
    for (let i = 0; i < e.peName.length; i++) buf[p + 2 + i] = e.peName.charCodeAt(i);
    p += 2 + e.peName.length;
  }
  if (e.local) {
    const n = e.af === 6 ? 16 : 4;
    buf[p] = SYNC_OPT.LOCAL;
    buf[p + 1] = n + 2;
    writeAddr(buf, p + 2, e.local.laddr, e.af);
    wr16(buf, p + 2 + n, e.local.lport);
    p += 4 + n;
  }
  return len;
}

/**
 * Reads the version 1 entry at `p` whose ver_size says it ends at `end` (the caller has checked
 * `end` against the datagram and the entry's version, as ip_vs_process_message() does). Answers the
 * entry, or the code of the first thing ip_vs_proc_sync_conn() would reject, in its order: type,
 * fixed part, then each option (known types by `type & ~0x40`; an unknown one is an error only
 * without the 0x40 bit). Protocol, state and PE checks are the backup's (sync-datagram.ts).
 */
export function readSyncConnV1(buf: Uint8Array, p: number, end: number): SyncConnEntry | SyncRxCode {
  const type = buf[p]!;
  let af: 4 | 6;
  if (type & SYNC_STYPE_F_INET6) af = 6;
  else if (type === 0) af = 4;
  else return SYNC_RX.BAD_TYPE;
  const fixed = af === 6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
  if (p + fixed > end || end > buf.length) return SYNC_RX.CONN_SHORT;
  const an = af === 6 ? 16 : 4;
  let seq: { in: SyncSeq; out: SyncSeq } | undefined;
  let peData: Uint8Array | undefined;
  let peName: string | undefined;
  let local: { laddr: Uint32Array; lport: number } | undefined;
  let q = p + fixed;
  while (q < end) {
    if (q + 2 > end) return SYNC_RX.OPT_TRUNCATED;
    const t = buf[q]!;
    const l = buf[q + 1]!;
    q += 2;
    if (l === 0 || q + l > end) return SYNC_RX.OPT_BAD_LEN;
    switch (t & ~SYNC_OPT.F_PARAM) {
      case SYNC_OPT.SEQ_DATA:
        if (l !== SYNC_SEQ_LEN) return SYNC_RX.SEQ_BAD_LEN;
        if (seq) return SYNC_RX.OPT_DUPLICATE;
        seq = { in: rdSeq(buf, q, false), out: rdSeq(buf, q + 12, false) };
        break;
      case SYNC_OPT.PE_DATA:
        // l is a byte, so it never exceeds IP_VS_PEDATA_MAXLEN (255).
        if (peData) return SYNC_RX.OPT_DUPLICATE;
        peData = copyBytes(buf, q, l);
        break;
      case SYNC_OPT.PE_NAME:
        if (l > SYNC_PE_NAME_MAX) return SYNC_RX.PE_TOO_LONG;
        if (peName !== undefined) return SYNC_RX.OPT_DUPLICATE;
        peName = String.fromCharCode(...buf.subarray(q, q + l));
        break;
      case OPT_LOCAL_BASE:
        if (l !== an + 2) return SYNC_RX.LOCAL_BAD_LEN;
        if (local) return SYNC_RX.OPT_DUPLICATE;
        local = { laddr: readAddr(buf, q, af), lport: rd16(buf, q + an) };
        break;
      default:
        if (!(t & SYNC_OPT.F_PARAM)) return SYNC_RX.UNKNOWN_MANDATORY;
    }
    q += l;
  }
  const a = p + 24;
  return {
    af,
    protocol: buf[p + 1]!,
    flags: rd32(buf, p + 4),
    state: rd16(buf, p + 8),
    cport: rd16(buf, p + 10),
    vport: rd16(buf, p + 12),
    dport: rd16(buf, p + 14),
    fwmark: rd32(buf, p + 16),
    timeoutS: rd32(buf, p + 20),
    caddr: readAddr(buf, a, af),
    vaddr: readAddr(buf, a + an, af),
    daddr: readAddr(buf, a + 2 * an, af),
    ...(seq && { seq }),
    ...(peData && { peData }),
    ...(peName !== undefined && { peName }),
    ...(local && { local }),
  };
}

/**
 * Reads the version 0 entry at `p` of a datagram ending at `end`, with the two length checks of
 * ip_vs_process_message_v0(). Version 0 has no fwmark or timeout: both read as 0 (the backup then
 * uses the state's timeout, as ip_vs_proc_conn() does for a zero timeout).
 */
export function readSyncConnV0(buf: Uint8Array, p: number, end: number): SyncConnEntry | SyncRxCode {
  if (p + SYNC_V0_CONN_LEN > end || end > buf.length) return SYNC_RX.V0_CONN_TRUNCATED;
  const flags = rd16(buf, p + 20);
  const withSeq = (flags & SYNC_F_SEQ_MASK) !== 0;
  if (withSeq && p + SYNC_V0_CONN_LEN + SYNC_SEQ_LEN > end) return SYNC_RX.V0_OPT_TRUNCATED;
  return {
    af: 4,
    protocol: buf[p + 1]!,
    flags,
    state: rd16(buf, p + 22),
    cport: rd16(buf, p + 2),
    vport: rd16(buf, p + 4),
    dport: rd16(buf, p + 6),
    fwmark: 0,
    timeoutS: 0,
    caddr: readAddr(buf, p + 8, 4),
    vaddr: readAddr(buf, p + 12, 4),
    daddr: readAddr(buf, p + 16, 4),
    ...(withSeq && { seq: { in: rdSeq(buf, p + 24, true), out: rdSeq(buf, p + 36, true) } }),
  };
}
