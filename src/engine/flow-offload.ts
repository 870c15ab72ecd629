/**
 * XDP flow offload, the engine's half: which conns are handed down to the XDP program
 * (native/xdp_filter.c offload()), what the map entry holds, how the program's counters come
 * back into the director's stats and timers, and when an entry is taken back. Pure: the map is a
 * {@link FlowMapPort} (BPF hash in io/packet-socket/xdp-flow-map.ts, {@link FakeFlowMap}
 * in fake-flow-map.ts) and time comes in as `now` (engine ms) and `monoNs` (CLOCK_MONOTONIC ns, the clock of
 * bpf_ktime_get_ns).
 *
 * Scope: DR, IPv4, TCP. A conn is offered ({@link want}) by the fast path right after it sent an
 * ACK-only segment of an ESTABLISHED conn by a valid transmit-cache entry; {@link flush} installs
 * the batch's offers after the batch (never per packet), re-checking each. From then on the
 * program forwards the conn's ACK-only segments itself; SYN, FIN, RST, fragments, TTL <= 1 and
 * packets above the path MTU still reach the engine.
 *
 * How each way a conn ends or changes empties the map (the kernel's ip_vs_in decides these for
 * every packet; here the slow path or the sweep does it for the offloaded ones):
 * - FIN or RST: the program passes them, the director moves the conn out of ESTABLISHED, and
 *   {@link afterPacket} (called by ip-path.ts for every conn packet) removes the entry.
 * - expiry, kill, the expire_nodest_conn flush, drop_entry, rescheduling: the conn table frees
 *   the entry and the director's free hook calls {@link onFree}, which folds the last counters
 *   and removes it. The sweep refreshes the timer of an offloaded conn from the program's
 *   last-seen time first, so only a conn idle for its whole timeout expires.
 * - real-server deletion (the dest leaves the table, IP_VS_DEST_F_AVAILABLE cleared): the sweep
 *   removes entries whose dest is gone or unavailable, so the slow path applies the kernel's rule
 *   (expire_nodest_conn drops and expires, else the conn keeps its trashed dest).
 * - weight 0: the kernel keeps forwarding a quiescent dest's existing conns (only new
 *   scheduling and expire_quiescent_template's templates change), so the entry stays.
 * - route or neighbour change: the sweep removes entries whose transmit-cache entry is no longer
 *   valid; the next segment through the engine resolves the path again and re-offers the conn.
 *
 * Bound: the map is a plain hash of {@link FlowOffloadOptions.maxEntries}, not an LRU, because an
 * LRU would evict an entry together with counters the stats have not read yet; an install over
 * the bound is refused and counted, and that conn stays on the slow path for its life.
 */
import { CONN_F, KIND } from '../core/conn-table.js';
import type { Director } from '../core/director.js';
import { TCP_S } from '../core/proto/tcp.js';
import { FWD } from '../core/types.js';
import { writeNatRewrite } from './flow-nat-value.js';
import { FLOW_KEY_BYTES, FLOW_KIND, FLOW_V, FLOW_VALUE_BYTES, TTL_SUM } from './flow-value.js';
import type { Output } from './output.js';

export { FLOW_KEY_BYTES, FLOW_KIND, FLOW_V, FLOW_VALUE_BYTES, TTL_SUM };
/** {@link FlowMapPort.insert}'s result when the map is at its bound (-E2BIG). */
export const FLOW_MAP_FULL = -7;

/** The flow map as the engine uses it: every call returns 0 or a negative errno. */
export interface FlowMapPort {
  /** Adds a new entry; {@link FLOW_MAP_FULL} at the bound. */
  insert(key: Uint8Array, value: Uint8Array): number;
  /** Copies the entry's value into `value`; -2 (ENOENT) when absent. */
  lookup(key: Uint8Array, value: Uint8Array): number;
  /** Removes the entry; -2 when absent. */
  remove(key: Uint8Array): number;
}

/** Options of {@link FlowOffload}. */
export interface FlowOffloadOptions {
  /** The map's bound (BPF max_entries); installs above it are refused. */
  readonly maxEntries: number;
  /**
   * Whether NAT conns are installed too (default true). `--xdp-offload auto` leaves them to the
   * engine: the NAT rewrite is proven against the engine under BPF_PROG_TEST_RUN but has not
   * been seen forwarding on a link yet, while DR has.
   */
  readonly nat?: boolean;
}

/** Counters of the offload, for `--stats` lines, metrics and tests. */
export interface FlowOffloadCounters {
  installed: number;
  installs: number;
  refused: number;
  removed: number;
  failed: number;
  packets: number;
  bytes: number;
}

// One installed conn: its key, and the counters and last-seen already folded into the stats.
interface Entry {
  readonly key: Uint8Array;
  readonly dest: number;
  packets: number;
  bytes: number;
  seen: number;
}

const QUEUED = 1;
const INSTALLED = 2;
const REFUSED = 3;

/** The offload controller of one engine. */
export class FlowOffload {
  /** Counters (see {@link FlowOffloadCounters}). */
  readonly counters: FlowOffloadCounters = {
    installed: 0,
    installs: 0,
    refused: 0,
    removed: 0,
    failed: 0,
    packets: 0,
    bytes: 0,
  };
  // Per conn index: 0, QUEUED, INSTALLED or REFUSED. Grown off the common path (a new index).
  private mark = new Uint8Array(1024);
  private queue = new Int32Array(256);
  private queued = 0;
  private readonly entries = new Map<number, Entry>();
  private readonly value = new Uint8Array(FLOW_VALUE_BYTES);
  private readonly view = new DataView(this.value.buffer);
  private lastGen = -1;

  constructor(
    private readonly director: Director,
    private readonly out: Output,
    private readonly map: FlowMapPort,
    private readonly o: FlowOffloadOptions,
  ) {}

  /** Installed entries. */
  get size(): number {
    return this.entries.size;
  }

  /** True when conn `idx` has a map entry. */
  installed(idx: number): boolean {
    return idx < this.mark.length && this.mark[idx] === INSTALLED;
  }

  /**
   * Hot path (ip-path.ts fastRequest, DR, after the send): offers conn `idx` for install at the
   * next {@link flush}. Allocates nothing unless the conn index is beyond every one seen.
   */
  want(idx: number): void {
    if (idx >= this.mark.length) this.grow(idx);
    if (this.mark[idx] !== 0) return;
    this.mark[idx] = QUEUED;
    if (this.queued === this.queue.length) {
      const q = new Int32Array(this.queue.length * 2);
      q.set(this.queue);
      this.queue = q;
    }
    this.queue[this.queued++] = idx;
  }

  /**
   * After every conn packet the engine handled (ip-path.ts): a conn that left ESTABLISHED (the
   * slow path saw its FIN or RST) gives its entry back.
   */
  afterPacket(idx: number): void {
    if (
      idx < this.mark.length &&
      this.mark[idx] === INSTALLED &&
      this.director.conns.stateOf(idx) !== TCP_S.ESTABLISHED
    )
      this.remove(idx);
  }

  /** Installs the offers of the last batch that still qualify. Call once per receive batch. */
  flush(now: number): void {
    const n = this.queued;
    this.queued = 0;
    for (let i = 0; i < n; i++) {
      const idx = this.queue[i]!;
      if (this.mark[idx] !== QUEUED) continue;
      this.mark[idx] = 0;
      this.install(idx, now);
    }
  }

  /**
   * Once a second or so (and before `--stats` answers): folds every entry's new packets and bytes
   * into the conn, dest, service and global counters; re-arms the timer of a conn the program
   * saw since the last sweep from that time; removes entries whose conn no longer qualifies.
   */
  sweep(now: number, monoNs: number): void {
    const gen = this.director.table.generation;
    const tableChanged = gen !== this.lastGen;
    this.lastGen = gen;
    const conns = this.director.conns;
    for (const [idx, e] of this.entries) {
      if (this.map.lookup(e.key, this.value) !== 0) {
        // Gone from the map (not by us): nothing more to fold; forget it.
        this.forget(idx);
        continue;
      }
      this.fold(idx, e);
      const seen = Number(this.view.getBigUint64(FLOW_V.SEEN, true));
      if (seen !== e.seen) {
        e.seen = seen;
        const ageMs = Math.max(0, (monoNs - seen) / 1e6);
        if (conns.kind(idx) === KIND.LIVE) conns.touchLive(idx, now - ageMs);
      }
      if (!this.qualifies(idx, now, tableChanged)) this.remove(idx);
    }
  }

  /** The conn table is freeing `idx` (director free hook): last counters, then the entry goes. */
  onFree(idx: number): void {
    if (idx >= this.mark.length) return;
    if (this.mark[idx] === INSTALLED) this.remove(idx);
    this.mark[idx] = 0;
  }

  /** Folds and removes every entry (offload turned off, or the plane stopping). */
  clear(): void {
    for (const idx of [...this.entries.keys()]) this.remove(idx);
  }

  /** Folds conn `idx`'s last counters and removes its entry. */
  remove(idx: number): void {
    const e = this.entries.get(idx);
    if (!e) return;
    if (this.map.lookup(e.key, this.value) === 0) this.fold(idx, e);
    this.map.remove(e.key);
    this.forget(idx);
    this.counters.removed++;
  }

  private forget(idx: number): void {
    this.entries.delete(idx);
    this.mark[idx] = 0;
    this.counters.installed = this.entries.size;
  }

  // Adds what the program counted since the last fold to the stats ip_vs_in_stats() would have
  // bumped per packet: the dest's, its service's and the global inpkts/inbytes, and the conn's.
  private fold(idx: number, e: Entry): void {
    const v = this.view;
    const packets = Number(v.getBigUint64(FLOW_V.PACKETS, true));
    const bytes = Number(v.getBigUint64(FLOW_V.BYTES, true));
    const dp = packets - e.packets;
    const db = bytes - e.bytes;
    if (dp <= 0) return;
    e.packets = packets;
    e.bytes = bytes;
    this.counters.packets += dp;
    this.counters.bytes += db;
    const d = this.director.destById(e.dest);
    if (d) {
      d.stats.inpkts += dp;
      d.stats.inbytes += db;
      d.svc.stats.inpkts += dp;
      d.svc.stats.inbytes += db;
    }
    this.director.stats.inpkts += dp;
    this.director.stats.inbytes += db;
    const conns = this.director.conns;
    if (conns.kind(idx) === KIND.LIVE) conns.setInPkts(idx, conns.inPktsOf(idx) + dp);
  }

  // The conditions of the fast path's DR and NAT branches, for a conn and not a packet.
  private qualifies(idx: number, now: number, checkDest: boolean): boolean {
    const conns = this.director.conns;
    if (conns.kind(idx) !== KIND.LIVE || conns.proto[idx] !== 6) return false;
    if (conns.af(idx) !== 4 || conns.daf(idx) !== 4) return false;
    const fwd = conns.flagsOf(idx) & CONN_F.FWD_MASK;
    if (fwd !== FWD.DROUTE && (fwd !== FWD.MASQ || this.o.nat === false)) return false;
    if (conns.stateOf(idx) !== TCP_S.ESTABLISHED) return false;
    const key = conns.destOf(idx);
    if (key < 0 || !this.out.cached(key, conns.daddr4(idx), now)) return false;
    if (checkDest) {
      const d = this.director.destById(key);
      if (!d?.available) return false;
    }
    return true;
  }

  private install(idx: number, now: number): void {
    if (!this.qualifies(idx, now, true)) return;
    const c = this.counters;
    if (this.entries.size >= this.o.maxEntries) {
      c.refused++;
      this.mark[idx] = REFUSED;
      return;
    }
    const conns = this.director.conns;
    const key = new Uint8Array(FLOW_KEY_BYTES);
    const k = new DataView(key.buffer);
    k.setUint32(0, conns.caddr[idx]!);
    k.setUint32(4, conns.vaddr[idx]!);
    k.setUint16(8, conns.cport[idx]!);
    k.setUint16(10, conns.vport[idx]!);
    key[12] = 6;
    const dest = conns.destOf(idx);
    this.value.fill(0);
    const ifindex = this.out.cachedLink(dest, this.value, 0);
    this.view.setUint32(FLOW_V.IFINDEX, ifindex, true);
    this.view.setUint32(FLOW_V.MTU, this.out.xcMtu[dest]!, true);
    this.view.setUint32(FLOW_V.IPADD, TTL_SUM, true);
    // NAT: the request's destination becomes the real server's (ip_vs_nat_xmit), as translate4 in
    // the fast path; the replies still go through the engine.
    if ((conns.flagsOf(idx) & CONN_F.FWD_MASK) === FWD.MASQ)
      writeNatRewrite(
        this.view,
        FLOW_KIND.NAT_DST,
        conns.vaddr[idx]!,
        conns.daddr4(idx),
        conns.vport[idx]!,
        conns.dportOf(idx),
      );
    const r = this.map.insert(key, this.value);
    if (r === FLOW_MAP_FULL) {
      c.refused++;
      this.mark[idx] = REFUSED;
      return;
    }
    if (r !== 0) {
      c.failed++;
      this.mark[idx] = REFUSED;
      return;
    }
    this.entries.set(idx, { key, dest, packets: 0, bytes: 0, seen: 0 });
    this.mark[idx] = INSTALLED;
    c.installs++;
    c.installed = this.entries.size;
  }

  private grow(idx: number): void {
    const m = new Uint8Array(Math.max(idx + 1, this.mark.length * 2));
    m.set(this.mark);
    this.mark = m;
  }
}
