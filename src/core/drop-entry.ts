/**
 * drop_entry's work, as net/netfilter/ipvs/ip_vs_conn.c ip_vs_random_dropentry() does it once a
 * second while the defense is on: look at a random 1/32 of the table and remove TCP entries still
 * in SYN_RECV or SYNACK and SCTP ones in INIT1 or INIT (half-open, the stuff of SYN floods),
 * unassured persistence templates that control nothing, and some ESTABLISHED TCP/SCTP entries and
 * UDP entries: those idle for at least 60 s that have seen 1 to 8 input packets, fewer packets
 * dropped sooner (todrop_entry(): every entry with one packet, every second one with two, ...,
 * every eighth with eight). Pure; the random source is a seeded xorshift so runs repeat.
 */
import { CONN_F, type ConnTable, CTPL_S, KIND } from './conn-table.js';
import { SCTP_S } from './proto/sctp.js';
import { TCP_S } from './proto/tcp.js';
import { PROTO } from './types.js';

/** What the drop needs of the director. */
export interface DropEntryContext {
  readonly conns: ConnTable;
  /** Whether entry `idx` belongs to a one-packet (OPS) service (ip_vs_conn_ops_mode()). */
  onePacketConn(idx: number): boolean;
}

/** ip_vs_random_dropentry() with its todrop_entry() counters. */
export class DropEntry {
  // dropentry_counters: one per input-packet count 1..8.
  private readonly counters = new Int32Array(8);
  private rnd: number;

  constructor(seed = 0x2f6b3d19) {
    this.rnd = seed | 0 || 1;
  }

  /** One run: samples ceil(limit / 32) random slots (the kernel's conn_tab_size >> 5 random buckets) and returns how many entries it removed. */
  run(ctx: DropEntryContext, now: number): number {
    const conns = ctx.conns;
    const limit = conns.limit;
    if (limit === 0) return 0;
    return conns.batchKill(() => {
      const n = Math.ceil(limit / 32);
      let dropped = 0;
      for (let k = 0; k < n; k++) {
        const i = this.next() % limit;
        if (conns.kind(i) !== KIND.LIVE) continue;
        if (this.candidate(ctx, i, now)) {
          conns.kill(i);
          dropped++;
        }
      }
      return dropped;
    });
  }

  /**
   * conn_max's early drop: the table is full and a new conn wants in. Samples up to `tries` random
   * entries and removes the first half-open one (TCP SYN_RECV or SYNACK, SCTP INIT1 or INIT, not a
   * template): the entries a spoofed-source SYN flood fills the table with, which will never
   * complete. As nf_conntrack's early_drop() (net/netfilter/nf_conntrack_core.c) makes room in a
   * full table by evicting an entry that is not ASSURED, so a flood that fills the table does not
   * lock legitimate clients out until its entries time out. Only entries idle for at least
   * `minIdleMs` go: a legitimate handshake completes within a round trip, so a half-open entry
   * that has seen nothing for the initial retransmission timeout (1 s, RFC 6298 section 2.1) is
   * the flood's, and a client between its SYN and its ACK is not evicted. Returns whether one was
   * removed.
   */
  evictHalfOpen(ctx: DropEntryContext, tries: number, now: number, minIdleMs: number): boolean {
    const conns = ctx.conns;
    const limit = conns.limit;
    if (limit === 0) return false;
    for (let k = 0; k < tries; k++) {
      const i = this.next() % limit;
      if (conns.kind(i) !== KIND.LIVE || conns.flagsOf(i) & CONN_F.TEMPLATE) continue;
      const proto = conns.proto[i] as number;
      const st = conns.stateOf(i);
      const half =
        proto === PROTO.TCP
          ? st === TCP_S.SYN_RECV || st === TCP_S.SYNACK
          : proto === PROTO.SCTP && (st === SCTP_S.INIT1 || st === SCTP_S.INIT);
      if (!half || conns.timeoutOf(i) * 1000 + now < conns.expiresOf(i) + minIdleMs) continue;
      conns.kill(i);
      return true;
    }
    return false;
  }

  // The body of ip_vs_random_dropentry()'s loop for one entry.
  private candidate(ctx: DropEntryContext, i: number, now: number): boolean {
    const conns = ctx.conns;
    const flags = conns.flagsOf(i);
    if (flags & CONN_F.TEMPLATE) {
      // A template's ctl is its n_control: one still controlling conns is kept.
      if ((conns.ctl[i] as number) > 0) return false;
      // Templates of one-packet services see their traffic in in_pkts: the idle test decides.
      if (ctx.onePacketConn(i)) return this.todrop(conns, i, now);
      return (conns.stateOf(i) & CTPL_S.ASSURED) === 0;
    }
    const proto = conns.proto[i] as number;
    const st = conns.stateOf(i);
    if (proto === PROTO.TCP) {
      if (st === TCP_S.SYN_RECV || st === TCP_S.SYNACK) return true;
      return st === TCP_S.ESTABLISHED && this.todrop(conns, i, now);
    }
    if (proto === PROTO.SCTP) {
      if (st === SCTP_S.INIT1 || st === SCTP_S.INIT) return true;
      return st === SCTP_S.ESTABLISHED && this.todrop(conns, i, now);
    }
    return this.todrop(conns, i, now);
  }

  // todrop_entry(): idle ≥ 60 s (timeout + now ≥ expires + 60 s: last re-armed 60 s ago or more),
  // 1..8 input packets, and that count's counter run down.
  private todrop(conns: ConnTable, i: number, now: number): boolean {
    if (conns.timeoutOf(i) * 1000 + now < conns.expiresOf(i) + 60_000) return false;
    const p = conns.inPktsOf(i);
    if (p > 8 || p < 1) return false;
    const c = this.counters;
    const k = p - 1;
    c[k] = (c[k] as number) - 1;
    if ((c[k] as number) > 0) return false;
    c[k] = p;
    return true;
  }

  // xorshift32.
  private next(): number {
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    return x >>> 0;
  }
}
