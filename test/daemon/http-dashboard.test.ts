/**
 * The dashboard's server side: `GET /` and its files with their content types, revalidation and a
 * strict Content-Security-Policy; only the listed files are served; and the two reads the page
 * adds to the API — the recent events (kept before any client listens) and the live stats, also
 * pushed as a `stats` event on /api/events?stats=1.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { healthTransitionChannel } from '../../src/control/channels.js';
import { DASHBOARD_CSP, DASHBOARD_FILES, dashboardRoutes } from '../../src/daemon/http/dashboard-routes.js';
import { type HttpServer, startHttpServer } from '../../src/daemon/http/http-server.js';
import { type Rig, send, startRig } from './http-rig.js';

describe('GET / serves the dashboard', () => {
  let srv: HttpServer;
  let port: number;
  before(async () => {
    srv = await startHttpServer({ host: '127.0.0.1', port: 0, routes: dashboardRoutes() });
    port = srv.address().port;
  });
  after(() => srv.close());

  it('answers the page and every file with its content type, no-cache, an ETag and the CSP', async () => {
    const page = await send(port, 'GET', '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.text, /<script type="module" src="\/dashboard\/dashboard\.js"><\/script>/);
    for (const [name, type] of Object.entries(DASHBOARD_FILES)) {
      const r = await send(port, 'GET', name === 'index.html' ? '/' : `/dashboard/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.headers['content-type'], type, name);
      assert.equal(r.headers['cache-control'], 'no-cache', name);
      assert.equal(r.headers['content-security-policy'], DASHBOARD_CSP, name);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', name);
      assert.match(String(r.headers.etag), /^"[\w-]{22}"$/, name);
      // Revalidation: the same ETag back is a 304 without a body.
      const again = await send(port, 'GET', name === 'index.html' ? '/' : `/dashboard/${name}`, {
        headers: { 'if-none-match': String(r.headers.etag) },
      });
      assert.equal(again.status, 304, name);
      assert.equal(again.text, '');
    }
    assert.match(DASHBOARD_CSP, /script-src 'self'/);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/);
  });

  it('has no inline script or style the policy would block', async () => {
    const page = await send(port, 'GET', '/');
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(page.text, /<style|\sstyle=|\son\w+=/);
  });

  it('serves only the listed files: other names, traversal and encoded slashes are a coded 404', async () => {
    for (const p of [
      '/dashboard/nope.js',
      '/dashboard/../package.json',
      '/dashboard/..%2f..%2fpackage.json',
      '/dashboard/%2e%2e/%2e%2e/package.json',
      '/dashboard/index.html/',
      '/dashboard/toString',
    ]) {
      const r = await send(port, 'GET', p);
      assert.equal(r.status, 404, p);
      assert.equal((r.json as { code: string }).code, 'ERR_LVS_HTTP_NOT_FOUND', p);
    }
  });

  it('answers any path under /dashboard/ with a listed file or a coded 404, never anything else', async () => {
    const names = Object.keys(DASHBOARD_FILES);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...names),
          fc.string({ maxLength: 40 }),
          fc.webSegment(),
          fc
            .array(fc.constantFrom('..', '%2e%2e', '%2f', 'index.html', '.', '%00', '~'), { maxLength: 5 })
            .map((a) => a.join('/')),
        ),
        async (rest) => {
          const path = `/dashboard/${rest}`;
          // Only what an HTTP request line can carry.
          if (!/^[\x21-\x7e]*$/.test(path)) return;
          const r = await send(port, 'GET', path);
          // The server resolves dot segments as a browser does (`/dashboard/..` is `/`, the page).
          const resolved = new URL(path, 'http://x').pathname;
          const name = resolved === '/' ? 'index.html' : resolved.slice('/dashboard/'.length);
          if (names.includes(name) && (resolved === '/' || resolved.startsWith('/dashboard/')))
            assert.equal(r.status, 200, path);
          else if (r.status !== 400) {
            assert.equal(r.status, 404, path);
            assert.equal((r.json as { code: string }).code, 'ERR_LVS_HTTP_NOT_FOUND', path);
          } else assert.match((r.json as { code: string }).code, /^ERR_LVS_HTTP_/, path);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers a coded 404 instead of failing when the files are not installed', async () => {
    const s2 = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      routes: dashboardRoutes('/nonexistent-lvs-dashboard/'),
    });
    try {
      const r = await send(s2.address().port, 'GET', '/');
      assert.equal(r.status, 404);
      assert.equal((r.json as { code: string }).code, 'ERR_LVS_HTTP_NOT_FOUND');
    } finally {
      await s2.close();
    }
  });
});

describe('the reads the dashboard adds to the API', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());

  it('/api/events/recent keeps events from before any client listened, and pages by id', async () => {
    await rig.req('POST', '/api/services', { token: true, body: { service: 'tcp:192.0.2.10:80' } });
    healthTransitionChannel.publish({
      source: {},
      svc: 'TCP 192.0.2.10:80',
      rs: '[198.51.100.1]:80',
      up: false,
      at: 7,
      message: 'connect refused',
    });
    const r = await rig.req('GET', '/api/events/recent');
    assert.equal(r.status, 200);
    const body = r.json as {
      last: number;
      events: Array<{ id: number; type: string; data: { op?: string } }>;
    };
    assert.deepEqual(
      body.events.map((e) => [e.type, e.data.op ?? '']),
      [
        ['table', 'add-service'],
        ['health', ''],
      ],
    );
    assert.equal(body.last, body.events.at(-1)?.id);
    const later = await rig.req('GET', `/api/events/recent?after=${body.events[0]?.id}`);
    assert.deepEqual(
      (later.json as typeof body).events.map((e) => e.type),
      ['health'],
    );
    const bad = await rig.req('GET', '/api/events/recent?after=x');
    assert.equal((bad.json as { code: string }).code, 'ERR_LVS_HTTP_BAD_QUERY');
  });

  it('/api/stats/live gives each real server its weight, connections and rates', async () => {
    await rig.req('POST', '/api/services/tcp:192.0.2.10:80/dests', {
      token: true,
      body: { addr: '198.51.100.1', port: 80, fwd: 'masq', weight: 3 },
    });
    const r = await rig.req('GET', '/api/stats/live');
    const live = r.json as {
      at: number;
      services: Array<{ id: string; dests: Array<{ id: string; weight: number; activeConns: number }> }>;
    };
    assert.ok(Math.abs(live.at - Date.now()) < 5000);
    assert.deepEqual(
      live.services.map((s) => [s.id, s.dests.map((d) => [d.id, d.weight, d.activeConns])]),
      [['tcp:192.0.2.10:80', [['198.51.100.1:80', 3, 0]]]],
    );
  });

  it('/api/events?stats=1 sends a stats event at once; a bad stats value is a coded 400', async () => {
    const frames: string[] = [];
    const req = httpRequest({ host: '127.0.0.1', port: rig.port, path: '/api/events?stats=1' });
    await new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        res.on('data', (c: Buffer) => frames.push(c.toString()));
        resolve();
      });
      req.end();
    });
    try {
      const end = Date.now() + 3000;
      while (!frames.join('').includes('event: stats') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 20));
      const m = /event: stats\ndata: (.*)\n\n/.exec(frames.join(''));
      assert.ok(m, frames.join(''));
      const data = JSON.parse(m[1]!) as { services: Array<{ id: string }> };
      assert.deepEqual(
        data.services.map((s) => s.id),
        ['tcp:192.0.2.10:80'],
      );
    } finally {
      req.destroy();
    }
    const bad = await rig.req('GET', '/api/events?stats=yes');
    assert.equal(bad.status, 400);
    assert.equal((bad.json as { code: string }).code, 'ERR_LVS_HTTP_BAD_QUERY');
  });
});
