/**
 * keepalived's `lvs_sync_daemon IF inst VI_NAME`: the sync daemon's role follows that VRRP
 * instance, as keepalived 2.2.7 drives it from its VRRP process (ipvswrapper.c
 * ipvs_syncd_master() = stop backup, start master; ipvs_syncd_backup() = stop master, start
 * backup): vrrp_init_state() starts the backup for an instance that does not start as master,
 * becoming MASTER switches to master, vrrp_state_leave_master() (to BACKUP or FAULT) switches back
 * to backup, and stopping VRRP stops both. The syncid defaults to the instance's VRID (vrrp.c).
 * It listens on `lvs:vrrp:transition` and applies start/stop-daemon Commands through the
 * daemon's apply, so they are logged and refused like any other command.
 */
import type { LvsModel } from '../../config/model.js';
import { type VrrpTransitionMessage, vrrpTransitionChannel } from '../../control/channels.js';
import type { Command, SyncDaemonConfig } from '../../control/commands.js';
import type { SyncLog } from './sync-service.js';

/** Options of a {@link SyncRoleFollower}. */
export interface SyncRoleFollowerOptions {
  /** The configuration holding `lvs_sync_daemon ... inst VI` and the instance. */
  readonly model: LvsModel;
  /** Applies a command (the daemon's apply); throws the table's coded error. */
  readonly apply: (cmd: Command) => void;
  /** Only transitions published by this VRRP runner (tests run several in one process). */
  readonly source?: object;
  readonly log?: SyncLog;
}

/** The daemon settings for `state` from the model, or undefined when no role follows VRRP. */
export function followedSyncDaemon(
  model: LvsModel,
  state: 'master' | 'backup',
): { instance: string; daemon: SyncDaemonConfig } | undefined {
  const sd = model.globals.lvsSyncDaemon;
  if (!sd || sd.instance === undefined) return undefined;
  const vi = model.vrrp.instances.find((i) => i.name === sd.instance);
  if (!vi) return undefined;
  return {
    instance: vi.name,
    daemon: {
      state,
      mcastInterface: sd.ifname,
      syncId: sd.syncId ?? vi.vrid,
      ...(sd.maxLen !== undefined ? { syncMaxLen: sd.maxLen } : {}),
      ...(sd.group !== undefined ? { mcastGroup: sd.group } : {}),
      ...(sd.port !== undefined ? { mcastPort: sd.port } : {}),
      ...(sd.ttl !== undefined ? { mcastTtl: sd.ttl } : {}),
    },
  };
}

/** Drives the sync daemons from one VRRP instance's transitions. */
export class SyncRoleFollower {
  readonly #listener = (m: VrrpTransitionMessage) => this.#onTransition(m);
  #subscribed = false;

  constructor(private readonly opts: SyncRoleFollowerOptions) {}

  /** The instance the roles follow, or undefined (none configured, or not found). */
  get instance(): string | undefined {
    return followedSyncDaemon(this.opts.model, 'master')?.instance;
  }

  /** Starts listening; call before the VRRP instances start so their first transition is seen. */
  start(): void {
    const sd = this.opts.model.globals.lvsSyncDaemon;
    if (!sd || sd.instance === undefined || this.#subscribed) return;
    if (!this.instance) {
      this.opts.log?.(
        'warn',
        `Unable to find vrrp instance ${sd.instance} for lvs_sync_daemon - clearing lvs_syncd config`,
      );
      return;
    }
    vrrpTransitionChannel.subscribe(this.#listener);
    this.#subscribed = true;
  }

  /** Stops listening (the daemons themselves stop with the instance's INIT transition). */
  stop(): void {
    if (this.#subscribed) vrrpTransitionChannel.unsubscribe(this.#listener);
    this.#subscribed = false;
  }

  #onTransition(m: VrrpTransitionMessage): void {
    if (this.opts.source !== undefined && m.source !== this.opts.source) return;
    const f = followedSyncDaemon(this.opts.model, 'master');
    if (!f || m.instance !== f.instance) return;
    if (m.to === 'MASTER') {
      this.#run({ op: 'stop-daemon', state: 'backup' });
      this.#run({ op: 'start-daemon', daemon: { ...f.daemon, state: 'master' } });
    } else if (m.to === 'INIT') {
      this.#run({ op: 'stop-daemon', state: 'master' });
      this.#run({ op: 'stop-daemon', state: 'backup' });
    } else if (m.from === 'MASTER' || m.from === 'INIT') {
      this.#run({ op: 'stop-daemon', state: 'master' });
      this.#run({ op: 'start-daemon', daemon: { ...f.daemon, state: 'backup' } });
    }
  }

  // ipvs_syncd_cmd() logs a failure and goes on; so does this (a stop of a stopped role is ESRCH).
  #run(cmd: Command): void {
    try {
      this.opts.apply(cmd);
    } catch (e) {
      const errno = (e as { errno?: string }).errno;
      if (cmd.op === 'stop-daemon' && errno === 'ESRCH') return;
      this.opts.log?.('warn', `lvs_sync_daemon: ${cmd.op} failed: ${(e as Error).message}`, { errno });
    }
  }
}
