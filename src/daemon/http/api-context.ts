/**
 * What the HTTP API needs from the running lvsd, and the two helpers every route uses: `ask`
 * sends a Query and `run` a Command through the daemon's one request path (the same handler
 * lvsadm's control socket uses, daemon/control-handler.ts), so the API cannot drift from lvsadm.
 */
import type { Change } from '../../control/apply.js';
import type { Command, Query } from '../../control/commands.js';
import type { QueryResult, Request, Response } from '../../control/protocol.js';
import { LvsError } from '../../core/errors.js';
import type { LogLevel } from '../logger.js';

/** The running lvsd as the API sees it (programs/lvsd/main.ts builds it from the Daemon). */
export interface ApiDeps {
  /** Daemon.handle: one validated request, answered as the control socket answers it. */
  handle(request: Request, origin: 'http'): Response;
  /**
   * The data plane's own counters (the packet plane's frames and drops by reason), or undefined
   * when the plane keeps none.
   */
  dataplaneCounters?(): unknown;
  /** The logger's level now, and a change to it. */
  logLevel(): string;
  setLogLevel(level: LogLevel): void;
  /** The table-change source (the daemon's director) whose changes /api/events streams. */
  readonly source?: object;
}

let nextId = 1;

function unwrap(r: Response): Response & { ok: true } {
  if (r.ok) return r;
  throw new LvsError(r.error.code, r.error.message, r.error.errno);
}

/** Answers a query through the daemon, or throws its coded error. */
export function ask<Q extends Query['q']>(deps: ApiDeps, query: Query & { q: Q }): QueryResult & { q: Q } {
  const r = unwrap(deps.handle({ v: 1, id: nextId++, query }, 'http'));
  return (r as { result: QueryResult }).result as QueryResult & { q: Q };
}

/** Applies a command through the daemon, or throws its coded error; returns what changed. */
export function run(deps: ApiDeps, command: Command): readonly Change[] {
  const r = unwrap(deps.handle({ v: 1, id: nextId++, command }, 'http'));
  return (r as { changes: readonly Change[] }).changes;
}
