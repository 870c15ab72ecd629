/**
 * The master's send path of one sync thread: the message builder and the queue of finished
 * datagrams, as net/netfilter/ipvs/ip_vs_sync.c keeps them per thread in struct
 * ipvs_master_sync_state (sync_buff, sync_queue) between ip_vs_sync_conn() (which fills the
 * buffer) and sync_thread_master() (which sends). A finished buffer is queued while the queue
 * holds fewer than sync_qlen_max, else dropped and counted (sb_queue_tail()). A partly filled
 * buffer is finished once it is two seconds old (IPVS_SYNC_FLUSH_TIME, get_curr_sync_buff()),
 * which the daemon asks for with {@link SyncOutbox.flushDue} on its check timer; the kernel hands
 * that buffer to the thread directly, so sync_qlen_max does not apply to it. lvsd's sync daemons
 * use one outbox per thread (daemon/sync/sync-protocol.ts). Pure: time comes in as `now` (ms).
 */
import { type SyncBuilderOptions, SyncMessageBuilder } from './sync-builder.js';
import type { SyncConnEntry } from './sync-entry.js';
import type { SyncSink } from './sync-master.js';

/** IPVS_SYNC_FLUSH_TIME: a partly filled buffer waits at most this long (ms) before it is sent. */
export const SYNC_FLUSH_TIME_MS = 2000;
/** The sync_qlen_max lvsd uses when none is given (the sysctl's default in core/sysctls.ts). */
export const SYNC_QLEN_MAX_DEFAULT = 8192;

/** Options of a {@link SyncOutbox}: the builder's, plus where sync_qlen_max comes from. */
export interface SyncOutboxOptions extends SyncBuilderOptions {
  /** sync_qlen_max, read each time a finished buffer is queued (it is a sysctl); default 8192. */
  readonly qlenMax?: () => number;
}

/** What a {@link SyncOutbox} did since it was created. */
export interface SyncOutboxCounters {
  /** Entries taken into a buffer. */
  entries: number;
  /** Datagrams queued for sending (full ones and flushed ones). */
  queued: number;
  /** Finished datagrams dropped because the queue held sync_qlen_max already. */
  dropped: number;
  /** Partly filled datagrams sent by the two-second flush. */
  flushed: number;
  /** Entries the builder refused (a field out of the wire format's range). */
  invalid: number;
}

/** Collects sync entries into datagrams and queues them for the daemon to send. */
export class SyncOutbox implements SyncSink {
  /** Counters since creation. */
  readonly counters: SyncOutboxCounters = { entries: 0, queued: 0, dropped: 0, flushed: 0, invalid: 0 };
  private readonly builder: SyncMessageBuilder;
  private readonly qlenMax: () => number;
  // The sync_queue: a FIFO read from `head`, compacted as it drains.
  private queue: Uint8Array[] = [];
  private head = 0;
  // When the current buffer got its first entry (sb->firstuse), or -1 when none is open.
  private firstUse = -1;
  // The latest time an entry came with, for entries added without one.
  private lastNow = 0;

  constructor(opts: SyncOutboxOptions) {
    this.builder = new SyncMessageBuilder(opts);
    this.qlenMax = opts.qlenMax ?? (() => SYNC_QLEN_MAX_DEFAULT);
  }

  /**
   * Adds an entry at `now` (ms; the last time seen when omitted). A buffer the entry did not fit
   * in is finished and queued (or dropped at sync_qlen_max); the new buffer's age starts with
   * this entry. Returns whether a datagram was queued.
   */
  add(e: SyncConnEntry, now?: number): boolean {
    if (now !== undefined) this.lastNow = now;
    const t = this.lastNow;
    let done: Uint8Array | undefined;
    try {
      done = this.builder.add(e);
    } catch {
      // PacketError ERR_PACKET_BAD_FIELD: the builder left its buffer as it was.
      this.counters.invalid++;
      return false;
    }
    this.counters.entries++;
    if (done) {
      this.firstUse = this.builder.pending() > 0 ? t : -1;
      return this.enqueue(done);
    }
    if (this.firstUse < 0 && this.builder.pending() > 0) this.firstUse = t;
    return false;
  }

  /**
   * get_curr_sync_buff(IPVS_SYNC_FLUSH_TIME): when the open buffer is at least two seconds old at
   * `now`, finishes it and queues it whatever the queue holds (the kernel sends it straight away,
   * so sync_qlen_max does not apply). Returns whether it did.
   */
  flushDue(now: number): boolean {
    if (this.firstUse < 0 || now - this.firstUse < SYNC_FLUSH_TIME_MS) return false;
    return this.flush();
  }

  /** Finishes and queues the open buffer whatever its age. False when none is open. */
  flush(): boolean {
    const d = this.builder.flush();
    this.firstUse = -1;
    if (!d) return false;
    this.queue.push(d);
    this.counters.queued++;
    this.counters.flushed++;
    return true;
  }

  /** sb_dequeue(): takes the oldest queued datagram, or undefined when the queue is empty. */
  next(): Uint8Array | undefined {
    if (this.head >= this.queue.length) return undefined;
    const d = this.queue[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return d;
  }

  /** Takes every queued datagram, oldest first; the queue is then empty. */
  drain(): Uint8Array[] {
    const q = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return q;
  }

  /**
   * stop_sync_thread(): releases the queued datagrams and the open buffer unsent. Returns how many
   * datagrams were released.
   */
  clear(): number {
    const n = this.queued();
    this.queue = [];
    this.head = 0;
    this.builder.flush();
    this.firstUse = -1;
    return n;
  }

  /** Datagrams waiting in the queue. */
  queued(): number {
    return this.queue.length - this.head;
  }

  /** Entries in the open, unfinished buffer. */
  pending(): number {
    return this.builder.pending();
  }

  /** IPv6 entries left out because sync_version 0 cannot carry them. */
  skippedIPv6(): number {
    return this.builder.skippedIPv6();
  }

  // sb_queue_tail(): queue while the queue is below sync_qlen_max, else release the buffer.
  private enqueue(d: Uint8Array): boolean {
    if (this.queued() < this.qlenMax()) {
      this.queue.push(d);
      this.counters.queued++;
      return true;
    }
    this.counters.dropped++;
    return false;
  }
}
