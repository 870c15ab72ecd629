/**
 * The master's send buffer, as net/netfilter/ipvs/ip_vs_sync.c ip_vs_sync_conn() (version 1) and
 * ip_vs_sync_conn_v0() fill it: entries go into the current message until the next one (with its
 * padding) would pass `maxLen`; then that message is finished and a new one begun with the entry.
 * A message's buffer is max(maxLen, header + entry) bytes (ip_vs_sync_buff_create()), allocated
 * once; entries are written straight into it. The 2-second flush of a partly filled message
 * (IPVS_SYNC_FLUSH_TIME) is the caller's: it calls {@link SyncMessageBuilder.flush}.
 */
import { checkField, wr16 } from '../packet/bytes.js';
import { SYNC_PROTO_VER, syncPad } from './sync-codec.js';
import {
  checkSyncConn,
  SYNC_V0_HEADER_LEN,
  SYNC_V1_HEADER_LEN,
  syncConnLength,
  writeSyncConn,
} from './sync-conn-codec.js';
import type { SyncConnEntry } from './sync-entry.js';

/**
 * The master's default sync_maxlen for an IPv4 group: start_sync_thread() takes an MTU of 1500 for
 * a master and subtracts the IPv4 and UDP headers (an IPv6 group's default is 1500 - 40 - 8).
 */
export const SYNC_DEFAULT_MAXLEN = 1500 - 20 - 8;

/** Options of a {@link SyncMessageBuilder}. */
export interface SyncBuilderOptions {
  /** Largest datagram to build (sync_maxlen); default {@link SYNC_DEFAULT_MAXLEN}. */
  readonly maxLen?: number;
  /** The master's syncid, 0..255. */
  readonly syncId: number;
  /** Protocol version to send (the sync_version sysctl); default 1. */
  readonly version?: 0 | 1;
}

/** Builds sync datagrams from entries, one message at a time. */
export class SyncMessageBuilder {
  private readonly maxLen: number;
  private readonly syncId: number;
  private readonly version: 0 | 1;
  private readonly headerLen: number;
  private buf: Uint8Array | undefined;
  private len = 0;
  private count = 0;
  private skippedV6 = 0;

  constructor(opts: SyncBuilderOptions) {
    this.maxLen = opts.maxLen ?? SYNC_DEFAULT_MAXLEN;
    this.syncId = opts.syncId;
    this.version = opts.version ?? 1;
    checkField(this.syncId, 0xff, 'sync syncid');
    checkField(this.maxLen, 0xffff, 'sync maxlen');
    this.headerLen = this.version === 0 ? SYNC_V0_HEADER_LEN : SYNC_V1_HEADER_LEN;
  }

  /**
   * Adds `e` to the current message. Returns the finished previous message when `e` did not fit
   * in it (the new message then holds `e`), else undefined. With version 0 an IPv6 entry is not
   * sent at all (ip_vs_sync_conn_v0() returns for anything but AF_INET): it is counted in
   * {@link SyncMessageBuilder.skippedIPv6}. Throws PacketError ERR_PACKET_BAD_FIELD for a field
   * out of range, leaving the current message as it was.
   */
  add(e: SyncConnEntry): Uint8Array | undefined {
    if (this.version === 0 && e.af === 6) {
      this.skippedV6++;
      return undefined;
    }
    checkSyncConn(e, this.version);
    const n = syncConnLength(e, this.version);
    let done: Uint8Array | undefined;
    let pad = this.buf && this.version === 1 ? syncPad(this.len) : 0;
    // nr_conns is one byte. The kernel lets it wrap when a large sync_maxlen (up to 65507) holds
    // more than 255 entries; a new message here keeps the count true.
    if (this.buf && (this.len + pad + n > this.buf.length || this.count === 0xff)) {
      done = this.finish();
      pad = 0;
    }
    if (!this.buf) {
      this.buf = new Uint8Array(Math.max(this.maxLen, this.headerLen + n));
      this.len = this.headerLen;
      this.count = 0;
    }
    const buf = this.buf;
    writeSyncConn(buf, this.len + pad, e, this.version);
    buf.fill(0, this.len, this.len + pad);
    this.len += pad + n;
    this.count++;
    return done;
  }

  /** Finishes and returns the partly filled message, or undefined when none is pending. */
  flush(): Uint8Array | undefined {
    return this.buf ? this.finish() : undefined;
  }

  /** Entries in the current, unfinished message. */
  pending(): number {
    return this.buf ? this.count : 0;
  }

  /** IPv6 entries dropped because version 0 cannot carry them. */
  skippedIPv6(): number {
    return this.skippedV6;
  }

  private finish(): Uint8Array {
    const buf = this.buf!;
    if (this.version === 0) {
      buf[0] = this.count;
      buf[1] = this.syncId;
    } else {
      buf[0] = 0;
      buf[1] = this.syncId;
      buf[4] = this.count;
      buf[5] = SYNC_PROTO_VER;
      buf[6] = 0;
      buf[7] = 0;
    }
    wr16(buf, 2, this.len);
    const out = buf.subarray(0, this.len);
    this.buf = undefined;
    this.len = 0;
    this.count = 0;
    return out;
  }
}
