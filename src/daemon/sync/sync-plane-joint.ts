/**
 * Joins the sync daemons to the data plane: the master daemon's entry sink is attached to the
 * plane (the packet plane's SyncMaster then feeds it from the data path; the proxy plane's sends
 * persistence templates only), and every entry the backup daemon reads is applied through the
 * plane, so the plane sets up its own per-conn state and forwards the conn after a takeover (the
 * proxy plane applies templates only). The plane is built after the director and its sync
 * service (a VRRP instance may make the master daemon start first), so the joint remembers the
 * sink and attaches it once {@link SyncPlaneJoint.bind} brings the plane.
 * A plane without the sync methods (`--dataplane none`): the master has
 * nothing to send, and received entries go into the core table alone (listed by `-Lnc`;
 * a synced persistence template is followed by the director's scheduling like any template).
 */
import type { DataPlaneHandle } from '../../control/ports.js';
import type { Director } from '../../core/director.js';
import { applySyncEntry } from '../../sync/sync-backup.js';
import type { SyncConnEntry } from '../../sync/sync-entry.js';
import type { SyncSink } from '../../sync/sync-master.js';
import type { SyncConnHooks, SyncEntrySink } from './sync-protocol.js';

/** The production {@link SyncConnHooks}: the director's data plane, once bound. */
export class SyncPlaneJoint implements SyncConnHooks {
  #plane: DataPlaneHandle | undefined;
  #sink: SyncSink | undefined;

  constructor(private readonly director: Director) {}

  /** The data plane is up (or gone, with undefined): a running master's sink moves to it. */
  bind(plane: DataPlaneHandle | undefined): void {
    if (this.#plane === plane) return;
    if (this.#sink) this.#plane?.detachSyncMaster?.();
    this.#plane = plane;
    if (this.#sink) plane?.attachSyncMaster?.(this.#sink);
  }

  /** The master daemon starts: the plane feeds `sink` until the returned function runs. */
  attachMaster(sink: SyncEntrySink): () => void {
    // The plane's SyncMaster passes (entry, now, conn index); the daemon's sink picks the sync
    // thread from the conn (select_master_thread_id(), masterThreadOf).
    const s: SyncSink = { add: (e, _now, conn) => sink.add(e, conn) };
    this.#sink = s;
    this.#plane?.attachSyncMaster?.(s);
    return () => {
      if (this.#sink !== s) return;
      this.#sink = undefined;
      this.#plane?.detachSyncMaster?.();
    };
  }

  /** One entry the backup daemon read (ip_vs_proc_conn()). */
  applyEntry(e: SyncConnEntry, now: number): void {
    const p = this.#plane;
    if (p?.applySyncEntry) p.applySyncEntry(e, now);
    else applySyncEntry(this.director, e, now);
  }
}
