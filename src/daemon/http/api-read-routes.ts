/**
 * The read side of lvsd's HTTP API: every answer is a Query lvsadm also asks (control/protocol.ts),
 * served as JSON with each service and real server given its URL id (api-ids.ts). Connections are
 * paged and filtered here, on the `-Lc` listing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestView, ServiceView } from '../../control/views.js';
import { canonicalIp } from '../../core/addr.js';
import type { ServiceKey } from '../../core/types.js';
import { LOG_LEVELS } from '../logger.js';
import { type ApiDeps, ask } from './api-context.js';
import { destId, parseDestId, parseServiceId, serviceId } from './api-ids.js';
import { HttpError, sendJson } from './http-errors.js';
import type { HttpRoute } from './http-route.js';

/** A real server as the API shows it: the view plus its id. */
export type ApiDest = DestView & { readonly id: string };
/** A virtual service as the API shows it: the view plus its id, its real servers with theirs. */
export type ApiService = Omit<ServiceView, 'dests'> & {
  readonly id: string;
  readonly dests: readonly ApiDest[];
};

/** The API form of a service view. */
export function apiService(s: ServiceView): ApiService {
  return { id: serviceId(s.key), ...s, dests: s.dests.map((d) => ({ id: destId(d), ...d })) };
}

/** Default and largest page of /api/connections. */
export const CONN_PAGE = { default: 100, max: 1000 } as const;

function url(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://lvsd');
}

/** Path segments after `prefix` (`/api/services/ID/dests/ID` → [ID, 'dests', ID]). */
export function restSegments(req: IncomingMessage, prefix: string): string[] {
  return url(req)
    .pathname.slice(prefix.length)
    .split('/')
    .filter((s) => s !== '');
}

/** The one service `key`, or the coded 404 lvsadm would print as "No such service". */
export function findService(deps: ApiDeps, key: ServiceKey): ApiService {
  const snap = ask(deps, { q: 'list', service: key }).snapshot;
  const s = snap.services[0];
  if (!s) throw new HttpError(404, 'ERR_LVS_NO_SERVICE', 'no such service');
  return apiService(s);
}

function intParam(u: URL, name: string, min: number, max: number, dflt: number): number {
  const v = u.searchParams.get(name);
  if (v === null) return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', `${name}: expected an integer in ${min}..${max}`);
  return Number(v);
}

/** GET /api/connections: one page of `-Lc`, filtered by service, client, real server and state. */
function connections(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): void {
  const u = url(req);
  const known = new Set(['limit', 'cursor', 'offset', 'service', 'client', 'dest', 'state']);
  for (const k of u.searchParams.keys())
    if (!known.has(k)) throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', `${k}: unknown query parameter`);
  const limit = intParam(u, 'limit', 1, CONN_PAGE.max, CONN_PAGE.default);
  // The cursor is the offset of the next page (opaque to clients; `offset` is the same number).
  const offset = intParam(u, u.searchParams.has('cursor') ? 'cursor' : 'offset', 0, 999_999_999, 0);
  // The ids parse as in paths; a bad one here is a bad query parameter.
  const param = <T>(name: string, parse: (s: string) => T): T | undefined => {
    const v = u.searchParams.get(name);
    if (v === null) return undefined;
    try {
      return parse(encodeURIComponent(v));
    } catch (e) {
      throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', e instanceof Error ? e.message : String(e));
    }
  };
  const svc = param('service', parseServiceId);
  const client = param('client', (s): { addr: string; port?: number } => {
    const addr = canonicalIp(decodeURIComponent(s));
    return addr ? { addr } : parseDestId(s);
  });
  const dest = param('dest', parseDestId);
  const state = u.searchParams.get('state')?.toUpperCase();
  const all = ask(deps, { q: 'list', conns: true }).snapshot.conns ?? [];
  const hits = all.filter(
    (c) =>
      (svc === undefined ||
        (svc.kind === 'fwmark'
          ? c.fwmark === svc.fwmark && c.af === svc.af
          : c.protocol === svc.protocol && c.vaddr === svc.addr && c.vport === svc.port)) &&
      (client === undefined ||
        (c.caddr === client.addr && (client.port === undefined || c.cport === client.port))) &&
      (dest === undefined || (c.daddr === dest.addr && c.dport === dest.port)) &&
      (state === undefined || c.state === state),
  );
  const page = hits.slice(offset, offset + limit);
  const next = offset + page.length < hits.length ? { next: String(offset + page.length) } : {};
  sendJson(res, 200, { total: hits.length, offset, limit, ...next, connections: page });
}

/**
 * What the dashboard redraws every 2 s: each service's and real server's weight, connections and
 * rates (GET /api/stats/live, and the `stats` event of /api/events?stats=1). Counters stay out to
 * keep the frame small at a few hundred real servers; /api/stats has them.
 */
export function liveStats(deps: ApiDeps, now = Date.now()): unknown {
  return {
    at: now,
    services: ask(deps, { q: 'list' }).snapshot.services.map((s) => {
      let active = 0;
      let inact = 0;
      const dests = s.dests.map((d) => {
        active += d.activeConns;
        inact += d.inactConns;
        return {
          id: destId(d),
          weight: d.weight,
          activeConns: d.activeConns,
          inactConns: d.inactConns,
          rates: d.rates,
        };
      });
      return { id: serviceId(s.key), activeConns: active, inactConns: inact, rates: s.rates, dests };
    }),
  };
}

/** The read routes. */
export function readRoutes(deps: ApiDeps): HttpRoute[] {
  const get = (path: string, handle: HttpRoute['handle']): HttpRoute => ({
    method: 'GET',
    path,
    write: false,
    handle,
  });
  const json =
    (f: (req: IncomingMessage) => unknown): HttpRoute['handle'] =>
    (req, res) =>
      sendJson(res, 200, f(req));
  return [
    get(
      '/api/status',
      json(() => ask(deps, { q: 'status' }).status),
    ),
    get(
      '/api/services',
      json(() => ({ services: ask(deps, { q: 'list' }).snapshot.services.map(apiService) })),
    ),
    get(
      '/api/services/*',
      json((req) => {
        const [sid, sub, did, ...more] = restSegments(req, '/api/services/');
        const svc = findService(deps, parseServiceId(sid ?? ''));
        if (sub === undefined && more.length === 0) return svc;
        if (sub !== 'dests' || more.length > 0)
          throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', 'no such resource under the service');
        if (did === undefined) return { dests: svc.dests };
        const key = parseDestId(did);
        const d = svc.dests.find((x) => x.addr === key.addr && x.port === key.port);
        if (!d) throw new HttpError(404, 'ERR_LVS_NO_DEST', 'no such destination');
        return d;
      }),
    ),
    get('/api/connections', (req, res) => connections(deps, req, res)),
    get(
      '/api/stats',
      json(() => ({
        services: ask(deps, { q: 'list' }).snapshot.services.map((s) => ({
          id: serviceId(s.key),
          stats: s.stats,
          rates: s.rates,
          dests: s.dests.map((d) => ({ id: destId(d), stats: d.stats, rates: d.rates })),
        })),
      })),
    ),
    get(
      '/api/stats/live',
      json(() => liveStats(deps)),
    ),
    get(
      '/api/health',
      json(() => ask(deps, { q: 'health' }).health),
    ),
    get(
      '/api/availability',
      json(() => ask(deps, { q: 'availability' }).availability),
    ),
    get(
      '/api/vrrp',
      json(() => ask(deps, { q: 'vrrp' }).vrrp),
    ),
    get(
      '/api/bgp',
      json(() => ask(deps, { q: 'bgp' }).bgp),
    ),
    get(
      '/api/sync',
      json(() => ({ daemons: ask(deps, { q: 'daemons' }).daemons })),
    ),
    get(
      '/api/dataplane',
      json(() => {
        const st = ask(deps, { q: 'status' }).status;
        const counters = deps.dataplaneCounters?.();
        return { dataplane: st.dataplane, vips: st.vips, ...(counters !== undefined ? { counters } : {}) };
      }),
    ),
    get(
      '/api/settings',
      json(() => ({
        timeouts: ask(deps, { q: 'timeouts' }).timeouts,
        // The `sysctls` query lvsadm --sysctl sends, so the API and lvsadm say the same thing.
        sysctls: ask(deps, { q: 'sysctls' }).sysctls,
        logLevel: deps.logLevel(),
      })),
    ),
    get(
      '/api/log-level',
      json(() => ({ level: deps.logLevel(), levels: LOG_LEVELS })),
    ),
  ];
}
