/**
 * Public API of LVS.ts: the pure IPVS core, for embedding in other TypeScript code. Everything
 * here is free of I/O: you feed it commands and packets (or socket-level connection events) with
 * the current time, and read back decisions, counters and listings.
 *
 *     import { createDirector, apply, serviceViews } from 'lvs-ts';
 *     const d = createDirector();
 *     apply(d, { op: 'add-service', service, config }, Date.now());
 */

import { Director, type DirectorOptions } from './core/director.js';
import { findScheduler } from './core/schedulers/index.js';

export { apply, type Change, type ControlTarget } from './control/apply.js';
export type { Command, Query, SyncDaemonConfig, SysctlName } from './control/commands.js';
export { SYSCTLS } from './control/commands.js';
export { serviceView, serviceViews } from './control/snapshot.js';
export { RequestError, validateCommand, validateQuery } from './control/validate.js';
export type { ConnView, DestView, RateView, ServiceView, Snapshot, StatsView } from './control/views.js';
export { type Af, canonicalIp, formatIpBytes, ipBytes, ipFamily } from './core/addr.js';
export { connViews } from './core/conn-views.js';
export { CONN_COUNT, Dest } from './core/dest.js';
export { CONN_EVENT, Director, type DirectorOptions, PacketInfo, VERDICT } from './core/director.js';
export { ConfigError, LvsError, TableError } from './core/errors.js';
export { findScheduler, registerScheduler, schedulerNames } from './core/schedulers/index.js';
export type { SchedPacket, Scheduler, SchedulerFactory } from './core/schedulers/scheduler.js';
export { Service } from './core/service.js';
export { ServiceTable } from './core/service-table.js';
export { Stats } from './core/stats.js';
export * from './core/types.js';
export { PacketError } from './packet/packet-error.js';

/** The IPVS version this core reproduces, as ipvsadm's listing header prints it. */
export const IPVS_VERSION = '1.2.1';

/** Creates a director with every kernel scheduler registered (the kernel's defaults otherwise). */
export function createDirector(opts: Partial<DirectorOptions> = {}): Director {
  return new Director({ schedulers: findScheduler, ...opts });
}
