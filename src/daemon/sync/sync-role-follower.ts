/**
 * keepalived's `lvs_sync_daemon IF inst VI_NAME`: the sync daemon's role follows that VRRP
 * instance, as keepalived 2.2.7 drives it from its VRRP process (ipvswrapper.c
 * ipvs_syncd_master() = stop backup, start master; ipvs_syncd_backup() = stop master, start
 * backup): vrrp_init_state() starts the backup for an instance that does not start as master,
 * becoming MASTER switches to master, vrrp_state_leave_master() (to BACKUP or FAULT) switches back
 * to backup, and stopping VRRP stops both. The syncid defaults to the instance's VRID (vrrp.c).
 * It listens on `lvs:vrrp:transition` and applies start/stop-daemon Commands through the
 * daemon's apply, so they are logged and refused like any other command.
 *
 * On a reload it moves the daemons to the new file's `lvs_sync_daemon`, as vrrp_daemon.c
 * reload_vrrp_thread() does: a role whose settings (interface, syncid, maxlen, port, ttl, group,
 * or the instance followed) changed is stopped and started again with the new ones, the role the
 * instance's state now wants is started, the other stopped, and an unchanged one is left running
 * (keepalived compares them with ipvs_syncd_changed()). Both roles without `inst` follow the same
 * rule. A removed `lvs_sync_daemon` stops its daemons: keepalived's reload only handles a file
 * that still has one, but a fresh start with the new file would run none.
 */
import type { LvsModel } from '../../config/model.js';
import { syncDaemonSettings } from '../../config/to-commands.js';
import { type VrrpTransitionMessage, vrrpTransitionChannel } from '../../control/channels.js';
import type { Command, SyncDaemonConfig } from '../../control/commands.js';
import type { SyncLog } from './sync-service.js';

/** A sync daemon role. */
export type SyncRole = 'master' | 'backup';
/** A VRRP instance state as transitions report it. */
type VrrpState = VrrpTransitionMessage['to'];

/** Options of a {@link SyncRoleFollower}. */
export interface SyncRoleFollowerOptions {
  /** The configuration holding `lvs_sync_daemon ... inst VI` and the instance. */
  readonly model: LvsModel;
  /** Applies a command (the daemon's apply); throws the table's coded error. */
  readonly apply: (cmd: Command) => void;
  /** Only transitions published by this VRRP runner (tests run several in one process). */
  readonly source?: object;
  readonly log?: SyncLog;
  /**
   * The roles that run now (`-L --daemon`): a reload starts again a role an operator stopped
   * with `--stop-daemon`, even when the file did not change it.
   */
  readonly running?: () => readonly SyncRole[];
}

/** The daemon settings for `state` from the model, or undefined when no role follows VRRP. */
export function followedSyncDaemon(
  model: LvsModel,
  state: SyncRole,
): { instance: string; daemon: SyncDaemonConfig } | undefined {
  const sd = model.globals.lvsSyncDaemon;
  if (!sd || sd.instance === undefined) return undefined;
  const vi = model.vrrp.instances.find((i) => i.name === sd.instance);
  if (!vi) return undefined;
  return { instance: vi.name, daemon: syncDaemonSettings(sd, state, sd.syncId ?? vi.vrid) };
}

/**
 * The daemons `model` wants while its instances are in the states `stateOf` reports: both roles
 * without `inst` (buildCommands starts them with the table), with `inst` the master while that
 * instance is MASTER, nothing while it is in INIT (not running), and the backup otherwise
 * (vrrp_daemon.c: want_syncd_master = the instance is MASTER); nothing for an instance the file
 * does not define.
 */
export function desiredSyncDaemons(
  model: LvsModel,
  stateOf: (instance: string) => VrrpState | undefined,
): Partial<Record<SyncRole, SyncDaemonConfig>> {
  const sd = model.globals.lvsSyncDaemon;
  if (!sd) return {};
  if (sd.instance === undefined)
    return {
      master: syncDaemonSettings(sd, 'master', sd.syncId ?? 0),
      backup: syncDaemonSettings(sd, 'backup', sd.syncId ?? 0),
    };
  const f = followedSyncDaemon(model, 'backup');
  if (!f) return {};
  const st = stateOf(f.instance);
  if (st === 'INIT') return {};
  return st === 'MASTER' ? { master: { ...f.daemon, state: 'master' } } : { backup: f.daemon };
}

/** ipvs_syncd_changed() the other way round: the same settings (the role aside). */
export function sameSyncDaemon(a: SyncDaemonConfig, b: SyncDaemonConfig): boolean {
  return (
    a.mcastInterface === b.mcastInterface &&
    a.syncId === b.syncId &&
    a.syncMaxLen === b.syncMaxLen &&
    a.mcastGroup === b.mcastGroup &&
    a.mcastPort === b.mcastPort &&
    a.mcastTtl === b.mcastTtl
  );
}

const ROLES: readonly SyncRole[] = ['master', 'backup'];
const list = (r: readonly SyncRole[]): string => (r.length > 0 ? r.join(' and ') : 'none');

/** Drives the sync daemons from one VRRP instance's transitions and from reloads. */
export class SyncRoleFollower {
  readonly #listener = (m: VrrpTransitionMessage) => this.#onTransition(m);
  #subscribed = false;
  #model: LvsModel;
  /** The last state of every instance of our VRRP runner (a reload may follow another one). */
  readonly #states = new Map<string, VrrpState>();
  /** The settings of the roles this follower (or the table, for both roles) started. */
  #running: Partial<Record<SyncRole, SyncDaemonConfig>> = {};
  /** The instance followed when the running roles started (a changed `inst` restarts them). */
  #runningFor: string | undefined;

  constructor(private readonly opts: SyncRoleFollowerOptions) {
    this.#model = opts.model;
  }

  /** The instance the roles follow, or undefined (none configured, or not found). */
  get instance(): string | undefined {
    return followedSyncDaemon(this.#model, 'master')?.instance;
  }

  /**
   * Starts listening; call before the VRRP instances start so their first transition is seen.
   * Without `inst` the table's first commands start both roles; they are recorded as running.
   */
  start(): void {
    if (this.#subscribed) return;
    const sd = this.#model.globals.lvsSyncDaemon;
    if (sd && sd.instance === undefined) this.#running = desiredSyncDaemons(this.#model, () => undefined);
    if (sd?.instance !== undefined && !this.instance) this.#warnNoInstance(sd.instance);
    vrrpTransitionChannel.subscribe(this.#listener);
    this.#subscribed = true;
  }

  /** Stops listening (the daemons themselves stop with the instance's INIT transition). */
  stop(): void {
    if (this.#subscribed) vrrpTransitionChannel.unsubscribe(this.#listener);
    this.#subscribed = false;
  }

  /**
   * The configuration was reloaded (after the VRRP instances were): restarts a role whose
   * settings changed, leaves an unchanged one running, stops one no longer wanted, and starts
   * the role the followed instance's state wants.
   */
  reload(model: LvsModel): void {
    const alive = this.opts.running?.();
    if (alive) for (const r of ROLES) if (!alive.includes(r)) delete this.#running[r];
    const sd = model.globals.lvsSyncDaemon;
    this.#model = model;
    if (sd?.instance !== undefined && !this.instance) this.#warnNoInstance(sd.instance);
    this.#converge(
      desiredSyncDaemons(model, (i) => this.#states.get(i)),
      'reload',
    );
  }

  #warnNoInstance(name: string): void {
    this.opts.log?.(
      'warn',
      `Unable to find vrrp instance ${name} for lvs_sync_daemon - clearing lvs_syncd config`,
    );
  }

  #onTransition(m: VrrpTransitionMessage): void {
    if (this.opts.source !== undefined && m.source !== this.opts.source) return;
    this.#states.set(m.instance, m.to);
    const f = followedSyncDaemon(this.#model, 'master');
    if (!f || m.instance !== f.instance) return;
    if (m.to === 'MASTER') {
      this.#stop('backup');
      this.#start({ ...f.daemon, state: 'master' });
    } else if (m.to === 'INIT') {
      this.#stop('master');
      this.#stop('backup');
    } else if (m.from === 'MASTER' || m.from === 'INIT') {
      this.#stop('master');
      this.#start({ ...f.daemon, state: 'backup' });
    }
  }

  // Stops what runs and is not wanted as it is (stops first: a changed role frees its sockets),
  // then starts what is wanted and does not run so.
  #converge(want: Partial<Record<SyncRole, SyncDaemonConfig>>, why: string): void {
    const inst = this.instance;
    const keep = (r: SyncRole): boolean => {
      const cur = this.#running[r];
      const w = want[r];
      return cur !== undefined && w !== undefined && sameSyncDaemon(cur, w) && this.#runningFor === inst;
    };
    const kept = ROLES.filter(keep);
    const stopped = ROLES.filter((r) => this.#running[r] !== undefined && !kept.includes(r));
    for (const r of stopped) this.#stop(r);
    const started: SyncRole[] = [];
    for (const r of ROLES) {
      const w = want[r];
      if (w && !kept.includes(r)) {
        this.#start(w);
        started.push(r);
      }
    }
    if (kept.length + stopped.length + started.length > 0)
      this.opts.log?.(
        'info',
        `lvs_sync_daemon on ${why}: kept ${list(kept)}, stopped ${list(stopped)}, started ${list(started)}`,
      );
  }

  #start(cfg: SyncDaemonConfig): void {
    const cur = this.#running[cfg.state];
    // The role runs with these settings already (a transition repeating what a reload did).
    if (cur && sameSyncDaemon(cur, cfg) && this.#runningFor === this.instance) return;
    if (this.#run({ op: 'start-daemon', daemon: cfg })) {
      this.#running[cfg.state] = cfg;
      this.#runningFor = this.instance;
    }
  }

  #stop(state: SyncRole): void {
    this.#run({ op: 'stop-daemon', state });
    delete this.#running[state];
  }

  // ipvs_syncd_cmd() logs a failure and goes on; so does this (a stop of a stopped role is ESRCH).
  #run(cmd: Command): boolean {
    try {
      this.opts.apply(cmd);
      return true;
    } catch (e) {
      const errno = (e as { errno?: string }).errno;
      if (cmd.op === 'stop-daemon' && errno === 'ESRCH') return true;
      this.opts.log?.('warn', `lvs_sync_daemon: ${cmd.op} failed: ${(e as Error).message}`, { errno });
      return false;
    }
  }
}
