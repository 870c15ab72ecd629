/**
 * The scheduler interface: one file per ipvsadm scheduler name implements it.
 * Hooks mirror the kernel's struct ip_vs_scheduler (init_service, add_dest, del_dest,
 * upd_dest, schedule); they are declared over any dest and service in scheduler-hooks.ts.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import type { SchedulerHooks } from './scheduler-hooks.js';

export type { DestChange, SchedPacket } from './scheduler-hooks.js';

/** A scheduler instance bound to one service. */
export type Scheduler = SchedulerHooks<Dest, Service>;

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
