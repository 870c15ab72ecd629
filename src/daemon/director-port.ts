/**
 * The director as the daemon and the data planes see it (`DirectorPort`, declared in
 * control/ports.ts): apply's ControlTarget plus the read side (timeouts, daemons, connections)
 * and the periodic tick. createDirectorPort wraps the core's Director; data planes reach the
 * Director itself through `director`.
 */
import type { BgpView } from '../control/bgp-views.js';
import type { SyncDaemonConfig } from '../control/commands.js';
import type { DataPlaneHandle, DirectorPort } from '../control/ports.js';
import { connViews } from '../core/conn-views.js';
import { Director } from '../core/director.js';
import { findScheduler } from '../core/schedulers/index.js';
import { SYSCTLS, type SysctlName } from '../core/sysctls.js';
import { SyncPlaneJoint } from './sync/sync-plane-joint.js';
import type { SyncService, SyncSysctlName } from './sync/sync-service.js';

/**
 * Builds the sync daemons of a director (daemon/sync/sync-service.ts); `joint` joins them to the
 * data plane once the daemon binds it.
 */
export type SyncServiceFactory = (
  director: Director,
  sysctl: (name: SyncSysctlName) => number | undefined,
  joint: SyncPlaneJoint,
) => SyncService;

/** What the control path needs of `lvsd --bgp` (daemon/bgp/bgp-announcer.ts implements it). */
export interface BgpControl {
  view(): BgpView;
  drain(vip: string | undefined, drained: boolean): void;
}

/**
 * A Director with every built-in scheduler, seen as a DirectorPort. With `sync`, the director
 * runs sync daemons (`--start-daemon`, `-L --daemon`); without it `startDaemon`/`stopDaemon` are
 * absent and apply answers EOPNOTSUPP for them. `bindPlane` joins the daemons to the data plane.
 */
export function createDirectorPort(
  connTabBits: number,
  sync?: SyncServiceFactory,
  bgp?: BgpControl,
): DirectorPort & { readonly sync?: SyncService; bindPlane(plane: DataPlaneHandle | undefined): void } {
  const director = new Director({ schedulers: findScheduler, tabBits: connTabBits });
  // The sync sysctls are read through the director's settings when it knows them (they arrive
  // with the sync master/backup logic); until then the service uses the kernel's defaults.
  const known: ReadonlySet<string> = new Set(SYSCTLS);
  const sysctl = (name: SyncSysctlName) =>
    known.has(name) ? director.settings.get(name as SysctlName) : undefined;
  const joint = new SyncPlaneJoint(director);
  const service = sync?.(director, sysctl, joint);
  return {
    director,
    table: director.table,
    connTabSize: director.conns.size,
    setTimeouts: (tcp, tcpfin, udp) => director.setTimeouts(tcp, tcpfin, udp),
    setSysctl: (name, value) => director.setSysctl(name, value),
    zeroGlobal: () => director.zeroGlobal(),
    timeouts: () => director.settings.timeouts(),
    daemons: () => service?.daemons() ?? [],
    conns: (now) => connViews(director, now),
    tick: (now) => director.tick(now),
    bindPlane: (plane) => joint.bind(plane),
    ...(bgp ? { bgpDrain: (vip: string | undefined, drained: boolean) => bgp.drain(vip, drained) } : {}),
    ...(service
      ? {
          startDaemon: (cfg: SyncDaemonConfig) => service.start(cfg),
          stopDaemon: (state: 'master' | 'backup') => service.stop(state),
          syncRunning: () => service.daemons().length > 0,
          sync: service,
        }
      : {}),
  };
}
