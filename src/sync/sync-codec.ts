/**
 * A whole IPVS sync message (one UDP datagram), versions 1 and 0, as net/netfilter/ipvs/ip_vs_sync.c
 * writes it: the 8-byte `struct ip_vs_sync_mesg` (reserved 0, syncid, size, nr_conns, version 1,
 * spare 0) or the 4-byte `struct ip_vs_sync_mesg_v0` (nr_conns, syncid, size), then the entries,
 * each version 1 entry after the first starting on a 4-byte boundary (ip_vs_sync_conn() pads
 * before it adds one, so the message ends unpadded). Strict: anything the kernel would drop, and
 * bytes it would ignore, throw a PacketError. The backup's lenient walk is sync-datagram.ts.
 */
import {
  checkField,
  fail,
  need,
  PACKET_ERR,
  type PacketErrorCode,
  rd16,
  room,
  wr16,
} from '../packet/bytes.js';
import type { Codec } from '../packet/codec.js';
import {
  readSyncConnV0,
  readSyncConnV1,
  SYNC_V0_HEADER_LEN,
  SYNC_V1_HEADER_LEN,
  SYNC_V4_CONN_LEN,
  syncConnLength,
  writeSyncConn,
} from './sync-conn-codec.js';
import type { SyncConnEntry, SyncMessage } from './sync-entry.js';
import { SYNC_RX, type SyncRxCode } from './sync-error.js';

/** SYNC_PROTO_VER: the version byte of a version 1 header. */
export const SYNC_PROTO_VER = 1;

/**
 * True if the header at `off` is version 1 by ip_vs_process_message()'s test: version byte 1,
 * reserved byte 0 (a version 0 header has nr_conns there, and the kernel never sends an empty
 * message) and spare 0. The caller has checked 8 bytes are readable.
 */
export function isSyncV1Header(buf: Uint8Array, off: number): boolean {
  return buf[off + 5] === SYNC_PROTO_VER && buf[off] === 0 && buf[off + 6] === 0 && buf[off + 7] === 0;
}

/** Bytes from `len` up to the next multiple of 4: the padding before a version 1 entry. */
export function syncPad(len: number): number {
  return (4 - len) & 3;
}

function packetCode(code: SyncRxCode): PacketErrorCode {
  switch (code) {
    case SYNC_RX.CONN_VERSION:
      return PACKET_ERR.BAD_VERSION;
    case SYNC_RX.BAD_TYPE:
      return PACKET_ERR.UNSUPPORTED;
    case SYNC_RX.CONN_SHORT:
      return PACKET_ERR.BAD_LENGTH;
    case SYNC_RX.CONN_TRUNCATED:
    case SYNC_RX.CONN_OVERRUN:
    case SYNC_RX.V0_CONN_TRUNCATED:
    case SYNC_RX.V0_OPT_TRUNCATED:
      return PACKET_ERR.TRUNCATED;
    default:
      return PACKET_ERR.BAD_OPTION;
  }
}

function take(r: SyncConnEntry | SyncRxCode, i: number): SyncConnEntry {
  if (typeof r === 'string') fail(packetCode(r), `sync conn ${i}: ${r}`);
  return r;
}

/** Bytes {@link encodeSyncMessage} writes for `m`. */
export function syncMessageLength(m: SyncMessage): number {
  if (m.version === 0) {
    let n = SYNC_V0_HEADER_LEN;
    for (const e of m.entries) n += syncConnLength(e, 0);
    return n;
  }
  let n = SYNC_V1_HEADER_LEN;
  for (const e of m.entries) n += syncPad(n) + syncConnLength(e, 1);
  return n;
}

/** Writes `m` at `off` of `buf` and returns the bytes written. */
export function encodeSyncMessage(m: SyncMessage, buf: Uint8Array, off: number): number {
  checkField(m.syncId, 0xff, 'sync syncid');
  if (m.version !== 0 && m.version !== 1) fail(PACKET_ERR.BAD_FIELD, `sync version: ${m.version}`);
  checkField(m.entries.length, 0xff, 'sync nr_conns');
  const size = syncMessageLength(m);
  checkField(size, 0xffff, 'sync message size');
  room(buf, off, size, 'sync message');
  const v0 = m.version === 0;
  let p = off + (v0 ? SYNC_V0_HEADER_LEN : SYNC_V1_HEADER_LEN);
  for (const e of m.entries) {
    if (!v0) {
      const pad = syncPad(p - off);
      buf.fill(0, p, p + pad);
      p += pad;
    }
    p += writeSyncConn(buf, p, e, m.version);
  }
  if (v0) {
    buf[off] = m.entries.length;
    buf[off + 1] = m.syncId;
    wr16(buf, off + 2, size);
  } else {
    buf[off] = 0;
    buf[off + 1] = m.syncId;
    wr16(buf, off + 2, size);
    buf[off + 4] = m.entries.length;
    buf[off + 5] = SYNC_PROTO_VER;
    buf[off + 6] = 0;
    buf[off + 7] = 0;
  }
  return size;
}

/** Decodes the message at `off`; its header's size bounds it. Throws PacketError on bad bytes. */
export function decodeSyncMessage(buf: Uint8Array, off: number): SyncMessage {
  need(buf, off, SYNC_V0_HEADER_LEN, 'sync header');
  const size = rd16(buf, off + 2);
  if (size < SYNC_V0_HEADER_LEN) fail(PACKET_ERR.BAD_LENGTH, `sync size ${size} < header`);
  need(buf, off, size, 'sync message');
  const end = off + size;
  const syncId = buf[off + 1]!;
  const entries: SyncConnEntry[] = [];
  if (size >= SYNC_V1_HEADER_LEN && isSyncV1Header(buf, off)) {
    const n = buf[off + 4]!;
    let next = off + SYNC_V1_HEADER_LEN;
    let last = next;
    for (let i = 0; i < n; i++) {
      const p = next;
      if (p + SYNC_V4_CONN_LEN > end) fail(PACKET_ERR.TRUNCATED, `sync conn ${i}: past the message`);
      const verSize = rd16(buf, p + 2);
      const len = verSize & 0x0fff;
      if (p + len > end) fail(PACKET_ERR.TRUNCATED, `sync conn ${i}: size ${len} past the message`);
      if (verSize >> 12) fail(PACKET_ERR.BAD_VERSION, `sync conn ${i}: version ${verSize >> 12}`);
      entries.push(take(readSyncConnV1(buf, p, p + len), i));
      last = p + len;
      next = p + ((len + 3) & ~3);
    }
    if (last !== end) fail(PACKET_ERR.BAD_LENGTH, `sync message: ${end - last} bytes after the last conn`);
    return { syncId, version: 1, entries };
  }
  const n = buf[off]!;
  // Reserved 0 yet not version 1: the kernel would read it as 0 conns (sync-error.ts BAD_VERSION).
  if (n === 0 && size >= SYNC_V1_HEADER_LEN)
    fail(PACKET_ERR.BAD_VERSION, `sync message: version ${buf[off + 5]}, spare ${rd16(buf, off + 6)}`);
  let p = off + SYNC_V0_HEADER_LEN;
  for (let i = 0; i < n; i++) {
    const e = take(readSyncConnV0(buf, p, end), i);
    entries.push(e);
    p += syncConnLength(e, 0);
  }
  if (p !== end) fail(PACKET_ERR.BAD_LENGTH, `sync v0 message: ${end - p} bytes after the last conn`);
  return { syncId, version: 0, entries };
}

/** The sync message as a {@link Codec}: self-delimited by the header's size. */
export const syncMessageCodec: Codec<SyncMessage> = {
  name: 'ipvs-sync',
  extent: 'self',
  decode: decodeSyncMessage,
  encode: encodeSyncMessage,
  encodingLength: syncMessageLength,
};
