/**
 * Builds the HTTP API's view of a running lvsd (ApiDeps) from the Daemon, its logger and its data
 * plane, so programs/lvsd/main.ts wires `--http` in a few lines.
 */
import type { Logger } from 'pino';
import type { Daemon } from '../daemon.js';
import type { ApiDeps } from './api-context.js';

/** ApiDeps of `daemon`; `plane()` is the running data plane (its status() holds its counters). */
export function daemonApiDeps(daemon: Daemon, log: Logger, plane: () => object | undefined): ApiDeps {
  return {
    handle: (request, origin) => daemon.handle(request, origin),
    dataplaneCounters: () => {
      // The packet plane keeps frame, drop and ring counters (PacketPlaneStatus); the proxy none.
      const p = plane() as { status?: () => unknown } | undefined;
      return typeof p?.status === 'function' ? p.status() : undefined;
    },
    logLevel: () => log.level,
    setLogLevel: (level) => {
      const previous = log.level;
      log.level = level;
      log.info({ to: level, from: previous, via: 'http' }, 'log level changed');
    },
    source: daemon.director,
  };
}
