/**
 * The classic libpcap file format (pcap-savefile(5)): a 24-byte global header and a 16-byte header
 * per record. Pure encode/decode over bytes; callers (tests, `lvsd simulate`) do the file I/O.
 * Writes little-endian microsecond files; reads either byte order and the nanosecond variant.
 */
import { checkField, copyBytes, fail, need, PACKET_ERR, room } from './bytes.js';
import type { Codec } from './codec.js';

/** Length of the global header. */
export const PCAP_HEADER_LEN = 24;
/** Length of a record header. */
export const PCAP_RECORD_LEN = 16;
/** LINKTYPE_ETHERNET. */
export const LINKTYPE_ETHERNET = 1;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
// The pcapng section header block type, same in either byte order.
const MAGIC_PCAPNG = 0x0a0d0d0a;

/** One captured frame. */
export interface PcapRecord {
  readonly tsSec: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  readonly tsFrac: number;
  /** Captured bytes (at most snaplen). */
  readonly data: Uint8Array;
  /** Length of the frame on the wire. */
  readonly origLen: number;
}

/** A whole capture. */
export interface PcapFile {
  readonly linktype: number;
  readonly snaplen: number;
  /** True for the nanosecond-resolution variant. */
  readonly nanos: boolean;
  readonly records: readonly PcapRecord[];
}

function w32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function r32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Bytes a capture takes. */
export function encodingLengthPcap(f: PcapFile): number {
  let n = PCAP_HEADER_LEN;
  for (const r of f.records) n += PCAP_RECORD_LEN + r.data.length;
  return n;
}

/** Encodes a capture into a fresh array (little-endian, version 2.4). */
export function encodePcap(f: PcapFile): Uint8Array {
  const out = new Uint8Array(encodingLengthPcap(f));
  writePcap(f, out, 0);
  return out;
}

/** Encodes a capture at `off` of `buf` (little-endian, version 2.4); returns bytes written. */
export function writePcap(f: PcapFile, buf: Uint8Array, off: number): number {
  checkField(f.linktype, 0xffffffff, 'pcap linktype');
  checkField(f.snaplen, 0xffffffff, 'pcap snaplen');
  for (const r of f.records) {
    checkField(r.tsSec, 0xffffffff, 'pcap ts');
    checkField(r.tsFrac, f.nanos ? 999_999_999 : 999_999, 'pcap ts fraction');
    checkField(r.origLen, 0xffffffff, 'pcap orig len');
  }
  const len = encodingLengthPcap(f);
  room(buf, off, len, 'pcap');
  buf.fill(0, off, off + PCAP_HEADER_LEN);
  w32le(buf, off, f.nanos ? MAGIC_NS : MAGIC_US);
  buf[off + 4] = 2;
  buf[off + 6] = 4;
  w32le(buf, off + 16, f.snaplen);
  w32le(buf, off + 20, f.linktype);
  let p = off + PCAP_HEADER_LEN;
  for (const r of f.records) {
    w32le(buf, p, r.tsSec);
    w32le(buf, p + 4, r.tsFrac);
    w32le(buf, p + 8, r.data.length);
    w32le(buf, p + 12, r.origLen);
    buf.set(r.data, p + PCAP_RECORD_LEN);
    p += PCAP_RECORD_LEN + r.data.length;
  }
  return len;
}

/**
 * Decodes the capture at `off` running to the end of `buf`; a bad magic is ERR_PACKET_BAD_VERSION,
 * a cut record ERR_PACKET_TRUNCATED.
 */
export function decodePcap(buf: Uint8Array, off = 0): PcapFile {
  need(buf, off, PCAP_HEADER_LEN, 'pcap header');
  const be = r32(buf, off, false);
  const le = r32(buf, off, true);
  let little: boolean;
  let nanos: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) {
    little = true;
    nanos = le === MAGIC_NS;
  } else if (be === MAGIC_US || be === MAGIC_NS) {
    little = false;
    nanos = be === MAGIC_NS;
  } else if (be === MAGIC_PCAPNG) {
    return fail(PACKET_ERR.UNSUPPORTED, 'pcap: pcapng is not supported; convert with `editcap -F pcap`');
  } else {
    return fail(PACKET_ERR.BAD_VERSION, 'pcap: bad magic number');
  }
  const snaplen = r32(buf, off + 16, little);
  const linktype = r32(buf, off + 20, little) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let p = off + PCAP_HEADER_LEN;
  while (p < buf.length) {
    need(buf, p, PCAP_RECORD_LEN, 'pcap record header');
    const incl = r32(buf, p + 8, little);
    need(buf, p + PCAP_RECORD_LEN, incl, 'pcap record');
    records.push({
      tsSec: r32(buf, p, little),
      tsFrac: r32(buf, p + 4, little),
      data: copyBytes(buf, p + PCAP_RECORD_LEN, incl),
      origLen: r32(buf, p + 12, little),
    });
    p += PCAP_RECORD_LEN + incl;
  }
  return { linktype, snaplen, nanos, records };
}

/** The classic pcap file as a {@link Codec}: records run to the end of the buffer. */
export const pcapCodec: Codec<PcapFile> = {
  name: 'pcap',
  extent: 'buffer',
  decode: decodePcap,
  encode: writePcap,
  encodingLength: encodingLengthPcap,
};

/** A record stamped at `ms` milliseconds since the epoch, capturing all of `data`. */
export function pcapRecordAt(ms: number, data: Uint8Array): PcapRecord {
  const sec = Math.floor(ms / 1000);
  return {
    tsSec: sec,
    tsFrac: Math.min(999_999, Math.round((ms - sec * 1000) * 1000)),
    data,
    origLen: data.length,
  };
}
