/**
 * The live dashboard lvsd serves at `/` with `--http`: static files (plain ES modules, CSS, no
 * build step) shipped in the package under `assets/dashboard/`, read once and kept in memory. The
 * page reads the API and follows /api/events; it holds no secrets (the bearer token for drain and
 * undrain is typed in by the operator and kept in the browser's sessionStorage).
 *
 * Every answer carries a strict Content-Security-Policy (W3C CSP Level 3): scripts, styles and
 * fetches from this origin only, no inline script or style, no frames, no forms, no plugins; plus
 * `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. Files are revalidated on
 * every load (`Cache-Control: no-cache` with a strong ETag, RFC 9111 §5.2.2.4, RFC 9110 §8.8.3),
 * so an upgraded lvsd never runs against a cached older page.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { HttpError } from './http-errors.js';
import type { HttpRoute } from './http-route.js';

/** The policy every dashboard answer carries. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The files of the page and their content types; nothing else is served. */
export const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'model.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
};

/** Where the files are: `assets/dashboard/` at the package root (src/ and dist/ sit at the same depth). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../assets/dashboard/', import.meta.url));

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function load(dir: string, name: string, type: string): Asset | undefined {
  let body: Buffer;
  try {
    body = readFileSync(`${dir}${name}`);
  } catch {
    return undefined;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type, etag };
}

function serve(req: IncomingMessage, res: ServerResponse, a: Asset): void {
  const headers = {
    'content-type': a.type,
    'cache-control': 'no-cache',
    etag: a.etag,
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': a.body.length });
  res.end(a.body);
}

/**
 * `GET /` (the page) and `GET /dashboard/NAME` (its scripts and style). The files are read when
 * the routes are made; a package without them answers a coded 404 instead of failing lvsd.
 */
export function dashboardRoutes(dir = DASHBOARD_DIR): HttpRoute[] {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(DASHBOARD_FILES)) {
    const a = load(dir, name, type);
    if (a) assets.set(name, a);
  }
  const missing = (name: string) =>
    new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', `dashboard file ${name} is not installed`);
  return [
    {
      method: 'GET',
      path: '/',
      write: false,
      handle(req, res) {
        const a = assets.get('index.html');
        if (!a) throw missing('index.html');
        serve(req, res, a);
      },
    },
    {
      method: 'GET',
      path: '/dashboard/*',
      write: false,
      handle(req, res) {
        const name = new URL(req.url ?? '/', 'http://lvsd').pathname.slice('/dashboard/'.length);
        // Only the listed names: no path ever reaches the file system from a request.
        const a = Object.hasOwn(DASHBOARD_FILES, name) ? assets.get(name) : undefined;
        if (!a) throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', `no dashboard file ${name.slice(0, 80)}`);
        serve(req, res, a);
      },
    },
  ];
}
