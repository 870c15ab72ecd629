/**
 * What a backup makes of one received sync datagram, following net/netfilter/ipvs/ip_vs_sync.c
 * ip_vs_process_message() (header checks, version detection, the per-entry walk),
 * ip_vs_process_message_v0() and ip_vs_proc_sync_conn() in their order. Never throws: a datagram
 * the kernel would ignore is answered with the reason, an entry it would skip is listed, and when
 * the kernel stops mid-message the entries before the stop are kept (it has applied them already).
 * Applying the entries (flag masks, update-or-create, binding) is the backup side's job.
 */
import { CONN_F } from '../core/conn-record.js';
import { SCTP_STATE_COUNT } from '../core/proto/sctp.js';
import { TCP_STATE_COUNT } from '../core/proto/tcp.js';
import { PROTO } from '../core/types.js';
import { rd16 } from '../packet/bytes.js';
import { isSyncV1Header } from './sync-codec.js';
import {
  readSyncConnV0,
  readSyncConnV1,
  SYNC_V0_HEADER_LEN,
  SYNC_V1_HEADER_LEN,
  SYNC_V4_CONN_LEN,
  syncConnLength,
} from './sync-conn-codec.js';
import type { SyncConnEntry } from './sync-entry.js';
import { SYNC_RX, type SyncRxCode } from './sync-error.js';

/** The outcome of one datagram. */
export interface SyncDatagramResult {
  /** The header's syncid (undefined when the datagram is too short to hold one). */
  readonly syncId: number | undefined;
  /** The detected version (undefined when dropped before detection: short, bad size, other syncid). */
  readonly version: 0 | 1 | undefined;
  /** The entries to apply, in message order, flags as sent. */
  readonly entries: SyncConnEntry[];
  /** Why the datagram, or its rest after `entries`, was dropped; undefined when read to the end. */
  readonly dropped: SyncRxCode | undefined;
  /** One code per entry skipped while the walk went on. */
  readonly skippedEntries: SyncRxCode[];
}

// Persistence engines the backup can attach PE data to; mainline has only ip_vs_pe_sip.c.
const KNOWN_PES: ReadonlySet<string> = new Set(['sip']);

/**
 * The state count of a protocol IPVS handles (`pp->num_states`), or 0 for one it has no handler
 * for: lvsd has TCP, UDP (IP_VS_UDP_S_LAST = 1) and SCTP. The kernel's AH/ESP handlers are not
 * built into lvsd, so their conns are skipped like any unsupported protocol's.
 */
function stateCount(protocol: number): number {
  switch (protocol) {
    case PROTO.TCP:
      return TCP_STATE_COUNT;
    case PROTO.UDP:
      return 1;
    case PROTO.SCTP:
      return SCTP_STATE_COUNT;
    default:
      return 0;
  }
}

// ip_vs_proc_sync_conn() after the options (v1), or the v0 loop's protocol and state checks.
function entryCheck(e: SyncConnEntry, v1: boolean): SyncRxCode | undefined {
  // Templates skip these checks (an out-of-range template state is only logged).
  if (!(e.flags & CONN_F.TEMPLATE)) {
    const n = stateCount(e.protocol);
    if (n === 0) return SYNC_RX.BAD_PROTOCOL;
    if (e.state >= n) return SYNC_RX.BAD_STATE;
  }
  // ip_vs_conn_fill_param_sync() looks at PE_NAME only when PE_DATA came with it.
  if (v1 && e.peData) {
    if (e.peName === undefined) return SYNC_RX.PE_INVALID;
    if (!KNOWN_PES.has(e.peName)) return SYNC_RX.PE_UNKNOWN;
  }
  return undefined;
}

function result(
  syncId: number | undefined,
  version: 0 | 1 | undefined,
  entries: SyncConnEntry[],
  dropped: SyncRxCode | undefined,
  skippedEntries: SyncRxCode[],
): SyncDatagramResult {
  return { syncId, version, entries, dropped, skippedEntries };
}

/** Reads one received datagram as a backup with syncid `ourSyncId` (0 accepts every syncid). */
export function parseSyncDatagram(buf: Uint8Array, ourSyncId: number): SyncDatagramResult {
  const entries: SyncConnEntry[] = [];
  const skipped: SyncRxCode[] = [];
  const len = buf.length;
  const syncId = len >= 2 ? buf[1] : undefined;
  if (len < SYNC_V0_HEADER_LEN) return result(syncId, undefined, entries, SYNC_RX.TOO_SHORT, skipped);
  if (rd16(buf, 2) !== len) return result(syncId, undefined, entries, SYNC_RX.BAD_SIZE, skipped);
  if (ourSyncId !== 0 && syncId !== ourSyncId)
    return result(syncId, undefined, entries, SYNC_RX.WRONG_SYNCID, skipped);
  // The kernel reads the version 1 header fields from its receive buffer even for a 4..7 byte
  // datagram; bytes past the datagram are not ours to read, so a short one is version 0.
  if (len >= SYNC_V1_HEADER_LEN && isSyncV1Header(buf, 0)) {
    const n = buf[4]!;
    let next = SYNC_V1_HEADER_LEN;
    for (let i = 0; i < n; i++) {
      const p = next;
      if (p + SYNC_V4_CONN_LEN > len) return result(syncId, 1, entries, SYNC_RX.CONN_TRUNCATED, skipped);
      const verSize = rd16(buf, p + 2);
      const size = verSize & 0x0fff;
      if (p + size > len) return result(syncId, 1, entries, SYNC_RX.CONN_OVERRUN, skipped);
      if (verSize >> 12) return result(syncId, 1, entries, SYNC_RX.CONN_VERSION, skipped);
      const r = readSyncConnV1(buf, p, p + size);
      const code = typeof r === 'string' ? r : entryCheck(r, true);
      if (code === undefined) entries.push(r as SyncConnEntry);
      else if (code === SYNC_RX.UNKNOWN_MANDATORY || typeof r !== 'string') skipped.push(code);
      else return result(syncId, 1, entries, code, skipped);
      next = p + ((size + 3) & ~3);
    }
    return result(syncId, 1, entries, undefined, skipped);
  }
  const n = buf[0]!;
  if (n === 0 && len >= SYNC_V1_HEADER_LEN)
    return result(syncId, undefined, entries, SYNC_RX.BAD_VERSION, skipped);
  let p = SYNC_V0_HEADER_LEN;
  for (let i = 0; i < n; i++) {
    const r = readSyncConnV0(buf, p, len);
    if (typeof r === 'string') return result(syncId, 0, entries, r, skipped);
    p += syncConnLength(r, 0);
    const code = entryCheck(r, false);
    if (code === undefined) entries.push(r);
    else skipped.push(code);
  }
  return result(syncId, 0, entries, undefined, skipped);
}
