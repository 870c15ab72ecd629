/**
 * The sync daemons of one director: `--start-daemon master|backup`, `--stop-daemon` and
 * `-L --daemon`, as net/netfilter/ipvs/ip_vs_sync.c start_sync_thread() / stop_sync_thread() run
 * them. Each role opens one socket per sync thread (sync_ports, fixed while any role runs) on
 * group:port+id. The master takes each thread's finished messages from the protocol's queue
 * (the SyncOutbox, bounded by sync_qlen_max) and sends one at a time per socket as
 * sync_thread_master() does; every second (IPVS_SYNC_CHECK_PERIOD) it lets the protocol finish
 * the partly filled messages that are 2 seconds old (IPVS_SYNC_FLUSH_TIME). The backup hands
 * every datagram to the protocol. Timers come from a Clock, sockets from a SyncTransport, conn
 * logic from a SyncProtocol: all injected.
 */
import type { SyncDaemonConfig } from '../../control/commands.js';
import type { DaemonView } from '../../control/views.js';
import { type Errno, LvsError } from '../../core/errors.js';
import { type Clock, systemClock } from '../../health/runner.js';
import { SYNC_FLUSH_TIME_MS } from '../../sync/sync-outbox.js';
import {
  SYNC_PORTS_MAX,
  type SyncEndpoint,
  type SyncReceiver,
  type SyncSender,
  type SyncTransport,
} from '../../sync/sync-transport.js';
import { type ResolvedSyncDaemon, resolveSyncDaemon } from './sync-config.js';
import type { SyncBackupSide, SyncMasterSide, SyncProtocol } from './sync-protocol.js';

/** IPVS_SYNC_FLUSH_TIME: a partly filled message is sent once it is 2 s old. */
export const SYNC_FLUSH_MS = SYNC_FLUSH_TIME_MS;
/**
 * IPVS_SYNC_CHECK_PERIOD (HZ): how often the master looks for such a message, so one waits
 * between 2 and 3 seconds.
 */
export const SYNC_CHECK_MS = 1000;

/** The sysctls the daemons read (net.ipv4.vs.*); undefined means the kernel's default. */
export type SyncSysctlName = 'sync_ports' | 'sync_qlen_max' | 'sync_sock_size' | 'sync_version';

// The defaults when the director does not know a sysctl: ip_vs_ctl.c sets sync_ports 1,
// sync_sock_size 0, sync_version 1; sync_qlen_max is nr_free_buffer_pages() / 32 in the kernel,
// a fixed count here so runs are reproducible.
const DEFAULTS: Record<SyncSysctlName, number> = {
  sync_ports: 1,
  sync_qlen_max: 8192,
  sync_sock_size: 0,
  sync_version: 1,
};

/** Log sink for socket errors and role changes. */
export type SyncLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of a {@link SyncService}. */
export interface SyncServiceOptions {
  readonly transport: SyncTransport;
  readonly protocol: SyncProtocol;
  readonly clock?: Clock;
  readonly sysctl?: (name: SyncSysctlName) => number | undefined;
  readonly log?: SyncLog;
}

/** Counters of one role since it started, for logs and tests. */
export interface SyncRoleCounters {
  /** Master: datagrams the socket took; backup: datagrams received. */
  datagrams: number;
  /** Master: messages dropped because the thread's queue held sync_qlen_max (the protocol's queue). */
  queueDrops: number;
  /** Socket errors (send failures, asynchronous socket errors). */
  errors: number;
}

interface MasterRun {
  readonly cfg: ResolvedSyncDaemon;
  readonly senders: SyncSender[];
  readonly busy: boolean[];
  readonly counters: SyncRoleCounters;
  side: SyncMasterSide | undefined;
  timer: unknown;
}

interface BackupRun {
  readonly cfg: ResolvedSyncDaemon;
  readonly receivers: SyncReceiver[];
  readonly counters: SyncRoleCounters;
  side: SyncBackupSide | undefined;
}

const OPEN_ERRNO: Readonly<Record<string, Errno>> = {
  ENODEV: 'ENODEV',
  EPERM: 'EPERM',
  EACCES: 'EPERM',
  ENOMEM: 'ENOMEM',
  ENOBUFS: 'ENOMEM',
};

/** A socket setup failure as the errno start_sync_thread() would return (EINVAL for the rest). */
function openError(role: string, e: unknown): LvsError {
  const code = (e as { code?: unknown }).code;
  const errno = (typeof code === 'string' && OPEN_ERRNO[code]) || 'EINVAL';
  const msg = e instanceof Error ? e.message : String(e);
  return new LvsError('ERR_LVS_SYNC_SOCKET', `sync ${role}: cannot open socket: ${msg}`, errno);
}

/** The master and backup sync daemons of one director. */
export class SyncService {
  readonly #clock: Clock;
  #threads = 0;
  #master: MasterRun | undefined;
  #backup: BackupRun | undefined;

  constructor(private readonly opts: SyncServiceOptions) {
    this.#clock = opts.clock ?? systemClock;
  }

  /**
   * Starts one role. Throws LvsError with the kernel's errno: EINVAL (group not multicast, bad
   * interface name), ENODEV (no such interface), EEXIST (the role runs already), or the socket's
   * error; a failed start leaves nothing open.
   */
  start(req: SyncDaemonConfig): void {
    const t = this.opts.transport;
    // ip_vs_genl_new_daemon() checks the group before start_sync_thread() looks the device up.
    resolveSyncDaemon(req, 1500);
    const mtu = t.interfaceMtu(req.mcastInterface);
    if (mtu === undefined)
      throw new LvsError('ERR_LVS_NO_DEVICE', `unknown mcast interface: ${req.mcastInterface}`, 'ENODEV');
    const cfg = resolveSyncDaemon(req, mtu);
    if (cfg.state === 'master' ? this.#master : this.#backup)
      throw new LvsError('ERR_LVS_DAEMON_RUNNING', `${cfg.state} sync daemon already runs`, 'EEXIST');
    const threads = this.#threads || Math.min(Math.max(this.#sysctl('sync_ports'), 1), SYNC_PORTS_MAX);
    const sockSize = this.#sysctl('sync_sock_size');
    const ep = (id: number): SyncEndpoint => ({
      ifname: cfg.ifname,
      af: cfg.af,
      group: cfg.group,
      port: cfg.port + id,
      ttl: cfg.ttl,
      sockSize,
      maxLen: cfg.maxLen,
    });
    const roleCfg = {
      syncId: cfg.syncId,
      maxLen: cfg.maxLen,
      version: this.#sysctl('sync_version') === 0 ? (0 as const) : (1 as const),
      threads,
    };
    if (cfg.state === 'master') this.#startMaster(cfg, threads, ep, roleCfg);
    else this.#startBackup(cfg, threads, ep, roleCfg);
    this.#threads = threads;
    this.opts.log?.('info', `sync thread started: state = ${cfg.state.toUpperCase()}`, {
      mcastIfn: cfg.ifname,
      syncId: cfg.syncId,
      threads,
    });
  }

  /** Stops one role; throws LvsError ESRCH when it does not run. */
  stop(state: 'master' | 'backup'): void {
    if (state === 'master') {
      const m = this.#master;
      if (!m) throw new LvsError('ERR_LVS_DAEMON_NOT_RUNNING', 'no master sync daemon runs', 'ESRCH');
      this.#master = undefined;
      this.#closeMaster(m);
    } else {
      const b = this.#backup;
      if (!b) throw new LvsError('ERR_LVS_DAEMON_NOT_RUNNING', 'no backup sync daemon runs', 'ESRCH');
      this.#backup = undefined;
      b.side?.close();
      for (const r of b.receivers) r.close();
    }
    if (!this.#master && !this.#backup) this.#threads = 0;
    this.opts.log?.('info', `stopping ${state} sync thread`);
  }

  /** Stops whatever runs (lvsd shutting down). */
  close(): void {
    if (this.#master) this.stop('master');
    if (this.#backup) this.stop('backup');
  }

  /** `-L --daemon`: the running roles, master first, with the settings the kernel reports. */
  daemons(): DaemonView[] {
    const out: DaemonView[] = [];
    for (const r of [this.#master, this.#backup]) {
      if (!r) continue;
      const c = r.cfg;
      out.push({
        state: c.state,
        mcastInterface: c.ifname,
        syncId: c.syncId,
        syncMaxLen: c.maxLen,
        mcastGroup: c.group,
        mcastPort: c.port,
        mcastTtl: c.ttl,
      });
    }
    return out;
  }

  /** Counters of a running role, or undefined. */
  counters(state: 'master' | 'backup'): Readonly<SyncRoleCounters> | undefined {
    if (state === 'backup') return this.#backup?.counters;
    const m = this.#master;
    return m && { ...m.counters, queueDrops: m.side?.queueDrops() ?? 0 };
  }

  /** Messages waiting in the master's queues (not yet handed to a socket). */
  queued(): number {
    return this.#master?.side?.queued() ?? 0;
  }

  #sysctl(name: SyncSysctlName): number {
    return this.opts.sysctl?.(name) ?? DEFAULTS[name];
  }

  #startMaster(
    cfg: ResolvedSyncDaemon,
    threads: number,
    ep: (id: number) => SyncEndpoint,
    roleCfg: Parameters<SyncProtocol['startMaster']>[0],
  ): void {
    const counters: SyncRoleCounters = { datagrams: 0, queueDrops: 0, errors: 0 };
    const run: MasterRun = {
      cfg,
      senders: [],
      busy: new Array<boolean>(threads).fill(false),
      counters,
      side: undefined,
      timer: undefined,
    };
    try {
      for (let id = 0; id < threads; id++)
        run.senders.push(
          this.opts.transport.openSender(ep(id), (e) => this.#socketError(run.counters, 'master', e)),
        );
    } catch (e) {
      for (const s of run.senders) s.close();
      throw openError('master', e);
    }
    this.#master = run;
    run.side = this.opts.protocol.startMaster(roleCfg, {
      ready: (thread) => this.#pump(run, thread),
      now: () => this.#clock.now(),
      qlenMax: () => this.#sysctl('sync_qlen_max'),
    });
    this.#armFlush(run);
  }

  #startBackup(
    cfg: ResolvedSyncDaemon,
    threads: number,
    ep: (id: number) => SyncEndpoint,
    roleCfg: Parameters<SyncProtocol['startBackup']>[0],
  ): void {
    const run: BackupRun = {
      cfg,
      receivers: [],
      counters: { datagrams: 0, queueDrops: 0, errors: 0 },
      side: undefined,
    };
    const onDatagram = (data: Uint8Array) => {
      if (this.#backup !== run) return;
      run.counters.datagrams++;
      run.side?.onDatagram(data, this.#clock.now());
    };
    try {
      for (let id = 0; id < threads; id++)
        run.receivers.push(
          this.opts.transport.openReceiver(
            ep(id),
            (d) => onDatagram(d.data),
            (e) => this.#socketError(run.counters, 'backup', e),
          ),
        );
    } catch (e) {
      for (const r of run.receivers) r.close();
      throw openError('backup', e);
    }
    run.side = this.opts.protocol.startBackup(roleCfg);
    this.#backup = run;
  }

  #closeMaster(m: MasterRun): void {
    if (m.timer !== undefined) this.#clock.clearTimer(m.timer);
    // stop_sync_thread(): the queued messages are released unsent (the protocol's close does).
    m.side?.close();
    for (const s of m.senders) s.close();
  }

  #armFlush(m: MasterRun): void {
    m.timer = this.#clock.setTimer(() => {
      if (this.#master !== m) return;
      m.side?.flush(this.#clock.now());
      this.#armFlush(m);
    }, SYNC_CHECK_MS);
  }

  // sync_thread_master(): one message at a time per socket, the next once the socket took it.
  #pump(m: MasterRun, thread: number): void {
    const id = thread >= 0 && thread < m.senders.length ? thread : 0;
    const sender = m.senders[id]!;
    while (!m.busy[id] && this.#master === m) {
      const d = m.side?.next(id);
      if (!d) return;
      m.busy[id] = true;
      let inCall = true;
      let doneInCall = false;
      sender.send(d, (err) => {
        m.busy[id] = false;
        if (err) m.counters.errors++;
        else m.counters.datagrams++;
        if (inCall) doneInCall = true;
        else this.#pump(m, id);
      });
      inCall = false;
      if (!doneInCall) return;
    }
  }

  #socketError(c: SyncRoleCounters, role: string, e: Error): void {
    c.errors++;
    this.opts.log?.('error', `sync ${role} socket error: ${e.message}`, {
      code: (e as { code?: unknown }).code,
    });
  }
}
