/**
 * lvsd's HTTP server (`lvsd --http ADDR:PORT`), on node:http with no framework. It owns what
 * every route shares: dispatch on method and path, the bearer token for writes (and for reads
 * when bound beyond loopback), and the limits — header and request timeouts, concurrent
 * connections, header size. Routes (the API, /metrics, the dashboard) are a list of HttpRoute;
 * more can be added while it runs. Every failure is answered as a coded JSON error, never a stack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpError, sendError } from './http-errors.js';
import type { HttpRoute } from './http-route.js';
import { bearerMatches, checkExposure, isLoopback } from './http-token.js';

/** Limits of the server; every one has a default. */
export interface HttpLimits {
  /** Concurrent connections (SSE streams included); more are refused at accept. */
  readonly maxConnections: number;
  /** Time to receive the request headers, ms (slowloris). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, ms. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this, ms. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request header block, bytes. */
  readonly maxHeaderBytes: number;
}

/** The default limits. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
};

/** How to start the server. */
export interface HttpServerOptions {
  /** An IP literal; a non-loopback one needs `token` (checked at start). */
  readonly host: string;
  /** 0 picks a free port (tests); address() tells which. */
  readonly port: number;
  /** The bearer token writes need; undefined = writes refused (403). */
  readonly token?: string;
  readonly routes?: readonly HttpRoute[];
  readonly limits?: Partial<HttpLimits>;
}

/** A running HTTP server. */
export interface HttpServer {
  /** The bound address and port. */
  address(): { readonly host: string; readonly port: number };
  /** Adds routes (metrics, the dashboard); a later route never shadows an earlier one. */
  addRoutes(routes: readonly HttpRoute[]): void;
  /** Stops accepting, ends open connections (SSE streams too) and resolves once closed. */
  close(): Promise<void>;
}

function matches(route: HttpRoute, path: string): boolean {
  if (route.path.endsWith('/*')) {
    const base = route.path.slice(0, -2);
    return path.startsWith(`${base}/`) && path.length > base.length + 1;
  }
  return route.path === path;
}

/** The path of a request URL without its query string, or undefined when unparsable. */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  try {
    return new URL(url, 'http://lvsd').pathname;
  } catch {
    return undefined;
  }
}

/** Finds the route for a request, or throws the coded 404/405. */
export function findRoute(routes: readonly HttpRoute[], method: string, path: string): HttpRoute {
  const onPath = routes.filter((r) => matches(r, path));
  if (onPath.length === 0) throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', `no resource at ${path}`);
  // Exact paths win over `/*` ones (GET /api/services before GET /api/services/*).
  const exact = onPath.find((r) => r.method === method && !r.path.endsWith('/*'));
  const route = exact ?? onPath.find((r) => r.method === method);
  if (!route) {
    const allow = [...new Set(onPath.map((r) => r.method))].join(', ');
    throw new HttpError(405, 'ERR_LVS_HTTP_METHOD', `${method} not allowed on ${path} (allowed: ${allow})`);
  }
  return route;
}

/** Starts the server; rejects (with the listen error or a coded HttpStartError) when it cannot. */
export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  checkExposure(opts.host, opts.token);
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...opts.limits };
  const routes: HttpRoute[] = [...(opts.routes ?? [])];
  // Reads are open on loopback only; beyond it the token guards them too.
  const readsNeedToken = !isLoopback(opts.host);
  const token = opts.token;

  const authorize = (route: HttpRoute, req: IncomingMessage): void => {
    if (!route.write && !readsNeedToken) return;
    if (token === undefined) {
      throw new HttpError(
        403,
        'ERR_LVS_HTTP_WRITES_DISABLED',
        'writes are disabled: start lvsd with --http-token-file to allow them',
      );
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      throw new HttpError(401, 'ERR_LVS_HTTP_UNAUTHORIZED', 'missing or wrong bearer token');
    }
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const path = requestPath(req.url);
      if (path === undefined) throw new HttpError(400, 'ERR_LVS_HTTP_BAD_PATH', 'malformed request target');
      const route = findRoute(routes, req.method ?? '', path);
      authorize(route, req);
      await route.handle(req, res);
    } catch (e) {
      sendError(res, e);
    }
  };

  const server: Server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s would make them coarse).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    (req, res) => {
      void dispatch(req, res);
    },
  );
  server.maxConnections = limits.maxConnections;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A malformed request line or oversized headers: a coded 400/431, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooBig = err.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = tooBig ? 431 : timedOut ? 408 : 400;
    const body = JSON.stringify({
      code: tooBig ? 'ERR_LVS_HTTP_TOO_LARGE' : timedOut ? 'ERR_LVS_HTTP_TIMEOUT' : 'ERR_LVS_HTTP_MALFORMED',
      message: tooBig ? 'request headers too large' : timedOut ? 'request timed out' : 'malformed request',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooBig ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    address() {
      const a = server.address();
      return typeof a === 'object' && a !== null
        ? { host: a.address, port: a.port }
        : { host: opts.host, port: opts.port };
    },
    addRoutes(more) {
      routes.push(...more);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const r of routes) r.close?.();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
