/**
 * The OpenAPI 3.1 document of lvsd's HTTP API, served at `/api/openapi.json`. Schemas are JSON
 * Schema 2020-12 as OpenAPI 3.1 uses it; the tests check every endpoint's real responses against
 * them, so this document and the routes cannot drift apart silently.
 */
import { LVS_TS_VERSION } from '../../core/version.js';
import type { HttpRoute } from './http-route.js';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
/** Health figures that are NaN before any observation cross JSON as null. */
const numOrNull: Schema = { type: ['number', 'null'] };
const obj = (
  properties: Record<string, Schema>,
  required = Object.keys(properties),
  extra = false,
): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: extra,
});
const arr = (items: Schema): Schema => ({ type: 'array', items });

const counters = { conns: num, inpkts: num, outpkts: num, inbytes: num, outbytes: num };
const rates = { cps: num, inpps: num, outpps: num, inbps: num, outbps: num };

const schemas: Record<string, Schema> = {
  Error: obj({ code: str, message: str }),
  ServiceKey: {
    oneOf: [
      obj({
        kind: { const: 'addr' },
        af: { enum: [4, 6] },
        protocol: { enum: [6, 17, 132] },
        addr: str,
        port: int,
      }),
      obj({ kind: { const: 'fwmark' }, af: { enum: [4, 6] }, fwmark: int }),
    ],
  },
  ServiceConfig: obj({ scheduler: str, flags: int, timeout: int, netmask: str, pe: str, mhTableSize: int }, [
    'scheduler',
    'flags',
    'timeout',
    'netmask',
    'pe',
  ]),
  Stats: obj(counters),
  Rates: obj(rates),
  Dest: obj(
    {
      id: str,
      addr: str,
      port: int,
      af: { enum: [4, 6] },
      fwd: { enum: [0, 1, 2, 3, 4, 5] },
      weight: int,
      uThreshold: int,
      lThreshold: int,
      tunType: int,
      tunPort: int,
      tunFlags: int,
      proxyProtocol: { enum: [0, 1, 2] },
      activeConns: int,
      inactConns: int,
      persistConns: int,
      stats: ref('Stats'),
      rates: ref('Rates'),
    },
    [
      'id',
      'addr',
      'port',
      'af',
      'fwd',
      'weight',
      'uThreshold',
      'lThreshold',
      'tunType',
      'tunPort',
      'tunFlags',
      'activeConns',
      'inactConns',
      'persistConns',
      'stats',
      'rates',
    ],
  ),
  Service: obj(
    {
      id: str,
      key: ref('ServiceKey'),
      config: ref('ServiceConfig'),
      stats: ref('Stats'),
      rates: ref('Rates'),
      dests: arr(ref('Dest')),
      laddrs: arr(str),
    },
    ['id', 'key', 'config', 'stats', 'rates', 'dests'],
  ),
  Services: obj({ services: arr(ref('Service')) }),
  Dests: obj({ dests: arr(ref('Dest')) }),
  Connection: obj(
    {
      protocol: int,
      af: { enum: [4, 6] },
      caddr: str,
      cport: int,
      vaddr: str,
      vport: int,
      daddr: str,
      dport: int,
      state: str,
      expiresMs: num,
      flags: int,
      fwmark: int,
      template: bool,
      peName: str,
      peData: str,
    },
    [
      'protocol',
      'af',
      'caddr',
      'cport',
      'vaddr',
      'vport',
      'daddr',
      'dport',
      'state',
      'expiresMs',
      'flags',
      'fwmark',
      'template',
    ],
  ),
  Connections: obj({ total: int, offset: int, limit: int, next: str, connections: arr(ref('Connection')) }, [
    'total',
    'offset',
    'limit',
    'connections',
  ]),
  VipStatus: obj(
    {
      service: str,
      serving: bool,
      reason: str,
      dests: arr(obj({ dest: str, serving: bool, reason: str }, ['dest', 'serving'])),
    },
    ['service', 'serving'],
  ),
  Status: obj({
    version: str,
    pid: int,
    uptimeMs: num,
    dataplane: str,
    connTabSize: int,
    services: int,
    vips: arr(ref('VipStatus')),
  }),
  StatsList: obj({
    services: arr(
      obj({
        id: str,
        stats: ref('Stats'),
        rates: ref('Rates'),
        dests: arr(obj({ id: str, stats: ref('Stats'), rates: ref('Rates') })),
      }),
    ),
  }),
  Checker: obj(
    {
      type: str,
      up: bool,
      since: numOrNull,
      last: obj({ ok: bool, message: str, durationMs: num, at: num }),
      nextAt: numOrNull,
    },
    ['type', 'up', 'since', 'nextAt'],
  ),
  Health: obj({
    now: num,
    services: arr(
      obj(
        {
          id: str,
          quorumUp: bool,
          since: numOrNull,
          weightSum: num,
          quorum: num,
          hysteresis: num,
          sorry: obj({ addr: str, port: int, active: bool }),
          reals: arr(
            obj({
              addr: str,
              port: int,
              up: bool,
              since: numOrNull,
              weight: int,
              configuredWeight: int,
              message: str,
              checkers: arr(ref('Checker')),
            }),
          ),
        },
        ['id', 'quorumUp', 'since', 'weightSum', 'quorum', 'hysteresis', 'reals'],
      ),
    ),
  }),
  AvailabilityRow: obj({
    subject: str,
    up: bool,
    since: numOrNull,
    observedMs: numOrNull,
    upMs: numOrNull,
    downMs: numOrNull,
    failures: num,
    uptimePct: numOrNull,
    mtbfMs: numOrNull,
    mttrMs: numOrNull,
    availability: numOrNull,
  }),
  Availability: obj({
    now: num,
    services: arr(obj({ service: ref('AvailabilityRow'), reals: arr(ref('AvailabilityRow')) })),
  }),
  Vrrp: obj({
    now: num,
    instances: arr({
      type: 'object',
      required: ['name', 'vrid', 'state', 'basePriority', 'effectivePriority', 'vips'],
      properties: {
        name: str,
        vrid: int,
        state: str,
        basePriority: int,
        effectivePriority: int,
        vips: arr(str),
      },
    }),
  }),
  Sync: obj({
    daemons: arr(
      obj({
        state: { enum: ['master', 'backup'] },
        mcastInterface: str,
        syncId: int,
        syncMaxLen: int,
        mcastGroup: str,
        mcastPort: int,
        mcastTtl: int,
      }),
    ),
  }),
  Dataplane: obj({ dataplane: str, vips: arr(ref('VipStatus')), counters: { type: 'object' } }, [
    'dataplane',
    'vips',
  ]),
  Settings: obj({
    timeouts: obj({ tcp: num, tcpfin: num, udp: num }),
    sysctls: { type: 'object', additionalProperties: int },
    logLevel: str,
  }),
  LogLevel: obj({ level: str, levels: arr(str) }),
  LogLevelChanged: obj({ level: str, previous: str }),
  Changes: obj({ changes: arr({ type: 'object', required: ['kind'], properties: { kind: str } }) }),
  DrainResult: obj({
    changes: arr({ type: 'object', required: ['kind'] }),
    weight: int,
    previousWeight: int,
  }),
};

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
        summary: 'Server-Sent Events: table, health and vrrp',
        responses: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: str } } },
        },
      },
    },
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
