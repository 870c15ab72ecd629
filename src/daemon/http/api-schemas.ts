/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the HTTP API's bodies and answers,
 * the `components.schemas` of api-openapi.ts, and the small builders both files use.
 */

/** A JSON Schema object. */
export type Schema = Record<string, unknown>;
/** A reference to a component schema. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** An integer. */
export const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
/** A string. */
export const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
/** Health figures that are NaN before any observation cross JSON as null. */
const numOrNull: Schema = { type: ['number', 'null'] };
/** A closed object: `properties`, all required unless `required` says otherwise. */
export const obj = (
  properties: Record<string, Schema>,
  required = Object.keys(properties),
  extra = false,
): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: extra,
});
/** An array of `items`. */
export const arr = (items: Schema): Schema => ({ type: 'array', items });

const counters = { conns: num, inpkts: num, outpkts: num, inbytes: num, outbytes: num };
const rates = { cps: num, inpps: num, outpps: num, inbps: num, outbps: num };

/** The component schemas. */
export const SCHEMAS: Record<string, Schema> = {
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
  Status: obj(
    {
      version: str,
      pid: int,
      uptimeMs: num,
      dataplane: str,
      connTabSize: int,
      services: int,
      vips: arr(ref('VipStatus')),
      // The global totals (the kernel's tot_stats), the plane's own counters and each running
      // sync role's, as /metrics reads them.
      totals: ref('Stats'),
      plane: { type: 'object' },
      sync: arr(
        obj({
          state: { type: 'string', enum: ['master', 'backup'] },
          datagrams: int,
          queueDrops: int,
          errors: int,
        }),
      ),
      // The connection-table defenses (core/defense.ts): in force now, and what they refused.
      defense: obj(
        {
          active: arr(str),
          availableKiB: int,
          conns: int,
          connMax: int,
          droppedPackets: int,
          droppedEntries: int,
          refusedConnMax: int,
          evictedConnMax: int,
        },
        ['active', 'conns', 'connMax', 'droppedPackets', 'droppedEntries', 'refusedConnMax'],
      ),
    },
    ['version', 'pid', 'uptimeMs', 'dataplane', 'connTabSize', 'services', 'vips'],
  ),
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
  LiveStats: obj({
    at: num,
    services: arr(
      obj({
        id: str,
        activeConns: num,
        inactConns: num,
        rates: ref('Rates'),
        dests: arr(obj({ id: str, weight: int, activeConns: num, inactConns: num, rates: ref('Rates') })),
      }),
    ),
  }),
  RecentEvents: obj({
    last: int,
    events: arr(
      obj({
        id: int,
        type: { enum: ['table', 'health', 'vrrp'] },
        data: { type: 'object' },
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
  Bgp: obj(
    {
      now: num,
      include: str,
      socket: str,
      protocols: arr(str),
      vips: arr(
        obj({ prefix: str, announce: bool, reason: str, services: arr(str) }, [
          'prefix',
          'announce',
          'services',
        ]),
      ),
      drainedAll: bool,
      drained: arr(str),
      announced: arr(str),
      configuredAt: numOrNull,
      pending: bool,
      error: obj({ code: str, message: str, since: num }),
      bird: arr(obj({ name: str, proto: str, table: str, state: str, since: str, info: str })),
      birdAt: numOrNull,
    },
    [
      'now',
      'include',
      'socket',
      'protocols',
      'vips',
      'drainedAll',
      'drained',
      'announced',
      'configuredAt',
      'pending',
      'bird',
      'birdAt',
    ],
  ),
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
