/**
 * The OpenAPI document of lvsd's HTTP API against the real responses: every documented operation
 * is called on a running daemon, and each answer must match the schema documented for its status.
 * Every route the server dispatches must be documented too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPENAPI_DOCUMENT } from '../../src/daemon/http/api-openapi.js';
import { apiRoutes } from '../../src/daemon/http/http-api.js';
import { checkSchema } from '../helpers/json-schema.js';
import { availabilityView, bgpView, healthView, vrrpView } from './http-fixtures.js';
import { type Rig, startRig } from './http-rig.js';

type Op = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
const doc = OPENAPI_DOCUMENT as unknown as {
  paths: Record<string, Record<string, Op>>;
} & Record<string, unknown>;

const SVC = 'tcp:192.0.2.10:80';
const DEST = '198.51.100.1:80';

/** One call per documented operation, in an order that leaves the next call something to act on. */
const CALLS: ReadonlyArray<{ path: string; method: string; url: string; body?: unknown }> = [
  {
    path: '/api/services',
    method: 'post',
    url: '/api/services',
    body: { service: SVC, config: { scheduler: 'rr' } },
  },
  {
    path: '/api/services/{service}/dests',
    method: 'post',
    url: `/api/services/${SVC}/dests`,
    body: { addr: '198.51.100.1', port: 80, fwd: 'masq', weight: 3 },
  },
  { path: '/api/status', method: 'get', url: '/api/status' },
  { path: '/api/services', method: 'get', url: '/api/services' },
  { path: '/api/services/{service}', method: 'get', url: `/api/services/${SVC}` },
  { path: '/api/services/{service}/dests', method: 'get', url: `/api/services/${SVC}/dests` },
  { path: '/api/services/{service}/dests/{dest}', method: 'get', url: `/api/services/${SVC}/dests/${DEST}` },
  {
    path: '/api/connections',
    method: 'get',
    url: `/api/connections?limit=10&service=${SVC}&state=established`,
  },
  { path: '/api/stats', method: 'get', url: '/api/stats' },
  { path: '/api/stats/live', method: 'get', url: '/api/stats/live' },
  { path: '/api/events/recent', method: 'get', url: '/api/events/recent?after=0' },
  { path: '/api/health', method: 'get', url: '/api/health' },
  { path: '/api/availability', method: 'get', url: '/api/availability' },
  { path: '/api/vrrp', method: 'get', url: '/api/vrrp' },
  { path: '/api/sync', method: 'get', url: '/api/sync' },
  { path: '/api/bgp', method: 'get', url: '/api/bgp' },
  { path: '/api/dataplane', method: 'get', url: '/api/dataplane' },
  { path: '/api/settings', method: 'get', url: '/api/settings' },
  { path: '/api/log-level', method: 'get', url: '/api/log-level' },
  { path: '/api/log-level', method: 'put', url: '/api/log-level', body: { level: 'info' } },
  { path: '/api/openapi.json', method: 'get', url: '/api/openapi.json' },
  { path: '/api/services/{service}', method: 'put', url: `/api/services/${SVC}`, body: { scheduler: 'wlc' } },
  {
    path: '/api/services/{service}/dests/{dest}',
    method: 'put',
    url: `/api/services/${SVC}/dests/${DEST}`,
    body: { weight: 4 },
  },
  {
    path: '/api/services/{service}/dests/{dest}/drain',
    method: 'post',
    url: `/api/services/${SVC}/dests/${DEST}/drain`,
  },
  {
    path: '/api/services/{service}/dests/{dest}/undrain',
    method: 'post',
    url: `/api/services/${SVC}/dests/${DEST}/undrain`,
  },
  {
    path: '/api/sysctls',
    method: 'post',
    url: '/api/sysctls',
    body: { name: 'expire_nodest_conn', value: 1 },
  },
  { path: '/api/timeouts', method: 'put', url: '/api/timeouts', body: { tcp: 600 } },
  { path: '/api/zero', method: 'post', url: '/api/zero', body: { service: SVC } },
  { path: '/api/commands', method: 'post', url: '/api/commands', body: { op: 'zero' } },
  {
    path: '/api/services/{service}/dests/{dest}',
    method: 'delete',
    url: `/api/services/${SVC}/dests/${DEST}`,
  },
  { path: '/api/services/{service}', method: 'delete', url: `/api/services/${SVC}` },
];

describe('OpenAPI document of the HTTP API', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      health: { health: healthView, availability: availabilityView },
      vrrp: vrrpView,
      bgp: { view: bgpView, drain: () => {} },
    });
  });
  after(() => rig.close());

  it('is OpenAPI 3.1 with a response schema for each operation', () => {
    assert.equal(doc.openapi, '3.1.0');
    // The checker catches what it must: an extra field, a wrong type, a missing field.
    const dest = { $ref: '#/components/schemas/Stats' };
    const good = { conns: 1, inpkts: 2, outpkts: 3, inbytes: 4, outbytes: 5 };
    assert.deepEqual(checkSchema(good, dest, doc), []);
    assert.equal(checkSchema({ ...good, extra: 1 }, dest, doc).length, 1);
    assert.equal(checkSchema({ ...good, conns: 'x' }, dest, doc).length, 1);
    assert.equal(checkSchema({ conns: 1 }, dest, doc).length, 4);
    for (const [p, item] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(item)) {
        if (m === 'parameters') continue;
        assert.ok(op.responses['200'] ?? op.responses['201'], `${m} ${p} documents its success`);
      }
  });

  it('documents every route the server dispatches', () => {
    const routes = apiRoutes({
      handle: () => {
        throw new Error('unused');
      },
      logLevel: () => 'info',
      setLogLevel: () => {},
    });
    const docPath = (p: string) =>
      p.endsWith('/*') ? Object.keys(doc.paths).filter((d) => d.startsWith(p.slice(0, -1))) : [p];
    for (const r of routes) {
      const ps = docPath(r.path);
      assert.ok(
        ps.some((p) => doc.paths[p]?.[r.method.toLowerCase()] !== undefined),
        `${r.method} ${r.path} is documented`,
      );
    }
  });

  it('every documented operation answers as documented on a running lvsd (events aside)', async () => {
    const covered = new Set<string>();
    for (const c of CALLS) {
      const res = await rig.req(c.method.toUpperCase(), c.url, {
        token: c.method !== 'get',
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      const op = doc.paths[c.path]?.[c.method];
      assert.ok(op, `${c.method} ${c.path} documented`);
      assert.ok(res.status === 200 || res.status === 201, `${c.method} ${c.url}: ${res.status} ${res.text}`);
      const schema = op.responses[String(res.status)]?.content?.['application/json']?.schema;
      assert.ok(schema, `${c.method} ${c.path} documents status ${res.status}`);
      assert.deepEqual(checkSchema(res.json, schema, doc), [], `${c.method} ${c.url}`);
      covered.add(`${c.method} ${c.path}`);
    }
    const all = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => m !== 'parameters')
        .map((m) => `${m} ${p}`),
    );
    assert.deepEqual(
      all.filter((k) => !covered.has(k)),
      ['get /api/events'],
      'every operation but the event stream was exercised (the stream has its own test)',
    );
  });

  it('coded errors match the documented Error schema', async () => {
    const errorSchema = { $ref: '#/components/schemas/Error' };
    const cases: Array<[string, string, unknown, number]> = [
      ['GET', '/api/services/tcp:192.0.2.99:80', undefined, 404],
      ['POST', '/api/commands', { op: 'nope' }, 400],
      [
        'POST',
        '/api/commands',
        { op: 'start-daemon', daemon: { state: 'master', mcastInterface: 'lo', syncId: 1 } },
        501,
      ],
    ];
    for (const [m, url, body, status] of cases) {
      const r = await rig.req(m, url, { token: true, ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, status, `${m} ${url}: ${r.text}`);
      assert.deepEqual(checkSchema(r.json, errorSchema, doc), []);
    }
  });
});
