/**
 * Test rig for lvsd's HTTP API: an in-process daemon (table only, optional health and VRRP views)
 * with the API served on 127.0.0.1 at a free port, and a small client that returns status,
 * headers and the parsed body.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AvailabilityView, HealthView } from '../../src/control/health-views.js';
import type { VrrpView } from '../../src/control/vrrp-views.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import type { BgpControl } from '../../src/daemon/director-port.js';
import { daemonApiDeps } from '../../src/daemon/http/daemon-api-deps.js';
import { startHttpApi } from '../../src/daemon/http/http-api.js';
import type { HttpLimits, HttpServer } from '../../src/daemon/http/http-server.js';

/** The token the rig's server accepts. */
export const TOKEN = 'rig-token-0123456789abcdef';

/** A response as tests see it. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** A running daemon with its HTTP API. */
export interface Rig {
  readonly daemon: Daemon;
  readonly http: HttpServer;
  readonly port: number;
  /** Log lines the daemon wrote. */
  readonly logs: Array<Record<string, unknown>>;
  /** Sends one request; `token` true sends the rig's token, a string sends that one. */
  req(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string; token?: boolean | string; headers?: Record<string, string> },
  ): Promise<Reply>;
  close(): Promise<void>;
}

/** Options of the rig. */
export interface RigOptions {
  readonly token?: string | null;
  readonly health?: { health(): HealthView | undefined; availability(): AvailabilityView | undefined };
  readonly vrrp?: () => VrrpView | undefined;
  /** `lvsd --bgp` stand-in for GET /api/bgp. */
  readonly bgp?: BgpControl;
  readonly limits?: Partial<HttpLimits>;
}

/** Sends a request to 127.0.0.1:`port`. */
export function send(
  port: number,
  method: string,
  path: string,
  opts: { raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on('error', reject);
    if (opts.raw !== undefined) r.end(opts.raw);
    else r.end();
  });
}

/** Starts the rig. */
export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-http-'));
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => logs.push(JSON.parse(s)) });
  const daemon = await startDaemon({
    socket: join(dir, 'lvsd.sock'),
    connTabBits: 8,
    tickMs: 1000,
    logger,
    ...(o.health ? { health: o.health } : {}),
    ...(o.vrrp ? { vrrp: o.vrrp } : {}),
    ...(o.bgp ? { bgp: o.bgp } : {}),
  });
  const token = o.token === null ? undefined : (o.token ?? TOKEN);
  const http = await startHttpApi(
    { host: '127.0.0.1', port: 0, ...(token !== undefined ? { token } : {}) },
    daemonApiDeps(daemon, logger, () => undefined),
    [],
    o.limits,
  );
  const port = http.address().port;
  return {
    daemon,
    http,
    port,
    logs,
    req(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token === true) headers.authorization = `Bearer ${TOKEN}`;
      else if (typeof opts.token === 'string') headers.authorization = opts.token;
      const raw = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      if (raw !== undefined) {
        headers['content-type'] ??= 'application/json';
        // GET and DELETE bodies are not chunked by Node's client: give their length.
        headers['content-length'] = String(Buffer.byteLength(raw));
      }
      return send(port, method, path, { ...(raw !== undefined ? { raw } : {}), headers });
    },
    async close() {
      await http.close();
      await daemon.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
