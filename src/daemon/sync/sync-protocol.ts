/**
 * The seam between the sync daemons (sockets, timers, queue: this folder) and the protocol
 * logic that decides what to send and applies what arrives (the pure src/sync layer: the
 * master's SyncMaster, the backup's applySyncEntry). The daemon only moves datagrams; a
 * {@link SyncProtocol} turns conns into datagrams and datagrams into conns.
 * {@link codecSyncProtocol} is the production shape: the message builder and parseSyncDatagram
 * with the conn-level hooks injected, so wiring the master/backup logic is two functions.
 */
import { SyncMessageBuilder } from '../../sync/sync-builder.js';
import { parseSyncDatagram } from '../../sync/sync-datagram.js';
import type { SyncConnEntry } from '../../sync/sync-entry.js';
import type { SyncRxCode } from '../../sync/sync-error.js';
import { masterThreadOf } from '../../sync/sync-master.js';

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

/** The master role's protocol side while the master daemon runs. */
export interface SyncMasterSide {
  /**
   * The 2-second flush (IPVS_SYNC_FLUSH_TIME): hand every partly filled message to `emit` now.
   * Called by the daemon's timer.
   */
  flush(now: number): void;
  /** The master daemon stops: stop feeding `emit` (the kernel drops what is still buffered). */
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
  /** `emit(datagram, threadId)` queues a finished message for the thread's socket. */
  startMaster(cfg: SyncRoleConfig, emit: (data: Uint8Array, thread: number) => void): SyncMasterSide;
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
 * The production protocol: one SyncMessageBuilder per master thread, finished messages to
 * `emit`; each received datagram read by parseSyncDatagram with the backup's syncid, its entries
 * applied in order.
 */
export function codecSyncProtocol(hooks: SyncConnHooks): SyncProtocol & { counters: SyncProtocolCounters } {
  const counters: SyncProtocolCounters = { entriesOut: 0, entriesIn: 0, rxDrops: 0, badEntries: 0 };
  return {
    counters,
    startMaster(cfg, emit) {
      const builders = Array.from(
        { length: cfg.threads },
        () => new SyncMessageBuilder({ maxLen: cfg.maxLen, syncId: cfg.syncId, version: cfg.version }),
      );
      let open = true;
      const detach = hooks.attachMaster({
        add(e, conn) {
          const thread = masterThreadOf(conn, cfg.threads);
          const b = builders[thread];
          if (!open || !b) return;
          let done: Uint8Array | undefined;
          try {
            done = b.add(e);
          } catch {
            counters.badEntries++;
            return;
          }
          counters.entriesOut++;
          // The builder reuses nothing after finishing a message, so the bytes can be queued as is.
          if (done) emit(done, thread);
        },
      });
      return {
        flush() {
          if (!open) return;
          builders.forEach((b, id) => {
            const d = b.flush();
            if (d) emit(d, id);
          });
        },
        close() {
          open = false;
          detach();
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
