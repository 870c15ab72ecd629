/**
 * The packet plane's side of connection synchronisation, for the sync daemon: as a master, the
 * engine feeds a {@link SyncMaster} from every inbound packet and the entries go to the daemon's
 * sink (attachMaster / detachMaster); as a backup, a received datagram is read
 * (parseSyncDatagram) and each entry applied to the director's table (applySyncEntry), after
 * which the engine forwards those conns like its own. One SyncMaster lives as long as the plane,
 * attached or not, so the bookkeeping of conns a backup created (ip_vs_proc_conn() sets
 * old_state, ip_vs_conn_new() sync_endtime) is in place when that backup becomes master.
 */
import type { Engine } from '../../engine/engine.js';
import { applySyncEntry, type SyncApplyResult } from '../../sync/sync-backup.js';
import { parseSyncDatagram } from '../../sync/sync-datagram.js';
import type { SyncConnEntry } from '../../sync/sync-entry.js';
import type { SyncRxCode } from '../../sync/sync-error.js';
import { SyncMaster, type SyncSink } from '../../sync/sync-master.js';

/** What one received datagram did to the table. */
export interface SyncApplyCounts {
  /** The datagram's version, or undefined when it was dropped before its version was known. */
  readonly version: 0 | 1 | undefined;
  /** Why the datagram (or its rest) was dropped; undefined when it was read to the end. */
  readonly dropped: SyncRxCode | undefined;
  /** Entries that created a conn. */
  readonly created: number;
  /** Entries that updated a conn the table held. */
  readonly updated: number;
  /** Entries applied whose conn has no dest here yet (created or updated, still unbound). */
  readonly unbound: number;
  /** Entries applySyncEntry ignored (protocol, state, stale, table full, ...). */
  readonly ignored: number;
  /** Entries the reader skipped (unknown mandatory option, bad protocol or state, ...). */
  readonly skipped: number;
}

/**
 * Running totals: entries over every applyEntry (the daemon's path and apply's); datagrams,
 * droppedDatagrams and skipped over the datagrams given to apply only (the sync daemon counts
 * the ones it reads).
 */
export interface PlaneSyncCounters {
  datagrams: number;
  /** Datagrams dropped whole or in part (SyncApplyCounts.dropped set). */
  droppedDatagrams: number;
  created: number;
  updated: number;
  unbound: number;
  ignored: number;
  skipped: number;
}

/** Connection synchronisation over one engine and its director. */
export class PlaneSync {
  /** The master bookkeeping, kept while detached (see the file comment). */
  readonly master: SyncMaster;
  /** Totals since creation. */
  readonly counters: PlaneSyncCounters = {
    datagrams: 0,
    droppedDatagrams: 0,
    created: 0,
    updated: 0,
    unbound: 0,
    ignored: 0,
    skipped: 0,
  };
  private sink: SyncSink | null = null;

  constructor(private readonly engine: Engine) {
    this.master = new SyncMaster(engine.director, {
      add: (e: SyncConnEntry, now?: number, conn?: number) => this.sink?.add(e, now, conn),
    });
  }

  /** Starts the master role: from now on every inbound packet may send its conn to `sink`. */
  attachMaster(sink: SyncSink): void {
    this.sink = sink;
    this.engine.setSyncMaster(this.master);
  }

  /** Stops the master role: the engine feeds nobody (one null check per packet remains). */
  detachMaster(): void {
    this.engine.setSyncMaster(null);
    this.sink = null;
  }

  /** Whether a master sink is attached. */
  get masterAttached(): boolean {
    return this.sink !== null;
  }

  /**
   * The backup role: applies one entry the sync daemon read from a datagram, at `now` (ms), as
   * ip_vs_proc_conn() does, then gives a conn it created the master bookkeeping and the engine's
   * per-conn state. Counted in {@link counters} (created, updated, unbound, ignored).
   */
  applyEntry(e: SyncConnEntry, now: number): SyncApplyResult {
    const director = this.engine.director;
    const a = applySyncEntry(director, e, now);
    const c = this.counters;
    if (a.kind === 'ignored') {
      c.ignored++;
      return a;
    }
    if (!a.bound) c.unbound++;
    const state = director.conns.stateOf(a.idx);
    if (a.kind === 'created') {
      c.created++;
      // ip_vs_conn_new(): sync_endtime = now; ip_vs_proc_conn(): old_state = the entry's state.
      this.master.reset(a.idx, now, state);
      this.engine.syncCreated(a.idx);
    } else {
      c.updated++;
      const book = this.master.book;
      book.ensure(a.idx);
      book.oldState[a.idx] = state;
    }
    return a;
  }

  /**
   * Reads datagram `buf` as a backup with syncid `syncId` (0 accepts every syncid) and applies
   * its entries with {@link applyEntry}, at `now` (ms). Never throws on the datagram's contents.
   * The sync daemon reads datagrams itself and calls applyEntry; this is for callers without one.
   */
  apply(buf: Uint8Array, syncId: number, now: number): SyncApplyCounts {
    const r = parseSyncDatagram(buf, syncId);
    let created = 0;
    let updated = 0;
    let unbound = 0;
    let ignored = 0;
    for (const e of r.entries) {
      const a = this.applyEntry(e, now);
      if (a.kind === 'ignored') {
        ignored++;
        continue;
      }
      if (!a.bound) unbound++;
      if (a.kind === 'created') created++;
      else updated++;
    }
    const c = this.counters;
    c.datagrams++;
    if (r.dropped !== undefined) c.droppedDatagrams++;
    c.skipped += r.skippedEntries.length;
    return {
      version: r.version,
      dropped: r.dropped,
      created,
      updated,
      unbound,
      ignored,
      skipped: r.skippedEntries.length,
    };
  }
}
