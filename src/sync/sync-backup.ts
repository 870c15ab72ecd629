/**
 * The backup side of connection synchronisation: one received entry applied to the local table
 * as net/netfilter/ipvs/ip_vs_sync.c ip_vs_proc_sync_conn() and ip_vs_proc_conn() do. Pure: `now`
 * comes in (ms), and the result says what happened; counting is the caller's.
 */

import { APP_IN_SEQ, APP_OUT_SEQ } from '../core/conn-app.js';
import { findSyncDest, syncBoundFlags, tryBindDest } from '../core/conn-bind.js';
import { CONN_F, CTPL_S, KIND } from '../core/conn-table.js';
import { CONN_COUNT } from '../core/dest.js';
import type { Director } from '../core/director.js';
import { TableError } from '../core/errors.js';
import { countKind } from '../core/persistence.js';
import { SCTP_STATE_COUNT } from '../core/proto/sctp.js';
import { TCP_STATE_COUNT } from '../core/proto/tcp.js';
import type { Service } from '../core/service.js';
import { MAX_TIMEOUT_S, type Settings } from '../core/settings.js';
import { PROTO } from '../core/types.js';
import type { SyncConnEntry } from './sync-entry.js';

/** IP_VS_CONN_F_SEQ_MASK: IN_SEQ | OUT_SEQ. */
export const CONN_F_SEQ_MASK = CONN_F.IN_SEQ | CONN_F.OUT_SEQ;
/**
 * IP_VS_CONN_F_BACKUP_MASK (include/uapi/linux/ip_vs.h): the flags a backup takes from a sync
 * entry when it creates a conn.
 */
export const CONN_F_BACKUP_MASK =
  CONN_F.FWD_MASK | CONN_F.NOOUTPUT | CONN_F.INACTIVE | CONN_F_SEQ_MASK | CONN_F.NO_CPORT | CONN_F.TEMPLATE;
/** IP_VS_CONN_F_BACKUP_UPD_MASK: the flags a sync entry may change on an existing conn. */
export const CONN_F_BACKUP_UPD_MASK = CONN_F.INACTIVE | CONN_F_SEQ_MASK;
/** Timeout of a template synced without one (version 0): ip_vs_proc_conn()'s 3*60*HZ. */
export const SYNC_TEMPLATE_TIMEOUT_S = 180;

/** Why an entry was not applied (stable codes for the daemon's counters). */
export type SyncIgnoreReason =
  /** Not TCP, UDP or SCTP (ip_vs_proto_get() fails; templates may carry any protocol). */
  | 'protocol'
  /** The state is past the protocol's last (pp->num_states). */
  | 'state'
  /** An inactive entry for a conn the table already holds towards another dest: the expiry notice of a replaced conn. */
  | 'stale'
  /** Persistence-engine data: no engine here can keep it (as a kernel without the named PE module). */
  | 'pe'
  /** A template with a client port: only persistence-engine templates have one, and those are refused above. */
  | 'template-cport'
  /** A family other than 4 or 6. */
  | 'family'
  /** An address buffer shorter than the four words every AddrWords has. */
  | 'address'
  /** The connection table is full. */
  | 'table-full';

/** What {@link applySyncEntry} did. */
export type SyncApplyResult =
  | { readonly kind: 'created'; readonly idx: number; readonly bound: boolean }
  | { readonly kind: 'updated'; readonly idx: number; readonly bound: boolean }
  | { readonly kind: 'ignored'; readonly reason: SyncIgnoreReason };

const ign = (reason: SyncIgnoreReason): SyncApplyResult => ({ kind: 'ignored', reason });

/**
 * Applies one sync entry to `director`'s table at `now`, as ip_vs_proc_conn(): flags masked with
 * {@link CONN_F_BACKUP_MASK} and SYNC added; an existing conn (templates looked up as templates)
 * pointing to another dest is expired when the entry is active, else the entry is ignored; an
 * existing conn takes the entry's INACTIVE and SEQ bits (dest counters follow) and is bound if it
 * had no dest; a new conn is bound to the dest its tuple names, or kept unbound. Then in_pkts =
 * sync_threshold, state from the entry, timeout from the entry (0: the state's timeout, 180 s for
 * a template), and a FULLNAT local address reserved as the master chose it.
 */
export function applySyncEntry(
  director: Director,
  entry: SyncConnEntry,
  now: number,
  settings: Settings = director.settings,
): SyncApplyResult {
  const conns = director.conns;
  const af = entry.af;
  if (af !== 4 && af !== 6) return ign('family');
  if (entry.caddr.length < 4 || entry.vaddr.length < 4 || entry.daddr.length < 4) return ign('address');
  let flags = ((entry.flags & CONN_F_BACKUP_MASK) | CONN_F.SYNC) >>> 0;
  const template = (flags & CONN_F.TEMPLATE) !== 0;
  const proto = entry.protocol & 255;
  // The wire carries 16-bit ports; anything wider would not match what the table stores.
  const cport = entry.cport & 0xffff;
  const vport = entry.vport & 0xffff;
  const dport = entry.dport & 0xffff;
  let state = entry.state;
  if (!template) {
    const n = stateCount(proto);
    if (n === 0) return ign('protocol');
    if (!(Number.isInteger(state) && state >= 0 && state < n)) return ign('state');
  } else if (!(Number.isInteger(state) && state >= 0 && state <= 255)) {
    // The kernel only logs an unknown template state; the table keeps states in a byte.
    state = CTPL_S.NONE;
  }
  // ip_vs_conn_fill_param_sync(): PE data needs its engine; there is none here.
  if (entry.peData !== undefined && entry.peData.length > 0) return ign('pe');
  if (template && cport !== 0) return ign('template-cport');

  let idx: number;
  if (!template) {
    idx = conns.findIn(af, proto, entry.caddr, cport, entry.vaddr, vport);
    if (idx >= 0 && !sameDest(director, idx, entry, dport)) {
      // "points to a different dest": a live message replaces the old conn; an inactive one is
      // the expiry notice of the conn that was already replaced.
      if ((flags & CONN_F.INACTIVE) !== 0) return ign('stale');
      conns.kill(idx);
      idx = -1;
    }
  } else {
    idx = conns.findTemplate(af, proto, entry.caddr, entry.vaddr, vport);
  }

  let created = false;
  if (idx >= 0) {
    const old = conns.flagsOf(idx);
    const dest = director.destOf(idx);
    if (((old ^ flags) & CONN_F.INACTIVE) !== 0 && !template && dest) {
      dest.setActivity((old & CONN_F.INACTIVE) === 0, (flags & CONN_F.INACTIVE) === 0);
    }
    conns.setFlags(idx, (flags & CONN_F_BACKUP_UPD_MASK) | (old & ~CONN_F_BACKUP_UPD_MASK));
    if (!dest) tryBindDest(director, idx);
  } else {
    const dest = findSyncDest(
      director,
      af,
      entry.fwmark >>> 0,
      proto,
      entry.vaddr,
      vport,
      entry.daddr,
      dport,
      flags,
    );
    if (dest) flags = syncBoundFlags(flags, dest);
    // conn_max bounds every entry, synced ones too (core/defense.ts).
    const max = settings.connMax;
    if (max > 0 && conns.count >= max) return ign('table-full');
    try {
      idx = conns.create(
        af,
        proto,
        entry.caddr,
        cport,
        entry.vaddr,
        vport,
        af,
        entry.daddr,
        dport,
        flags,
        entry.fwmark >>> 0,
        dest ? dest.id : -1,
        // A dest's owner is always a Service (DestService is its narrow view).
        dest ? (dest.svc as Service).id : -1,
        now,
      );
    } catch (e) {
      if (e instanceof TableError) return ign('table-full');
      throw e;
    }
    if (dest) dest.bind(template ? CONN_COUNT.TEMPLATE : countKind(flags));
    created = true;
  }

  conns.setInPkts(idx, settings.syncThreshold >>> 0);
  conns.setState(idx, state);
  conns.setTimeoutSecs(idx, syncTimeout(settings, proto, template, state, entry.timeoutS));
  if (entry.local !== undefined) reserveLocal(director, idx, proto, entry, dport);
  // The SEQ_DATA option: the master's sequence adjustment of a helper (FTP control) conn, kept
  // where this director bound the helper too (it binds by vport, as the master did).
  const sq = entry.seq;
  if (sq !== undefined && (conns.flagsOf(idx) & CONN_F.APP) !== 0) {
    conns.app.writeSeq(idx, APP_IN_SEQ, sq.in.initSeq, sq.in.delta, sq.in.previousDelta);
    conns.app.writeSeq(idx, APP_OUT_SEQ, sq.out.initSeq, sq.out.delta, sq.out.previousDelta);
  }
  conns.touch(idx, now);
  const bound = conns.destOf(idx) >= 0;
  return created ? { kind: 'created', idx, bound } : { kind: 'updated', idx, bound };
}

// Protocol states of ip_vs_proto_get(protocol)->num_states; 0 for a protocol IPVS does not know.
function stateCount(proto: number): number {
  if (proto === PROTO.TCP) return TCP_STATE_COUNT;
  if (proto === PROTO.UDP) return 1;
  if (proto === PROTO.SCTP) return SCTP_STATE_COUNT;
  return 0;
}

// The timeout ip_vs_proc_conn() gives: the entry's (capped), or the state's for version 0.
function syncTimeout(s: Settings, proto: number, template: boolean, state: number, timeoutS: number): number {
  if (timeoutS > 0) return Math.min(timeoutS >>> 0, MAX_TIMEOUT_S);
  if (template) return SYNC_TEMPLATE_TIMEOUT_S;
  const table = proto === PROTO.TCP ? s.tcpTimeouts : proto === PROTO.SCTP ? s.sctpTimeouts : s.udpTimeouts;
  return (table[state] ?? table[0] ?? SYNC_TEMPLATE_TIMEOUT_S) as number;
}

// Whether conn idx already goes to the entry's daddr:dport (ip_vs_proc_conn's dport/daddr test).
const scratch = new Uint32Array(4);
function sameDest(director: Director, idx: number, e: SyncConnEntry, dport: number): boolean {
  const conns = director.conns;
  if (conns.dportOf(idx) !== dport || conns.daf(idx) !== e.af) return false;
  conns.readAddr(idx, 8, scratch);
  const d = e.daddr;
  if (scratch[0] !== d[0]) return false;
  return e.af !== 6 || (scratch[1] === d[1] && scratch[2] === d[2] && scratch[3] === d[3]);
}

/**
 * FULLNAT: gives the conn the local address and port the master chose, so replies from the real
 * server find it here after a takeover. Another conn holding the same reply tuple (protocol,
 * RIP:rport, LIP:lport) is stale, since the master just gave that tuple to this conn: it goes.
 */
function reserveLocal(director: Director, idx: number, proto: number, e: SyncConnEntry, dport: number): void {
  const conns = director.conns;
  const l = e.local;
  if (l === undefined) return;
  const port = l.lport & 0xffff;
  const cur = conns.readLocal(idx, scratch);
  if (
    cur === port &&
    scratch[0] === l.laddr[0] &&
    scratch[1] === l.laddr[1] &&
    scratch[2] === l.laddr[2] &&
    scratch[3] === l.laddr[3]
  )
    return;
  const other = conns.findOutLocal(proto, e.daddr, dport, l.laddr, port);
  if (other >= 0 && other !== idx && conns.kind(other) !== KIND.FREE) conns.kill(other);
  conns.setLocal(idx, l.laddr, port);
}
