/**
 * The scheduler interface: one file per ipvsadm scheduler name implements it.
 * Hooks mirror the kernel's struct ip_vs_scheduler (init_service, add_dest, del_dest,
 * upd_dest, schedule).
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';

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

/** A scheduler instance bound to one service. */
export interface Scheduler {
  /** The ipvsadm name, e.g. `wrr`. */
  readonly name: string;
  /** Binds to a service and builds state from its current dest list (the kernel's init_service). */
  init(svc: Service): void;
  /**
   * The service's dest list changed. Called after the change: for 'add' the dest is already at
   * the list head; for 'del' it is already unlinked and `index` is where it stood.
   */
  destChanged(svc: Service, change: DestChange, dest: Dest, index: number): void;
  /** A dest's connection counts or OVERLOAD flag changed (dynamic schedulers keep indexes on this). */
  loadChanged?(dest: Dest): void;
  /** Picks a destination for a new connection, or null when none is available. */
  schedule(svc: Service, pkt: SchedPacket, now: number): Dest | null;
  /** Periodic housekeeping (lblc/lblcr garbage collection); `now` in ms. */
  tick?(svc: Service, now: number): void;
  /** Releases per-service state (the kernel's done_service). */
  done?(svc: Service): void;
}

/** Options a scheduler factory may use. */
export interface SchedulerOptions {
  /** Uniform random u32 source (twos); injected so tests are deterministic. */
  random?: () => number;
  /** mh table size: a prime from the kernel's list (default 4093). */
  mhTableSize?: number;
  /** lblc/lblcr expiration in ms (sysctl lblc_expiration, default 24 h). */
  lblcExpirationMs?: number;
}

/** Creates a scheduler for one service. */
export type SchedulerFactory = (opts: SchedulerOptions) => Scheduler;
