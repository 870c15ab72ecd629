/**
 * `lvsd --http ADDR:PORT`: checks the listen address and token file before the daemon starts
 * (so a bad token file stops lvsd with one coded line), then serves the API routes and any
 * routes the caller adds (metrics, the dashboard) on one node:http server.
 */
import type { ApiDeps } from './api-context.js';
import { eventRoutes } from './api-events.js';
import { openapiRoute } from './api-openapi.js';
import { liveStats, readRoutes } from './api-read-routes.js';
import { writeRoutes } from './api-write-routes.js';
import type { HttpRoute } from './http-route.js';
import { type HttpLimits, type HttpServer, startHttpServer } from './http-server.js';
import { checkExposure, readTokenFile } from './http-token.js';

/** Where and how to serve, as `--http` and `--http-token-file` give it. */
export interface HttpListen {
  readonly host: string;
  readonly port: number;
  readonly tokenFile?: string;
}

/** A checked `--http`: the address and the token read from the file. */
export interface PreparedHttp {
  readonly host: string;
  readonly port: number;
  readonly token?: string;
}

/** Reads the token file and checks the exposure rules; throws HttpStartError (coded) when refused. */
export function prepareHttp(l: HttpListen): PreparedHttp {
  const token = l.tokenFile === undefined ? undefined : readTokenFile(l.tokenFile);
  checkExposure(l.host, token);
  return { host: l.host, port: l.port, ...(token !== undefined ? { token } : {}) };
}

/** Every API route: reads, writes, the event stream (and recent events) and the OpenAPI document. */
export function apiRoutes(deps: ApiDeps): HttpRoute[] {
  const events = eventRoutes({
    ...(deps.source !== undefined ? { source: deps.source } : {}),
    stats: () => liveStats(deps),
  });
  return [...readRoutes(deps), ...writeRoutes(deps), ...events, openapiRoute()];
}

/** Starts the HTTP server with the API routes plus `extra` (metrics, dashboard). */
export function startHttpApi(
  p: PreparedHttp,
  deps: ApiDeps,
  extra: readonly HttpRoute[] = [],
  limits?: Partial<HttpLimits>,
): Promise<HttpServer> {
  return startHttpServer({
    host: p.host,
    port: p.port,
    ...(p.token !== undefined ? { token: p.token } : {}),
    routes: [...apiRoutes(deps), ...extra],
    ...(limits ? { limits } : {}),
  });
}
