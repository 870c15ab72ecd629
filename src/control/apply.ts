/**
 * The one place where commands change the director. lvsadm, rules files, config reloads, the
 * HTTP API and health transitions all arrive here as `Command`s; `apply` performs the change on
 * the pure core and returns what changed, and callers (data planes, logs, the dashboard) react
 * to the returned changes.
 */
import { LvsError, TableError } from '../core/errors.js';
import type { ServiceTable } from '../core/service-table.js';
import type { DestKey, ServiceKey } from '../core/types.js';
import type { Command, SyncDaemonConfig, SysctlName } from './commands.js';

/** What apply needs from the director; the core's Director implements it. */
export interface ControlTarget {
  readonly table: ServiceTable;
  /** `--set tcp tcpfin udp` in seconds; 0 keeps a value. */
  setTimeouts(tcp: number, tcpfin: number, udp: number): void;
  setSysctl(name: SysctlName, value: number): void;
  /** Zeroes the global counters (part of `-Z` without a service). */
  zeroGlobal(): void;
  /** Sync daemons; a target without connection sync throws ERR_LVS_NOT_SUPPORTED. */
  startDaemon?(cfg: SyncDaemonConfig): void;
  stopDaemon?(state: 'master' | 'backup'): void;
  /** Whether a sync daemon (either role) runs: the kernel's `ipvs->sync_state != 0`. */
  syncRunning?(): boolean;
  /** `--bgp-drain`/`--bgp-undrain` (ours); absent when lvsd runs without `--bgp`. */
  bgpDrain?(vip: string | undefined, drained: boolean): void;
}

/**
 * Whether a service has a destination of another address family (a tunnel to an IPv6 real
 * server behind an IPv4 VIP, or the reverse): the kernel's `mixed_address_family_dests > 0`,
 * counted in __ip_vs_update_dest() and uncounted in __ip_vs_unlink_dest() (ip_vs_ctl.c), so
 * destinations in the trash do not count.
 */
export function hasMixedFamilyDests(t: ServiceTable): boolean {
  return t.list().some((svc) => svc.dests.some((d) => d.af !== svc.af));
}

/**
 * A sync entry has one family for all its addresses (struct ip_vs_sync_v4 / _v6), so the kernel
 * never lets mixed-family destinations and the sync daemons run together: ip_vs_genl_new_daemon()
 * answers EINVAL while such a destination exists, and ip_vs_genl_set_cmd() answers EINVAL to
 * adding or editing one while a daemon runs (ip_vs_ctl.c, "The synchronization protocol is
 * incompatible with mixed family services").
 */
function refuseMixedFamily(what: string): never {
  throw new TableError(
    'ERR_LVS_SYNC_MIXED_FAMILY',
    `${what}: connection sync cannot carry a destination of another address family than its service`,
  );
}

/** Code of a BGP command or query when lvsd runs without `--bgp`. */
export const NO_BGP_CODE = 'ERR_LVS_NO_BGP';

/** One effect of an applied command. */
export type Change =
  | { readonly kind: 'service-added' | 'service-edited' | 'service-deleted'; readonly service: ServiceKey }
  | {
      readonly kind: 'dest-added' | 'dest-edited' | 'dest-deleted';
      readonly service: ServiceKey;
      readonly dest: DestKey;
    }
  | { readonly kind: 'laddr-added' | 'laddr-deleted'; readonly service: ServiceKey; readonly addr: string }
  | { readonly kind: 'cleared' | 'zeroed' | 'timeouts' | 'sysctl' | 'daemon' | 'bgp' };

/**
 * Applies one command at time `now` (ms). Throws TableError with the kernel's errno meaning on
 * failure; a failed command changes nothing.
 */
export function apply(target: ControlTarget, cmd: Command, now: number): Change[] {
  const t = target.table;
  switch (cmd.op) {
    case 'add-service':
      t.addService(cmd.service, cmd.config);
      return [{ kind: 'service-added', service: cmd.service }];
    case 'edit-service':
      t.editService(cmd.service, cmd.config);
      return [{ kind: 'service-edited', service: cmd.service }];
    case 'del-service':
      t.delService(cmd.service, now);
      return [{ kind: 'service-deleted', service: cmd.service }];
    case 'clear':
      t.clear(now);
      return [{ kind: 'cleared' }];
    case 'add-dest':
      mixedDestCheck(target, cmd.service, cmd.dest.af);
      t.addDest(cmd.service, cmd.dest);
      return [{ kind: 'dest-added', service: cmd.service, dest: cmd.dest }];
    case 'edit-dest':
      mixedDestCheck(target, cmd.service, cmd.dest.af);
      t.editDest(cmd.service, cmd.dest);
      return [{ kind: 'dest-edited', service: cmd.service, dest: cmd.dest }];
    case 'del-dest':
      t.delDest(cmd.service, cmd.dest, now);
      return [{ kind: 'dest-deleted', service: cmd.service, dest: cmd.dest }];
    case 'zero':
      t.zero(cmd.service);
      if (!cmd.service) target.zeroGlobal();
      return [{ kind: 'zeroed' }];
    case 'set-timeouts':
      target.setTimeouts(cmd.tcp, cmd.tcpfin, cmd.udp);
      return [{ kind: 'timeouts' }];
    case 'set-sysctl':
      target.setSysctl(cmd.name, cmd.value);
      return [{ kind: 'sysctl' }];
    case 'start-daemon':
      if (!target.startDaemon)
        throw new TableError('ERR_LVS_NOT_SUPPORTED', 'connection sync is not available');
      if (hasMixedFamilyDests(t)) refuseMixedFamily('start-daemon');
      target.startDaemon(cmd.daemon);
      return [{ kind: 'daemon' }];
    case 'stop-daemon':
      if (!target.stopDaemon)
        throw new TableError('ERR_LVS_NOT_SUPPORTED', 'connection sync is not available');
      target.stopDaemon(cmd.state);
      return [{ kind: 'daemon' }];
    case 'bgp-drain':
    case 'bgp-undrain':
      if (!target.bgpDrain)
        throw new LvsError(NO_BGP_CODE, 'lvsd announces nothing over BGP (start it with --bgp)');
      target.bgpDrain(cmd.vip, cmd.op === 'bgp-drain');
      return [{ kind: 'bgp' }];
    case 'add-laddr': {
      const svc = t.find(cmd.service);
      if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
      if (svc.laddrs.includes(cmd.addr)) throw new TableError('ERR_LVS_LADDR_EXISTS', 'local address exists');
      svc.laddrs.push(cmd.addr);
      t.generation++;
      return [{ kind: 'laddr-added', service: cmd.service, addr: cmd.addr }];
    }
    case 'del-laddr': {
      const svc = t.find(cmd.service);
      if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
      const i = svc.laddrs.indexOf(cmd.addr);
      if (i < 0) throw new TableError('ERR_LVS_NO_LADDR', 'no such local address');
      svc.laddrs.splice(i, 1);
      t.generation++;
      return [{ kind: 'laddr-deleted', service: cmd.service, addr: cmd.addr }];
    }
  }
}

// ip_vs_genl_set_cmd(): an unknown service answers ESRCH first (addDest/editDest do), then a
// destination of another family is refused while a sync daemon runs.
function mixedDestCheck(target: ControlTarget, key: ServiceKey, af: number): void {
  const svc = target.table.find(key);
  if (svc && af !== svc.af && target.syncRunning?.()) refuseMixedFamily('destination');
}
