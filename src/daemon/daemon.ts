/**
 * One running lvsd: the director, its control socket and its timers, started and stopped as a
 * unit. programs/lvsd/main.ts parses arguments and handles signals; everything with a lifetime
 * lives here.
 */

import type { Logger } from 'pino';
import { apply, type Change } from '../control/apply.js';
import {
  dataplaneFaultChannel,
  defenseChannel,
  type TableChangeOrigin,
  tableChangeChannel,
} from '../control/channels.js';
import type { Command, Query } from '../control/commands.js';
import type { AvailabilityView, HealthView } from '../control/health-views.js';
import type { DataPlaneHandle, DirectorPort } from '../control/ports.js';
import type {
  DefenseStatus,
  QueryResult,
  Request,
  Response,
  StatusView,
  SyncRoleStatus,
} from '../control/protocol.js';
import type { VrrpView } from '../control/vrrp-views.js';
import { defenseNames } from '../core/defense.js';
import { LVS_TS_VERSION } from '../core/version.js';
import { type MemorySource, procMemorySource } from '../io/host/memory-source.js';
import { answerQuery, type ControlDeps, handleDecoded, handleLine } from './control-handler.js';
import { type ControlServer, startControlServer } from './control-server.js';
import type { BgpControl } from './director-port.js';
import { createDirectorPort, type SyncServiceFactory } from './director-port.js';
import { subscribeLogger } from './log-subscriber.js';
import { ServeWatch } from './serve-watch.js';
import type { SyncService } from './sync/sync-service.js';

/** Settings of one daemon instance. */
export interface DaemonConfig {
  readonly socket: string;
  readonly connTabBits: number;
  /** `--ftp-ports`: the FTP helper's ports (ConnApp.setPorts); absent or empty: no helper. */
  readonly ftpPorts?: readonly number[];
  readonly tickMs: number;
  /**
   * Subscribed to the instrumentation channels (control/channels.ts) from start to close: it
   * writes the table changes, health transitions, faults and reloads of this process.
   */
  readonly logger: Logger;
  /** Builds the data plane once the director exists; omitted means table only (tests). */
  readonly dataplane?: (director: DirectorPort) => Promise<DataPlaneHandle> | DataPlaneHandle;
  /** Commands applied before the socket opens (from --restore or the demo). */
  readonly initial?: (director: DirectorPort, now: number) => void;
  /** Health views for `lvsadm --health`/`--availability` (from `--config`); undefined = none. */
  readonly health?: {
    health(): HealthView | undefined;
    availability(): AvailabilityView | undefined;
  };
  /** VRRP view for `lvsadm --vrrp` (from `--config`); undefined = no instance runs. */
  readonly vrrp?: () => VrrpView | undefined;
  /** Builds the sync daemons (`--start-daemon`); omitted means EOPNOTSUPP for them. */
  readonly sync?: SyncServiceFactory;
  /** Where the defense timer reads available memory (default /proc/meminfo). */
  readonly memory?: MemorySource;
  /** Period of the defense timer in ms (default 1000, the kernel's DEFENSE_TIMER_PERIOD). */
  readonly defenseMs?: number;
  /** `--bgp`: the announcer's view and drain (daemon/bgp); omitted means ERR_LVS_NO_BGP. */
  readonly bgp?: BgpControl;
}

/** A running daemon. */
export interface Daemon {
  readonly director: DirectorPort;
  readonly socket: string;
  /**
   * Applies one command from inside the daemon (health transitions, config reloads) through
   * control/apply, logged and followed by the data plane exactly like a socket command. Throws
   * the table's coded error when the command is refused.
   */
  apply(cmd: Command): readonly Change[];
  /**
   * Answers one validated request exactly as the control socket does (refusal, apply, channel,
   * data plane, views): how the HTTP API reaches the table, so there is one path. Never throws.
   */
  handle(request: Request, origin: TableChangeOrigin): Response;
  /**
   * Answers one query exactly as the control socket does (`lvsadm -L`, `--status`, `--health`,
   * ...), for in-process readers such as /metrics. Throws the same coded errors.
   */
  query(q: Query): QueryResult;
  /** Stops timers, the socket (removing its file) and the data plane. Idempotent. */
  close(): Promise<void>;
}

/** lvsd's own version, reported by `{q:'status'}`: LVS.ts's (core/version.ts). */
export const LVSD_VERSION = LVS_TS_VERSION;

/** Starts a daemon. Rejects (with a coded error) when the socket is taken or restore fails. */
export async function startDaemon(cfg: DaemonConfig): Promise<Daemon> {
  // Before anything publishes: the initial table and the plane's start report on the channels.
  // lvsd runs one daemon per process, so its logger takes every message.
  const unsubscribe = subscribeLogger(cfg.logger);
  const director = createDirectorPort(cfg.connTabBits, cfg.sync, cfg.bgp);
  if (cfg.ftpPorts) director.director.conns.app.setPorts(cfg.ftpPorts);
  const started = Date.now();
  let plane: DataPlaneHandle | undefined;
  try {
    cfg.initial?.(director, started);
    plane = cfg.dataplane ? await cfg.dataplane(director) : undefined;
    // A sync master daemon started meanwhile (a VRRP instance already MASTER) attaches now.
    director.bindPlane(plane);
  } catch (e) {
    director.sync?.close();
    unsubscribe();
    throw e;
  }

  // The log says what --status says: every unserved rule at load, then each change.
  const watch = plane
    ? new ServeWatch({ status: () => plane?.vipStatus() ?? [], source: director })
    : undefined;
  const deps: ControlDeps = {
    target: director,
    connTabSize: director.connTabSize,
    timeouts: () => director.timeouts(),
    sysctls: () => director.director.settings.sysctls(),
    daemons: () => director.daemons(),
    conns: (now) => director.conns(now),
    now: () => Date.now(),
    status: (now): StatusView => ({
      version: LVSD_VERSION,
      pid: process.pid,
      uptimeMs: now - started,
      dataplane: plane?.name ?? 'none',
      connTabSize: director.connTabSize,
      services: director.table.size,
      vips: plane?.vipStatus() ?? [],
      totals: director.director.stats.view(),
      ...(plane?.counters ? { plane: plane.counters() } : {}),
      sync: syncStatus(director.sync),
      defense: defenseStatus(),
    }),
    ...(cfg.health
      ? { health: () => cfg.health?.health(), availability: () => cfg.health?.availability() }
      : {}),
    ...(cfg.vrrp ? { vrrp: cfg.vrrp } : {}),
    ...(cfg.bgp ? { bgp: () => (cfg.bgp as BgpControl).view() } : {}),
    refuse: (cmd) => plane?.refuse?.(cmd),
    beforeRead: () => plane?.beforeRead?.(),
    onChanges(cmd, changes) {
      try {
        plane?.onChanges(cmd, changes);
        watch?.changed();
      } catch (e) {
        if (dataplaneFaultChannel.hasSubscribers)
          dataplaneFaultChannel.publish({
            source: director,
            plane: plane?.name === 'proxy' ? 'proxy' : 'packet',
            code: 'plane-follow-failed',
            err: e,
          });
      }
    },
  };

  let server: ControlServer;
  try {
    server = await startControlServer(cfg.socket, (line) => handleLine(deps, line));
  } catch (e) {
    director.sync?.close();
    await plane?.close();
    unsubscribe();
    throw e;
  }
  plane?.logStarted?.();
  watch?.start();
  // The estimator samples every 2 s (ip_vs_est.c); ticking faster keeps expiry timely.
  const timer = setInterval(() => {
    try {
      director.tick(Date.now());
    } catch (e) {
      if (dataplaneFaultChannel.hasSubscribers)
        dataplaneFaultChannel.publish({ source: director, plane: 'director', code: 'tick-failed', err: e });
    }
  }, cfg.tickMs);

  // defense_work_handler(): once a second, memory against amemthresh, then drop_entry's sweep.
  const memory = cfg.memory ?? procMemorySource();
  const core = director.director;
  let availableKiB: number | undefined;
  let activeMask = 0;
  const names = (mask: number): string[] => {
    const n = defenseNames(mask);
    return n === '' ? [] : n.split(',');
  };
  const defenseTimer = setInterval(() => {
    try {
      availableKiB = memory.availableKiB();
      const mask = core.defenseTick(Date.now(), availableKiB);
      if (mask !== activeMask && defenseChannel.hasSubscribers)
        defenseChannel.publish({
          source: director,
          active: names(mask),
          previous: names(activeMask),
          availableKiB,
          amemthresh: core.settings.get('amemthresh'),
        });
      activeMask = mask;
    } catch (e) {
      if (dataplaneFaultChannel.hasSubscribers)
        dataplaneFaultChannel.publish({ source: director, plane: 'director', code: 'tick-failed', err: e });
    }
  }, cfg.defenseMs ?? 1000);
  function defenseStatus(): DefenseStatus {
    const d = core.defense;
    return {
      active: names(activeMask),
      ...(availableKiB !== undefined ? { availableKiB } : {}),
      conns: core.conns.count,
      connMax: core.settings.connMax,
      droppedPackets: d.droppedPackets,
      droppedEntries: d.droppedEntries,
      refusedConnMax: d.refusedConnMax,
      evictedConnMax: d.evictedConnMax,
    };
  }

  let closing: Promise<void> | undefined;
  return {
    director,
    socket: cfg.socket,
    apply(cmd) {
      const now = Date.now();
      const changes = apply(director, cmd, now);
      if (tableChangeChannel.hasSubscribers)
        tableChangeChannel.publish({ source: director, origin: 'daemon', cmd, changes, at: now });
      deps.onChanges?.(cmd, changes);
      return changes;
    },
    handle: (request, origin) => handleDecoded(deps, request, origin),
    query: (q) => answerQuery(deps, q, deps.now()),
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        clearInterval(defenseTimer);
        watch?.stop();
        director.sync?.close();
        await server.close();
        await plane?.close();
        unsubscribe();
      })();
      return closing;
    },
  };
}

/** The counters of each running sync daemon role, master first. */
function syncStatus(sync: SyncService | undefined): SyncRoleStatus[] {
  const out: SyncRoleStatus[] = [];
  for (const state of ['master', 'backup'] as const) {
    const c = sync?.counters(state);
    if (c) out.push({ state, datagrams: c.datagrams, queueDrops: c.queueDrops, errors: c.errors });
  }
  return out;
}
