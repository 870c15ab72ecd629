import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { HttpChecker, type HttpTarget } from '../../src/health/probes/http.js';
import { peerSkipReason } from '../helpers/peers.js';
import { type Nginx, nginxPath, startNginx } from './servers.js';

const PAGE = '<html><body>Test Page for LVS</body></html>\n';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
let ng: Nginx;
const skip = peerSkipReason('nginx (nginx-light)', nginxPath() !== undefined);

before(async () => {
  if (!skip) ng = await startNginx({ 'index.html': PAGE, 'other.html': 'other\n' });
});
after(async () => {
  await ng?.stop();
});

function target(over: Partial<HttpTarget> & { path?: string } = {}): HttpTarget {
  return {
    tls: false,
    host: '127.0.0.1',
    port: ng.port,
    method: 'GET',
    hostHeader: 'www.example.test',
    urls: [{ path: over.path ?? '/index.html', statusCodes: [[200, 299]] }],
    ...over,
  };
}
const ctx = { timeoutMs: 2000, part: 0 };

test('nginx HTTP_GET: status 200 with the right body digest passes', { skip }, async () => {
  const r = await new HttpChecker(
    target({ urls: [{ path: '/index.html', statusCodes: [[200, 299]], digest: md5(PAGE) }] }),
  ).check(ctx);
  assert.equal(r.ok, true, r.message);
  assert.ok(r.durationMs >= 0);
});

test('nginx HTTP_GET: a wrong digest fails', { skip }, async () => {
  const r = await new HttpChecker(
    target({ urls: [{ path: '/index.html', statusCodes: [[200, 299]], digest: md5('x') }] }),
  ).check(ctx);
  assert.equal(r.ok, false);
  assert.match(r.message, /digest mismatch/);
});

test('nginx HTTP_GET: 404 is outside the default 200-299 and fails; an explicit 404 range passes', {
  skip,
}, async () => {
  assert.equal((await new HttpChecker(target({ path: '/missing' })).check(ctx)).ok, false);
  const r = await new HttpChecker(target({ urls: [{ path: '/missing', statusCodes: [[404, 404]] }] })).check(
    ctx,
  );
  assert.equal(r.ok, true);
});

test('ldirectord receive regex: matching body passes, non-matching fails, regex_no_match inverts', {
  skip,
}, async () => {
  const url = (regex: string, regexNoMatch = false) => ({
    path: '/index.html',
    statusCodes: [[200, 299]] as const,
    regex,
    regexNoMatch,
  });
  assert.equal((await new HttpChecker(target({ urls: [url('Test Page')] })).check(ctx)).ok, true);
  assert.equal((await new HttpChecker(target({ urls: [url('Nope')] })).check(ctx)).ok, false);
  assert.equal((await new HttpChecker(target({ urls: [url('Test Page', true)] })).check(ctx)).ok, false);
});

test('HTTPS (SSL_GET) against nginx with a self-signed certificate passes with digest', {
  skip,
}, async () => {
  const r = await new HttpChecker(
    target({
      tls: true,
      port: ng.tlsPort,
      urls: [{ path: '/index.html', statusCodes: [[200, 299]], digest: md5(PAGE) }],
    }),
  ).check(ctx);
  assert.equal(r.ok, true, r.message);
});

test('HEAD method (ldirectord httpmethod) checks the status only', { skip }, async () => {
  const r = await new HttpChecker(target({ method: 'HEAD' })).check(ctx);
  assert.equal(r.ok, true, r.message);
});

test('the probe sends the virtualhost as Host and KeepAliveClient as User-Agent; url virtualhost wins', async () => {
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.headers['user-agent']} ${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new HttpChecker(target({ port, urls: [{ path: '/a', statusCodes: [[200, 299]] }] })).check(ctx);
  await new HttpChecker(
    target({ port, urls: [{ path: '/b', statusCodes: [[200, 299]], host: 'url.example' }] }),
  ).check(ctx);
  srv.close();
  assert.deepEqual(seen, ['www.example.test KeepAliveClient GET /a', 'url.example KeepAliveClient GET /b']);
});

test('a server that never answers fails at the timeout', async () => {
  const srv = http.createServer(() => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const t0 = Date.now();
  const r = await new HttpChecker(target({ port })).check({ timeoutMs: 300, part: 0 });
  srv.closeAllConnections();
  srv.close();
  assert.equal(r.ok, false);
  assert.match(r.message, /timeout/);
  assert.ok(Date.now() - t0 < 1500);
});

test('a closed port fails with the connect error', { skip }, async () => {
  await ng.kill();
  const r = await new HttpChecker(target()).check(ctx);
  await ng.restart();
  assert.equal(r.ok, false);
  assert.match(r.message, /ECONNREFUSED/);
});
