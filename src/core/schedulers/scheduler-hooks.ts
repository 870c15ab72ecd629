/**
 * The hooks of a scheduler over any dest and service type: the kernel's struct ip_vs_scheduler
 * (init_service, add_dest, del_dest, upd_dest, schedule). Generic so that core/service.ts can hold
 * a scheduler and core/dest.ts can tell it of load changes without importing scheduler.ts, which
 * names them both; scheduler.ts binds it to Dest and Service as `Scheduler`.
 */

/** What a scheduler may look at in the packet that starts a connection (reused, never allocated per packet). */
export interface SchedPacket {
  /** Source (client) address bytes: 4 or 16. */
  srcAddr: Uint8Array;
  srcPort: number;
  /** Destination address bytes (the VIP, or the real destination for fwmark cache setups). */
  dstAddr: Uint8Array;
  dstPort: number;
  /** IP protocol number (6, 17, 132, ...). */
  protocol: number;
}

/** How the dest list of a service just changed. */
export type DestChange = 'add' | 'del' | 'upd';

/** A scheduler instance bound to one service `S`, choosing among its dests `D`. */
export interface SchedulerHooks<D, S> {
  /** The ipvsadm name, e.g. `wrr`. */
  readonly name: string;
  /** Binds to a service and builds state from its current dest list (the kernel's init_service). */
  init(svc: S): void;
  /**
   * The service's dest list changed. Called after the change: for 'add' the dest is already at
   * the list head; for 'del' it is already unlinked and `index` is where it stood.
   */
  destChanged(svc: S, change: DestChange, dest: D, index: number): void;
  /** A dest's connection counts or OVERLOAD flag changed (dynamic schedulers keep indexes on this). */
  loadChanged?(dest: D): void;
  /** Picks a destination for a new connection, or null when none is available. */
  schedule(svc: S, pkt: SchedPacket, now: number): D | null;
  /** Periodic housekeeping (lblc/lblcr garbage collection); `now` in ms. */
  tick?(svc: S, now: number): void;
  /** Releases per-service state (the kernel's done_service). */
  done?(svc: S): void;
}
