/**
 * The OpenAPI 3.1 document of lvsd's HTTP API, served at `/api/openapi.json`. Schemas are JSON
 * Schema 2020-12 as OpenAPI 3.1 uses it; the tests check every endpoint's real responses against
 * them, so this document and the routes cannot drift apart silently.
 */
import { LVS_TS_VERSION } from '../../core/version.js';
import { int, obj, ref, type Schema, SCHEMAS as schemas, str } from './api-schemas.js';
import type { HttpRoute } from './http-route.js';

const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'a coded error', ...json(ref('Error')) }]));
const read = (summary: string, schema: string, extra: Record<string, unknown> = {}) => ({
  get: {
    summary,
    responses: { 200: { description: 'OK', ...json(ref(schema)) }, ...errors(400, 401, 404) },
    ...extra,
  },
});
const write = (summary: string, ok: string, body?: Schema, status = 200) => ({
  summary,
  security: [{ bearer: [] }],
  ...(body ? { requestBody: { required: true, ...json(body) } } : {}),
  responses: {
    [status]: { description: 'applied', ...json(ref(ok)) },
    ...errors(400, 401, 403, 404, 409, 413, 501),
  },
});
const svcParam = {
  name: 'service',
  in: 'path',
  required: true,
  schema: str,
  description: 'tcp:ADDR:PORT, udp:…, sctp:…, fwm:MARK or fwm6:MARK',
};
const destParam = {
  name: 'dest',
  in: 'path',
  required: true,
  schema: str,
  description: 'ADDR:PORT or [ADDR]:PORT',
};
const q = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  schema: str,
  description,
});

/** The document. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'lvsd HTTP API',
    version: LVS_TS_VERSION,
    description:
      'Reads are open on loopback; writes (and reads on other addresses) need `Authorization: Bearer TOKEN` from --http-token-file. Errors are {code, message}; table errors map ipvsadm errno to status (EEXIST 409, ESRCH/ENOENT 404, EINVAL 400, EOPNOTSUPP 501).',
  },
  components: {
    schemas,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
  paths: {
    '/api/status': read('daemon status (lvsadm --status)', 'Status'),
    '/api/services': {
      ...read(
        'virtual services with their real servers, counters and rates (lvsadm -Ln --stats --rate)',
        'Services',
      ),
      post: write(
        'add a virtual service (-A); config fields default as ipvsadm',
        'Changes',
        obj({ service: { oneOf: [ref('ServiceKey'), str] }, config: { type: 'object' } }, ['service']),
        201,
      ),
    },
    '/api/services/{service}': {
      parameters: [svcParam],
      ...read('one virtual service', 'Service'),
      put: write('edit a virtual service (-E); fields left out keep their values', 'Changes', {
        type: 'object',
      }),
      delete: write('delete a virtual service (-D)', 'Changes'),
    },
    '/api/services/{service}/dests': {
      parameters: [svcParam],
      ...read('the real servers of a service', 'Dests'),
      post: write(
        'add a real server (-a); fields default as ipvsadm (-g, weight 1)',
        'Changes',
        { type: 'object', required: ['addr', 'port'] },
        201,
      ),
    },
    '/api/services/{service}/dests/{dest}': {
      parameters: [svcParam, destParam],
      ...read('one real server', 'Dest'),
      put: write('edit a real server (-e); fields left out keep their values', 'Changes', { type: 'object' }),
      delete: write('delete a real server (-d)', 'Changes'),
    },
    '/api/services/{service}/dests/{dest}/drain': {
      parameters: [svcParam, destParam],
      post: write('weight 0, remembering the weight', 'DrainResult'),
    },
    '/api/services/{service}/dests/{dest}/undrain': {
      parameters: [svcParam, destParam],
      post: write(
        'back to the remembered (or configured, or given) weight',
        'DrainResult',
        obj({ weight: int }, []),
      ),
    },
    '/api/connections': read('connection table (lvsadm -Lnc), paged and filtered', 'Connections', {
      parameters: [
        q('limit', `page size, 1..1000 (default 100)`),
        q('cursor', 'the `next` of the previous page'),
        q('offset', 'start at this entry'),
        q('service', 'a service id'),
        q('client', 'client ADDR or ADDR:PORT'),
        q('dest', 'real server ADDR:PORT'),
        q('state', 'e.g. ESTABLISHED'),
      ],
    }),
    '/api/stats': read('counters and rates per service and real server', 'StatsList'),
    '/api/health': read(
      'health per real server, with the last check and its reason (lvsadm --health)',
      'Health',
    ),
    '/api/availability': read('uptime, MTBF, MTTR, availability (lvsadm --availability)', 'Availability'),
    '/api/vrrp': read('VRRP instances (lvsadm --vrrp)', 'Vrrp'),
    '/api/bgp': read('VIPs announced through BIRD, and its BGP sessions (lvsadm --bgp)', 'Bgp'),
    '/api/sync': read('sync daemons (lvsadm -L --daemon)', 'Sync'),
    '/api/dataplane': read('data-plane status and counters', 'Dataplane'),
    '/api/settings': read('timeouts, sysctls and log level', 'Settings'),
    '/api/log-level': {
      ...read('the log level', 'LogLevel'),
      put: write('change the log level', 'LogLevelChanged', obj({ level: str })),
    },
    '/api/commands': {
      post: write('apply any Command (the control protocol’s JSON)', 'Changes', {
        type: 'object',
        required: ['op'],
      }),
    },
    '/api/sysctls': { post: write('set a sysctl (set-sysctl)', 'Changes', obj({ name: str, value: int })) },
    '/api/timeouts': {
      put: write(
        '--set tcp tcpfin udp (0 keeps a value)',
        'Changes',
        obj({ tcp: int, tcpfin: int, udp: int }, []),
      ),
    },
    '/api/zero': {
      post: write('zero counters (-Z), of one service when given', 'Changes', obj({ service: {} }, [])),
    },
    '/api/events': {
      get: {
        summary:
          'Server-Sent Events: table, health and vrrp; with stats=1 also a stats event (LiveStats) every 2 s',
        parameters: [q('stats', '1: also send a `stats` event (LiveStats as data) at once and every 2 s')],
        responses: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: str } } },
          ...errors(400, 404, 503),
        },
      },
    },
    '/api/events/recent': read(
      'the last 500 events of the stream (kept since the server started), after an event id',
      'RecentEvents',
      { parameters: [q('after', 'only events with a larger id')] },
    ),
    '/api/stats/live': read(
      'what a stats event carries: each service and real server, its weight, connections and rates',
      'LiveStats',
    ),
    '/api/openapi.json': {
      get: {
        summary: 'this document',
        responses: { 200: { description: 'OK', ...json({ type: 'object' }) } },
      },
    },
  },
} as const;

/** GET /api/openapi.json. */
export function openapiRoute(): HttpRoute {
  const text = JSON.stringify(OPENAPI_DOCUMENT);
  return {
    method: 'GET',
    path: '/api/openapi.json',
    write: false,
    handle(_req, res) {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    },
  };
}
