/**
 * Property: whatever method, path, query and body a client sends to lvsd's HTTP API, the answer
 * is a 2xx or a coded 4xx JSON error — never a 5xx, a stack or a dropped connection — and a
 * refused request leaves the table and settings exactly as they were.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { type Rig, startRig } from './http-rig.js';

const SVC = 'tcp:192.0.2.10:80';

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'services',
    'dests',
    'drain',
    'undrain',
    SVC,
    'udp:[2001:db8::1]:53',
    'fwm:1',
    'fwm6:7',
    '198.51.100.1:80',
    '[2001:db8::2]:80',
    'status',
    'connections',
    'commands',
    'sysctls',
    'timeouts',
    'zero',
    'log-level',
    'settings',
    '%',
    '%zz',
    '..',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

const path = fc.oneof(
  fc.constantFrom(
    '/api/services',
    `/api/services/${SVC}`,
    `/api/services/${SVC}/dests`,
    `/api/services/${SVC}/dests/198.51.100.1:80`,
    `/api/services/${SVC}/dests/198.51.100.1:80/drain`,
    `/api/services/${SVC}/dests/198.51.100.1:80/undrain`,
    '/api/commands',
    '/api/sysctls',
    '/api/timeouts',
    '/api/zero',
    '/api/log-level',
    '/api/connections',
    '/api/settings',
  ),
  fc.array(segment, { maxLength: 6 }).map((s) => `/${s.join('/')}`),
);

const query = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('limit', 'cursor', 'offset', 'service', 'client', 'state', 'dest', 'x'),
        fc.oneof(fc.string({ maxLength: 8 }), fc.integer().map(String)),
      ),
      { maxLength: 4 },
    )
    .map((kv) => `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
);

const command = fc.record(
  {
    op: fc.constantFrom(
      'add-service',
      'edit-service',
      'del-service',
      'add-dest',
      'edit-dest',
      'del-dest',
      'zero',
      'set-sysctl',
      'set-timeouts',
      'nope',
    ),
    service: fc.oneof(
      fc.constant({ kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 }),
      fc.jsonValue(),
    ),
    name: fc.constantFrom('sloppy_tcp', 'expire_nodest_conn', 'bogus'),
    value: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.jsonValue()),
    weight: fc.oneof(fc.integer({ min: -1, max: 10 }), fc.string()),
    addr: fc.constantFrom('198.51.100.1', '198.51.100.2', 'x'),
    port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constant(80)),
    scheduler: fc.constantFrom('rr', 'wlc', 'nope'),
    level: fc.constantFrom('debug', 'info', 'loud'),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(undefined),
  command.map((c) => JSON.stringify(c)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
);

let rig: Rig;
before(async () => {
  rig = await startRig();
});
after(() => rig.close());

async function state(): Promise<string> {
  const [s, t] = await Promise.all([rig.req('GET', '/api/services'), rig.req('GET', '/api/settings')]);
  return JSON.stringify([s.json, t.json]);
}

it('any request gets a 2xx or a coded 4xx, and a refused one changes nothing', async () => {
  await rig.req('POST', '/api/services', { token: true, body: { service: SVC } });
  await rig.req('POST', `/api/services/${SVC}/dests`, {
    token: true,
    body: { addr: '198.51.100.1', port: 80, fwd: 0, weight: 2 },
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
      path,
      query,
      body,
      fc.boolean(),
      async (method, p, q, b, withToken) => {
        if (p === '/api/events') return;
        const before = await state();
        const r = await rig.req(method, p + q, { token: withToken, ...(b !== undefined ? { raw: b } : {}) });
        assert.ok(r.status >= 200 && r.status < 500, `${method} ${p}${q} ${b ?? ''}: ${r.status} ${r.text}`);
        assert.doesNotMatch(r.text, /\n\s+at /, 'no stack in a response');
        if (r.status >= 400) {
          const e = r.json as { code?: unknown; message?: unknown };
          assert.equal(typeof e.code, 'string', r.text);
          assert.match(e.code as string, /^ERR_LVS/);
          assert.equal(typeof e.message, 'string');
          assert.equal(await state(), before, `${method} ${p}${q} ${b ?? ''} was refused but changed state`);
        }
      },
    ),
    { numRuns: 300 },
  );
  // Back to the level the rig started with, whatever the runs set.
  await rig.req('PUT', '/api/log-level', { token: true, body: { level: 'info' } });
});
