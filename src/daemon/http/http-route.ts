/**
 * One route of lvsd's HTTP server (`lvsd --http`): the API, /metrics and the dashboard each
 * contribute routes; the server dispatches on method and path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A route: its method, its path (no query string) and its handler. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path without the query string, e.g. `/metrics`; a trailing `/*` also matches any rest. */
  readonly path: string;
  /** Whether the route changes state (then the server requires the bearer token). */
  readonly write: boolean;
  /** Answers one request; the server has already checked method, path and token. */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Releases what the route holds (timers, channel subscriptions); called when the server closes. */
  close?(): void;
}
