/**
 * The master's outgoing queue: a {@link SyncSink} over the message builder that keeps the
 * finished datagrams until the daemon sends them, as net/netfilter/ipvs/ip_vs_sync.c keeps its
 * sync_queue between ip_vs_sync_conn() (which fills buffers) and sync_thread_master() (which
 * sends them). The queue is bounded by the sync_qlen_max sysctl: a finished buffer that finds
 * the queue full is dropped and counted, as sb_queue_tail() releases it. A partly filled buffer
 * is sent once it is two seconds old (IPVS_SYNC_FLUSH_TIME, get_curr_sync_buff()), which the
 * daemon asks for with {@link SyncOutbox.flushDue}. Pure: time comes in as `now` (ms).
 */
import type { Settings } from '../core/settings.js';
import { type SyncBuilderOptions, SyncMessageBuilder } from './sync-builder.js';
import type { SyncConnEntry } from './sync-entry.js';
import type { SyncSink } from './sync-master.js';

/** IPVS_SYNC_FLUSH_TIME: a partly filled buffer waits at most this long (ms) before it is sent. */
export const SYNC_FLUSH_TIME_MS = 2000;
/** The sync_qlen_max default lvsd uses when no settings are given (core/sysctls.ts). */
export const SYNC_QLEN_MAX_DEFAULT = 8192;

/** Options of a {@link SyncOutbox}: the builder's, plus where sync_qlen_max is read. */
export interface SyncOutboxOptions extends SyncBuilderOptions {
  /** The director's settings: sync_qlen_max is read from them each time a buffer is queued. */
  readonly settings?: Settings;
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
  private readonly settings: Settings | undefined;
  private queue: Uint8Array[] = [];
  // When the current buffer got its first entry (sb->firstuse), or -1 when none is open.
  private firstUse = -1;
  // The latest time an entry came with, for entries added without one.
  private lastNow = 0;

  constructor(opts: SyncOutboxOptions) {
    this.builder = new SyncMessageBuilder(opts);
    this.settings = opts.settings;
  }

  /**
   * Adds an entry at `now` (ms; the last time seen when omitted). A buffer the entry did not fit
   * in is finished and queued; the new buffer's age starts with this entry.
   */
  add(e: SyncConnEntry, now?: number): void {
    if (now !== undefined) this.lastNow = now;
    const t = this.lastNow;
    let done: Uint8Array | undefined;
    try {
      done = this.builder.add(e);
    } catch {
      // PacketError ERR_PACKET_BAD_FIELD: the builder left its buffer as it was.
      this.counters.invalid++;
      return;
    }
    this.counters.entries++;
    if (done) {
      this.enqueue(done);
      this.firstUse = t;
    } else if (this.firstUse < 0 && this.builder.pending() > 0) this.firstUse = t;
  }

  /**
   * get_curr_sync_buff(IPVS_SYNC_FLUSH_TIME): when the open buffer is at least two seconds old at
   * `now`, finishes it and queues it (the kernel sends it straight away, so sync_qlen_max does
   * not apply). Returns whether it did.
   */
  flushDue(now: number): boolean {
    if (this.firstUse < 0 || now - this.firstUse < SYNC_FLUSH_TIME_MS) return false;
    return this.flush();
  }

  /** Finishes and queues the open buffer whatever its age (a stopping daemon). False when none is open. */
  flush(): boolean {
    const d = this.builder.flush();
    this.firstUse = -1;
    if (!d) return false;
    this.queue.push(d);
    this.counters.queued++;
    this.counters.flushed++;
    return true;
  }

  /** Takes every queued datagram, oldest first, for the daemon to send; the queue is then empty. */
  drain(): Uint8Array[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Datagrams waiting in the queue. */
  queued(): number {
    return this.queue.length;
  }

  /** Entries in the open, unfinished buffer. */
  pending(): number {
    return this.builder.pending();
  }

  // sb_queue_tail(): queue when empty or below sync_qlen_max, else drop the buffer.
  private enqueue(d: Uint8Array): void {
    const max = this.settings?.get('sync_qlen_max') ?? SYNC_QLEN_MAX_DEFAULT;
    if (this.queue.length === 0 || this.queue.length < max) {
      this.queue.push(d);
      this.counters.queued++;
    } else this.counters.dropped++;
  }
}
