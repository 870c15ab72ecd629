/**
 * The seam between the sync daemons (sockets, timers, queue: this folder) and the protocol
 * logic that decides what to send and applies what arrives (the pure src/sync layer: the
 * master's SyncMaster, the backup's applySyncEntry). The daemon only moves datagrams; a
 * {@link SyncProtocol} turns conns into datagrams and datagrams into conns.
 * {@link codecSyncProtocol} is the production shape: the master's one send path (SyncOutbox:
 * builder and queue) and parseSyncDatagram, with the conn-level hooks injected, so wiring the
 * master/backup logic is two functions.
 */
import { parseSyncDatagram } from '../../sync/sync-datagram.js';
import type { SyncConnEntry } from '../../sync/sync-entry.js';
import type { SyncRxCode } from '../../sync/sync-error.js';
import { masterThreadOf } from '../../sync/sync-master.js';
import { SyncOutbox } from '../../sync/sync-outbox.js';

/** The settings one role runs with, after start_sync_thread()'s defaults and clamping. */
export interface SyncRoleConfig {
  readonly syncId: number;
  /** sync_maxlen after clamping: the largest datagram a master builds / a backup reads. */
  readonly maxLen: number;
  /** sync_version (master only; a backup reads both). */
  readonly version: 0 | 1;
  /** Number of sync threads (sync_ports when the first daemon started). */
  readonly threads: number;
}

/**
 * What the daemon gives the master side when the master starts: its clock, sync_qlen_max, and
 * where to say that a thread has messages to send.
 */
export interface SyncMasterIo {
  /** Thread `thread` queued a message: the daemon takes them with `next(thread)` as its socket allows. */
  ready(thread: number): void;
  /** The daemon's clock (ms): the age of a partly filled message is measured on it. */
  now(): number;
  /** sync_qlen_max, read as each finished message is queued (it is a sysctl). */
  qlenMax(): number;
}

/** The master role's protocol side while the master daemon runs. */
export interface SyncMasterSide {
  /**
   * The daemon's check (IPVS_SYNC_CHECK_PERIOD) at `now`: every partly filled message at least
   * 2 seconds old (IPVS_SYNC_FLUSH_TIME) is finished and queued.
   */
  flush(now: number): void;
  /** sb_dequeue(): thread `thread`'s oldest queued message, or undefined. */
  next(thread: number): Uint8Array | undefined;
  /** Messages queued over all threads, not yet taken. */
  queued(): number;
  /** Finished messages dropped because their thread's queue held sync_qlen_max. */
  queueDrops(): number;
  /** The master daemon stops: stop feeding, and release what is queued or buffered unsent. */
  close(): void;
}

/** The backup role's protocol side while the backup daemon runs. */
export interface SyncBackupSide {
  /** One datagram as received (already cut to maxLen), at `now` ms. */
  onDatagram(data: Uint8Array, now: number): void;
  close(): void;
}

/** Creates the protocol sides when a role starts. */
export interface SyncProtocol {
  startMaster(cfg: SyncRoleConfig, io: SyncMasterIo): SyncMasterSide;
  startBackup(cfg: SyncRoleConfig): SyncBackupSide;
}

/** Where the master logic puts the entries it decides to send. */
export interface SyncEntrySink {
  /**
   * Adds one entry of table conn `conn` (its index; default: none, thread 0): it goes into the
   * message of sync thread masterThreadOf(conn, threads), as ip_vs_sync_conn() fills the buffer
   * of select_master_thread_id(cp).
   */
  add(e: SyncConnEntry, conn?: number): void;
}

/** The conn-level hooks {@link codecSyncProtocol} needs. */
export interface SyncConnHooks {
  /**
   * The master daemon starts: start feeding `sink` (e.g. a SyncMaster over the director with
   * `sink` as its SyncSink); returns the function that stops it.
   */
  attachMaster(sink: SyncEntrySink): () => void;
  /** Applies one received entry (ip_vs_proc_conn(); applySyncEntry in src/sync). */
  applyEntry(e: SyncConnEntry, now: number): void;
  /** A datagram or entry the backup dropped, with the kernel's reason. */
  onRxDrop?(code: SyncRxCode): void;
}

/** Counters of a {@link codecSyncProtocol}, for logs and tests. */
export interface SyncProtocolCounters {
  entriesOut: number;
  entriesIn: number;
  rxDrops: number;
  /** Entries the builder refused (a field out of range). */
  badEntries: number;
}

/**
 * The production protocol: one {@link SyncOutbox} per master thread (the message builder and the
 * bounded queue of ip_vs_sync.c), entries stamped with the daemon's clock; each received
 * datagram read by parseSyncDatagram with the backup's syncid, its entries applied in order.
 */
export function codecSyncProtocol(hooks: SyncConnHooks): SyncProtocol & { counters: SyncProtocolCounters } {
  const counters: SyncProtocolCounters = { entriesOut: 0, entriesIn: 0, rxDrops: 0, badEntries: 0 };
  return {
    counters,
    startMaster(cfg, io) {
      const opts = { maxLen: cfg.maxLen, syncId: cfg.syncId, version: cfg.version, qlenMax: io.qlenMax };
      const outboxes = Array.from({ length: cfg.threads }, () => new SyncOutbox(opts));
      let open = true;
      const detach = hooks.attachMaster({
        add(e, conn) {
          const id = masterThreadOf(conn, cfg.threads);
          const o = outboxes[id];
          if (!open || !o) return;
          const { invalid } = o.counters;
          const queued = o.add(e, io.now());
          if (o.counters.invalid !== invalid) counters.badEntries++;
          else counters.entriesOut++;
          if (queued) io.ready(id);
        },
      });
      return {
        flush(now) {
          if (!open) return;
          outboxes.forEach((o, id) => {
            if (o.flushDue(now)) io.ready(id);
          });
        },
        next: (thread) => outboxes[thread]?.next(),
        queued: () => outboxes.reduce((n, o) => n + o.queued(), 0),
        queueDrops: () => outboxes.reduce((n, o) => n + o.counters.dropped, 0),
        close() {
          open = false;
          detach();
          for (const o of outboxes) o.clear();
        },
      };
    },
    startBackup(cfg) {
      return {
        onDatagram(data, now) {
          const r = parseSyncDatagram(data, cfg.syncId);
          for (const e of r.entries) {
            counters.entriesIn++;
            hooks.applyEntry(e, now);
          }
          if (r.dropped !== undefined) {
            counters.rxDrops++;
            hooks.onRxDrop?.(r.dropped);
          }
          for (const c of r.skippedEntries) {
            counters.rxDrops++;
            hooks.onRxDrop?.(c);
          }
        },
        close() {},
      };
    },
  };
}
