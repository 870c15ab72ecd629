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
 *
 * A role that fails to start (its interface has no address yet, or does not exist yet: a VLAN or
 * bond made after lvsd) is tried again every second while it is still wanted; keepalived's
 * ipvs_syncd_cmd() logs the failure and never tries again, which leaves a backup deaf to its
 * master until the next VRRP transition. The failure is logged once, the eventual start once.
 */
import type { LvsModel } from '../../config/model.js';
import { syncDaemonSettings } from '../../config/to-commands.js';
import { type VrrpTransitionMessage, vrrpTransitionChannel } from '../../control/channels.js';
import type { Command, SyncDaemonConfig } from '../../control/commands.js';
import { type Clock, systemClock } from '../../health/runner.js';
import type { SyncLog } from './sync-service.js';

/** How often a role that failed to start is tried again. */
export const SYNC_START_RETRY_MS = 1000;

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
  /** Timers for the start retries (default: the system clock). */
  readonly clock?: Clock;
}

/** A role that is wanted but failed to start: its settings and how often it was tried. */
interface PendingStart {
  readonly cfg: SyncDaemonConfig;
  attempts: number;
  lastError: string;
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
  /** Roles wanted but not started (the start failed); tried again every SYNC_START_RETRY_MS. */
  readonly #pending = new Map<SyncRole, PendingStart>();
  #retryTimer: unknown;

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

  /**
   * The table's first commands have run (they start both roles when no `inst` is named): a role
   * they were to start and that does not run is tried again like any failed start.
   */
  settle(): void {
    const sd = this.#model.globals.lvsSyncDaemon;
    const alive = this.opts.running?.();
    if (!sd || sd.instance !== undefined || !alive) return;
    for (const r of ROLES) {
      const cfg = this.#running[r];
      if (!cfg || alive.includes(r)) continue;
      delete this.#running[r];
      this.#failed(cfg, 'it did not start with the table');
    }
  }

  /** Roles waiting for a start retry (for `-L --daemon` notes and tests). */
  pendingStarts(): SyncRole[] {
    return [...this.#pending.keys()];
  }

  /** Stops listening and retrying (the daemons themselves stop with the instance's INIT transition). */
  stop(): void {
    if (this.#subscribed) vrrpTransitionChannel.unsubscribe(this.#listener);
    this.#subscribed = false;
    this.#pending.clear();
    this.#disarm();
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
    for (const r of ROLES) {
      const p = this.#pending.get(r);
      if (p && !(want[r] && sameSyncDaemon(p.cfg, want[r]))) this.#pending.delete(r);
    }
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
    const err = this.#run({ op: 'start-daemon', daemon: cfg });
    if (err?.errno === 'EEXIST') {
      // Started by hand (lvsadm --start-daemon) with other settings: an operator's choice, kept.
      this.#pending.delete(cfg.state);
      this.opts.log?.('warn', `lvs_sync_daemon: start-daemon failed: ${err.message}`, { errno: err.errno });
    } else if (err === undefined) {
      this.#running[cfg.state] = cfg;
      this.#runningFor = this.instance;
      const p = this.#pending.get(cfg.state);
      this.#pending.delete(cfg.state);
      if (p)
        this.opts.log?.('info', `lvs_sync_daemon: ${cfg.state} started after ${p.attempts + 1} attempts`, {
          mcastIfn: cfg.mcastInterface,
        });
    } else {
      this.#failed(cfg, err.message);
    }
  }

  // Records a failed start and arms the retry; logs only the first failure and a changed reason.
  #failed(cfg: SyncDaemonConfig, reason: string): void {
    const p = this.#pending.get(cfg.state);
    if (p && sameSyncDaemon(p.cfg, cfg)) {
      p.attempts++;
      if (p.lastError !== reason) {
        p.lastError = reason;
        this.opts.log?.('warn', `lvs_sync_daemon: ${cfg.state} still not started: ${reason}`);
      }
    } else {
      this.#pending.set(cfg.state, { cfg, attempts: 1, lastError: reason });
      this.opts.log?.(
        'warn',
        `lvs_sync_daemon: ${cfg.state} not started (${reason}); trying again every ${SYNC_START_RETRY_MS / 1000} s`,
        { mcastIfn: cfg.mcastInterface },
      );
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#retryTimer !== undefined || this.#pending.size === 0) return;
    const clock = this.opts.clock ?? systemClock;
    this.#retryTimer = clock.setTimer(() => {
      this.#retryTimer = undefined;
      for (const p of [...this.#pending.values()]) this.#start(p.cfg);
      this.#arm();
    }, SYNC_START_RETRY_MS);
  }

  #disarm(): void {
    if (this.#retryTimer === undefined) return;
    (this.opts.clock ?? systemClock).clearTimer(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #stop(state: SyncRole): void {
    this.#pending.delete(state);
    this.#run({ op: 'stop-daemon', state });
    delete this.#running[state];
  }

  // ipvs_syncd_cmd() logs a failure and goes on; so does this (a stop of a stopped role is ESRCH,
  // what was wanted). Undefined on success, else the failure; a start's is left to the caller.
  #run(cmd: Command): { errno?: string; message: string } | undefined {
    try {
      this.opts.apply(cmd);
      return undefined;
    } catch (e) {
      const errno = (e as { errno?: string }).errno;
      if (cmd.op === 'stop-daemon' && errno === 'ESRCH') return undefined;
      const message = (e as Error).message;
      if (cmd.op !== 'start-daemon')
        this.opts.log?.('warn', `lvs_sync_daemon: ${cmd.op} failed: ${message}`, { errno });
      return { errno, message };
    }
  }
}
