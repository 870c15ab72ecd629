/**
 * One running lvsd: the director, its control socket and its timers, started and stopped as a
 * unit. programs/lvsd/main.ts parses arguments and handles signals; everything with a lifetime
 * lives here.
 */
import type { Logger } from 'pino';
import { apply, type Change } from '../control/apply.js';
import type { Command } from '../control/commands.js';
import type { AvailabilityView, HealthView } from '../control/health-views.js';
import type { DataPlaneHandle, DirectorPort } from '../control/ports.js';
import type { StatusView } from '../control/protocol.js';
import { serviceKeyText } from '../core/types.js';
import { type ControlDeps, handleLine } from './control-handler.js';
import { type ControlServer, startControlServer } from './control-server.js';
import { createDirectorPort } from './director-port.js';

/** Settings of one daemon instance. */
export interface DaemonConfig {
  readonly socket: string;
  readonly connTabBits: number;
  readonly tickMs: number;
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
  /** Stops timers, the socket (removing its file) and the data plane. Idempotent. */
  close(): Promise<void>;
}

/** lvsd's own version, reported by `{q:'status'}`. */
export const LVSD_VERSION = '0.1.0';

/** Starts a daemon. Rejects (with a coded error) when the socket is taken or restore fails. */
export async function startDaemon(cfg: DaemonConfig): Promise<Daemon> {
  const log = cfg.logger;
  const director = createDirectorPort(cfg.connTabBits);
  const started = Date.now();
  cfg.initial?.(director, started);
  const plane = cfg.dataplane ? await cfg.dataplane(director) : undefined;

  const deps: ControlDeps = {
    target: director,
    connTabSize: director.connTabSize,
    timeouts: () => director.timeouts(),
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
    }),
    ...(cfg.health
      ? { health: () => cfg.health?.health(), availability: () => cfg.health?.availability() }
      : {}),
    refuse: (cmd) => plane?.refuse?.(cmd),
    onChanges(cmd, changes) {
      log.info(
        { op: cmd.op, ...('service' in cmd && cmd.service ? { service: serviceKeyText(cmd.service) } : {}) },
        'applied',
      );
      try {
        plane?.onChanges(cmd, changes);
      } catch (e) {
        log.warn({ err: e }, 'data plane could not follow the change');
      }
    },
  };

  let server: ControlServer;
  try {
    server = await startControlServer(cfg.socket, (line) => handleLine(deps, line));
  } catch (e) {
    await plane?.close();
    throw e;
  }
  // The estimator samples every 2 s (ip_vs_est.c); ticking faster keeps expiry timely.
  const timer = setInterval(() => {
    try {
      director.tick(Date.now());
    } catch (e) {
      log.error({ err: e }, 'tick failed');
    }
  }, cfg.tickMs);

  let closing: Promise<void> | undefined;
  return {
    director,
    socket: cfg.socket,
    apply(cmd) {
      const changes = apply(director, cmd, Date.now());
      deps.onChanges?.(cmd, changes);
      return changes;
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await server.close();
        await plane?.close();
      })();
      return closing;
    },
  };
}
