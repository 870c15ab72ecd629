/**
 * The master side of connection synchronisation: which conns are sent and when, as
 * net/netfilter/ipvs/ip_vs_sync.c ip_vs_sync_conn() / ip_vs_sync_conn_needed() decide, and the
 * entry each one becomes. Pure: time comes in as `now` (ms), entries go to a {@link SyncSink}
 * (the message builder, in production). The per-packet call allocates nothing unless it sends.
 */
import { APP_IN_SEQ, APP_OUT_SEQ } from '../core/conn-app.js';
import { CONN_F, type ConnTable, KIND } from '../core/conn-table.js';
import type { Director } from '../core/director.js';
import { SCTP_S } from '../core/proto/sctp.js';
import { TCP_S } from '../core/proto/tcp.js';
import type { Settings } from '../core/settings.js';
import { PROTO } from '../core/types.js';
import type { SyncConnEntry, SyncSeq } from './sync-entry.js';

/**
 * Where the master puts the entries it decides to send (the message builders of the sync daemon,
 * in production); `now` (ms) is when the entry was decided, for the two-second flush; `conn` is
 * the conn's index in the table, from which the sync thread is picked ({@link masterThreadOf}).
 */
export interface SyncSink {
  add(e: SyncConnEntry, now?: number, conn?: number): void;
}

/**
 * select_master_thread_id() (ip_vs_sync.c): the master thread, of `threads` (sync_ports, a power of
 * two), that conn `conn` is sent on. The kernel takes the conn's address in memory,
 * `((long)cp >> (1 + ilog2(sizeof(*cp)))) & threads_mask`, which is the conn's slot number; ours
 * is the conn's index in the table: stable while the conn lives, so all of its updates leave on
 * one thread's socket in order, and consecutive conns spread over the threads. Its template has
 * its own index and may go on another thread, as in the kernel. Anything but a non-negative
 * index (an entry that is no table conn) goes on thread 0.
 */
export function masterThreadOf(conn: number | undefined, threads: number): number {
  if (conn === undefined || !(conn >= 0) || threads <= 1) return 0;
  return conn & (threads - 1);
}

// ip_vs_sync_conn_needed(): the TCP and SCTP states a conn is synced in.
const TCP_SYNC_STATES =
  (1 << TCP_S.ESTABLISHED) |
  (1 << TCP_S.FIN_WAIT) |
  (1 << TCP_S.CLOSE) |
  (1 << TCP_S.CLOSE_WAIT) |
  (1 << TCP_S.TIME_WAIT);
const SCTP_SYNC_STATES =
  (1 << SCTP_S.ESTABLISHED) |
  (1 << SCTP_S.SHUTDOWN_SENT) |
  (1 << SCTP_S.SHUTDOWN_RECEIVED) |
  (1 << SCTP_S.SHUTDOWN_ACK_SENT) |
  (1 << SCTP_S.CLOSED);

/**
 * The per-conn sync bookkeeping of struct ip_vs_conn (sync_endtime with its two retry bits, and
 * old_state), as typed arrays indexed by conn index. `syncEnd` is in ms.
 */
export class SyncBook {
  /** When the conn would expire as of its last sync (sync_endtime without the retry bits), ms. */
  syncEnd: Float64Array = new Float64Array(1024);
  /** Retries done at the current syncEnd (the low two bits of sync_endtime). */
  retries: Uint8Array = new Uint8Array(1024);
  /** The state at the last sync (cp->old_state). */
  oldState: Uint8Array = new Uint8Array(1024);

  /** Makes room for conn index `i`. */
  ensure(i: number): void {
    if (i < this.retries.length) return;
    let n = this.retries.length;
    while (n <= i) n *= 2;
    const e = new Float64Array(n);
    e.set(this.syncEnd);
    this.syncEnd = e;
    const r = new Uint8Array(n);
    r.set(this.retries);
    this.retries = r;
    const o = new Uint8Array(n);
    o.set(this.oldState);
    this.oldState = o;
  }

  /**
   * Starts the bookkeeping of a new conn at index `i`, as ip_vs_conn_new() does
   * (sync_endtime = jiffies, old_state = state: 0 for a scheduled conn, the message's for a
   * synced one).
   */
  reset(i: number, now: number, state = 0): void {
    this.ensure(i);
    this.syncEnd[i] = now;
    this.retries[i] = 0;
    this.oldState[i] = state;
  }
}

/**
 * ip_vs_sync_conn_needed(): whether conn `i`, seen with `pkts` input packets, is sent now. Updates
 * the bookkeeping when it is (and when a forced state change is recorded).
 */
export function syncNeeded(
  conns: ConnTable,
  s: Settings,
  book: SyncBook,
  i: number,
  pkts: number,
  now: number,
): boolean {
  book.ensure(i);
  const flags = conns.flagsOf(i);
  const template = (flags & CONN_F.TEMPLATE) !== 0;
  const state = conns.stateOf(i);
  const timeoutMs = conns.timeoutOf(i) * 1000;
  const n = now + timeoutMs;
  let retries = 0;
  let force = false;
  if (template) force = false;
  else if (s.syncPersistMode && inPersistence(conns, i)) return false;
  else {
    const proto = conns.proto[i] as number;
    if (proto === PROTO.TCP || proto === PROTO.SCTP) {
      const ok = proto === PROTO.TCP ? TCP_SYNC_STATES : SCTP_SYNC_STATES;
      if (state > 31 || ((1 << state) & ok) === 0) return false;
      force = state !== book.oldState[i];
      const est = proto === PROTO.TCP ? TCP_S.ESTABLISHED : SCTP_S.ESTABLISHED;
      // A change to any state but ESTABLISHED is sent at once, whatever the rate rules say.
      if (force && state !== est) {
        book.oldState[i] = state;
        book.syncEnd[i] = n;
        book.retries[i] = 0;
        return true;
      }
    }
  }
  const refresh = s.syncRefreshPeriodMs;
  if (refresh > 0) {
    const orig = book.syncEnd[i] as number;
    const minDiff = Math.max(timeoutMs / 2, 10_000);
    // Skip while the expiry moved less than the refresh period (and half the timeout) since the
    // last sync, except for up to sync_retries re-sends spaced refresh/8 apart.
    if (Math.abs(n - orig) < Math.min(refresh, minDiff)) {
      const done = book.retries[i] as number;
      if (done >= s.syncRetries) return false;
      if (now < orig - timeoutMs + refresh / 8) return false;
      retries = done + 1;
    }
  }
  const period = s.syncPeriod;
  if (period > 0) {
    if (!template && pkts % period !== s.syncThreshold) return false;
  } else if (refresh === 0 && pkts !== s.syncThreshold) return false;
  book.oldState[i] = state;
  book.syncEnd[i] = n;
  book.retries[i] = retries;
  // The kernel answers "cmpxchg succeeded || force"; with one writer the exchange always succeeds.
  return true;
}

// in_persistence(): the conn is controlled by a template.
function inPersistence(conns: ConnTable, i: number): boolean {
  const ct = conns.ctl[i] as number;
  return ct >= 0 && (conns.flagsOf(ct) & CONN_F.TEMPLATE) !== 0;
}

// The SEQ_DATA option (ip_vs_sync_conn() copies cp->in_seq and cp->out_seq when IN_SEQ/OUT_SEQ
// are set): a helper conn's sequence adjustment, so a backup taking over keeps it.
function seqData(conns: ConnTable, i: number): { seq?: { in: SyncSeq; out: SyncSeq } } {
  const f = conns.flagsOf(i);
  if ((f & (CONN_F.IN_SEQ | CONN_F.OUT_SEQ)) === 0 || (f & CONN_F.APP) === 0) return {};
  const w = new Uint32Array(3);
  const rec = (which: number): SyncSeq => {
    conns.app.readSeq(i, which, w);
    return { initSeq: w[0] as number, delta: w[1] as number, previousDelta: w[2] as number };
  };
  return { seq: { in: rec(APP_IN_SEQ), out: rec(APP_OUT_SEQ) } };
}

/**
 * The sync entry of conn `i` (ip_vs_sync_conn()'s copy): flags without HASHED, the conn's timeout
 * in seconds (cp->timeout / HZ: the conn has just been re-armed with it, so it is also what
 * remains), the fwmark of its dest's service (the conn's own when it has no dest), and a FULLNAT
 * conn's local address. Undefined for a conn a sync entry cannot describe: a free slot, or a
 * tunnel conn whose dest family differs (the kernel refuses sync with mixed-family dests).
 */
export function connToSyncEntry(director: Director, i: number): SyncConnEntry | undefined {
  const conns = director.conns;
  const kind = conns.kind(i);
  if (kind !== KIND.LIVE && kind !== KIND.OPS) return undefined;
  const af = conns.af(i);
  if (conns.daf(i) !== af) return undefined;
  const caddr = new Uint32Array(4);
  const vaddr = new Uint32Array(4);
  const daddr = new Uint32Array(4);
  conns.readAddr(i, 0, caddr);
  conns.readAddr(i, 4, vaddr);
  conns.readAddr(i, 8, daddr);
  const dest = director.destOf(i);
  const key = dest?.svc.key;
  const fwmark = key ? (key.kind === 'fwmark' ? key.fwmark >>> 0 : 0) : (conns.fwmark[i] as number);
  const laddr = new Uint32Array(4);
  const lport = conns.readLocal(i, laddr);
  const e: SyncConnEntry = {
    af,
    protocol: conns.proto[i] as number,
    flags: conns.flagsOf(i) & ~(CONN_F.HASHED | CONN_F.APP),
    state: conns.stateOf(i),
    cport: conns.cport[i] as number,
    vport: conns.vport[i] as number,
    dport: conns.dportOf(i),
    fwmark,
    timeoutS: conns.timeoutOf(i),
    caddr,
    vaddr,
    daddr,
    ...(lport >= 0 ? { local: { laddr, lport } } : {}),
    ...seqData(conns, i),
  };
  return e;
}

/** What a {@link SyncMaster} did, for the daemon's counters. */
export interface SyncMasterCounters {
  /** Entries handed to the sink. */
  sent: number;
  /** Conns the decision wanted to send but no entry can describe (mixed-family tunnels). */
  unrepresentable: number;
}

/**
 * The master's per-packet hook: after the director handled an inbound packet of conn `idx`,
 * {@link onPacket} decides (with the conn's controller, as ip_vs_sync_conn() does) and feeds the
 * sink. One per director; only one role (master) uses it.
 */
export class SyncMaster {
  /** The per-conn bookkeeping (exposed for tests and for a backup that turns master). */
  readonly book = new SyncBook();
  /** Counters since creation. */
  readonly counters: SyncMasterCounters = { sent: 0, unrepresentable: 0 };

  constructor(
    private readonly director: Director,
    private readonly sink: SyncSink,
  ) {}

  /**
   * ip_vs_in()'s sync step for conn `idx` just handled at `now`: pkts is the conn's input packet
   * count (sync_threshold for a one-packet conn). A first packet (count 1) starts the conn's
   * bookkeeping, since conn indexes are reused.
   */
  onPacket(idx: number, now: number): void {
    const conns = this.director.conns;
    const s = this.director.settings;
    const ops = (conns.flagsOf(idx) & CONN_F.ONE_PACKET) !== 0;
    const pkts = ops ? s.syncThreshold : conns.inPktsOf(idx);
    if (pkts === 1 && (conns.flagsOf(idx) & CONN_F.TEMPLATE) === 0) this.book.reset(idx, now);
    this.syncConn(idx, pkts, now);
  }

  /**
   * ip_vs_conn_expire()'s resend: a conn (a template still controlling conns) re-armed instead of
   * freed is considered again with pkts = sync_threshold.
   */
  onRearm(idx: number, now: number): void {
    this.syncConn(idx, this.director.settings.syncThreshold, now);
  }

  /** Forgets conn `idx`'s bookkeeping and starts it anew (a new conn at a reused index). */
  reset(idx: number, now: number, state = 0): void {
    this.book.reset(idx, now, state);
  }

  // ip_vs_sync_conn() (and _v0 for sync_version 0): the conn, then its controller.
  private syncConn(idx: number, pkts: number, now: number): void {
    const d = this.director;
    const conns = d.conns;
    const s = d.settings;
    let i = idx;
    let p = pkts;
    for (let guard = 0; guard < 4 && i >= 0; guard++) {
      const flags = conns.flagsOf(i);
      if (s.syncVersion === 0) {
        // ip_vs_sync_conn_v0: IPv4 only, no one-packet conns, and the controller goes only with a
        // conn that was sent.
        if (conns.af(i) !== 4 || flags & CONN_F.ONE_PACKET) return;
        if (!syncNeeded(conns, s, this.book, i, p, now)) return;
        this.emit(i, now);
      } else if ((flags & CONN_F.ONE_PACKET) === 0 && syncNeeded(conns, s, this.book, i, p, now)) {
        this.emit(i, now);
      }
      // The controller: a template counts this packet in its own in_pkts (our director already
      // counted it for one-packet conns); any other controller goes with pkts = sync_threshold.
      if (flags & CONN_F.TEMPLATE) return;
      const ct = conns.ctl[i] as number;
      if (ct < 0 || conns.kind(ct) !== KIND.LIVE) return;
      if (conns.flagsOf(ct) & CONN_F.TEMPLATE) {
        if ((flags & CONN_F.ONE_PACKET) === 0) conns.setInPkts(ct, (conns.inPktsOf(ct) + 1) >>> 0);
        p = conns.inPktsOf(ct);
        // A template's first counted packet: a new template, perhaps at a reused index.
        if (p === 1) this.book.reset(ct, now);
      } else p = s.syncThreshold;
      i = ct;
    }
  }

  private emit(i: number, now: number): void {
    const e = connToSyncEntry(this.director, i);
    if (e === undefined) {
      this.counters.unrepresentable++;
      return;
    }
    this.counters.sent++;
    this.sink.add(e, now, i);
  }
}
