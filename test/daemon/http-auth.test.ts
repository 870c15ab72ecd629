/**
 * The HTTP API's token rules: the token file must be owner-only and non-empty, an address other
 * than loopback needs one, writes need the bearer token (a missing or wrong one is 401 and changes
 * nothing), reads on loopback need none.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prepareHttp } from '../../src/daemon/http/http-api.js';
import { parseHttpListen } from '../../src/daemon/http/http-listen.js';
import { bearerMatches, checkExposure, isLoopback, readTokenFile } from '../../src/daemon/http/http-token.js';
import { type Rig, startRig, TOKEN } from './http-rig.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('HTTP token file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-http-token-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode: number) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };

  it('reads an owner-only token and drops the trailing newline', () => {
    assert.equal(readTokenFile(file('ok', 's3cret-token\n', 0o600)), 's3cret-token');
    assert.equal(readTokenFile(file('ro', 's3cret-token', 0o400)), 's3cret-token');
  });

  it('refuses a file group or others may read or write', () => {
    for (const mode of [0o640, 0o604, 0o644, 0o620, 0o602]) {
      assert.equal(
        codeOf(() => readTokenFile(file(`m${mode}`, 'tok', mode))),
        'ERR_LVSD_HTTP_TOKEN_MODE',
      );
    }
  });

  it('refuses a missing file, a directory, an empty token and one with spaces', () => {
    assert.equal(
      codeOf(() => readTokenFile(join(dir, 'absent'))),
      'ERR_LVSD_HTTP_TOKEN_FILE',
    );
    assert.equal(
      codeOf(() => readTokenFile(dir)),
      'ERR_LVSD_HTTP_TOKEN_FILE',
    );
    assert.equal(
      codeOf(() => readTokenFile(file('empty', '\n', 0o600))),
      'ERR_LVSD_HTTP_TOKEN_FILE',
    );
    assert.equal(
      codeOf(() => readTokenFile(file('spaces', 'a b', 0o600))),
      'ERR_LVSD_HTTP_TOKEN_FILE',
    );
  });

  it('refuses an address other than loopback without a token, at prepare time', () => {
    assert.equal(
      codeOf(() => prepareHttp({ host: '192.0.2.1', port: 9180 })),
      'ERR_LVSD_HTTP_NO_TOKEN',
    );
    assert.equal(
      codeOf(() => prepareHttp({ host: '::', port: 9180 })),
      'ERR_LVSD_HTTP_NO_TOKEN',
    );
    assert.equal(
      codeOf(() => checkExposure('0.0.0.0', undefined)),
      'ERR_LVSD_HTTP_NO_TOKEN',
    );
    assert.equal(
      codeOf(() => checkExposure('192.0.2.1', 'tok')),
      undefined,
    );
    assert.deepEqual(prepareHttp({ host: '127.0.0.1', port: 9180 }), { host: '127.0.0.1', port: 9180 });
    const tok = file('prep', 'tok\n', 0o600);
    assert.deepEqual(prepareHttp({ host: '192.0.2.1', port: 1, tokenFile: tok }), {
      host: '192.0.2.1',
      port: 1,
      token: 'tok',
    });
  });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(a), true, a);
    for (const a of ['0.0.0.0', '::', '192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'])
      assert.equal(isLoopback(a), false, a);
  });

  it('parses --http ADDR:PORT forms', () => {
    assert.deepEqual(parseHttpListen('127.0.0.1:9180'), { ok: true, host: '127.0.0.1', port: 9180 });
    assert.deepEqual(parseHttpListen('[::1]:9180'), { ok: true, host: '::1', port: 9180 });
    assert.deepEqual(parseHttpListen('localhost:0'), { ok: true, host: '127.0.0.1', port: 0 });
    for (const bad of ['9180', 'example.com:80', '127.0.0.1:70000', '::1:80', '127.0.0.1:', ''])
      assert.equal(parseHttpListen(bad).ok, false, bad);
  });

  it('matches the bearer token exactly', () => {
    assert.equal(bearerMatches('Bearer abc', 'abc'), true);
    assert.equal(bearerMatches('bearer abc', 'abc'), true);
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer ab',
      'Bearer abcd',
      'Basic abc',
      'Bearer abc def',
      'abc',
    ])
      assert.equal(bearerMatches(h, 'abc'), false, String(h));
  });
});

describe('HTTP API bearer token', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());

  it('refuses a write without a token or with a wrong one (401) and applies nothing', async () => {
    for (const token of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`]) {
      const r = await rig.req('POST', '/api/services', {
        body: { service: 'tcp:192.0.2.10:80' },
        ...(token !== undefined ? { token } : {}),
      });
      assert.equal(r.status, 401, String(token));
      assert.equal((r.json as { code: string }).code, 'ERR_LVS_HTTP_UNAUTHORIZED');
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    assert.equal(rig.daemon.director.table.size, 0);
    const ok = await rig.req('POST', '/api/services', {
      token: true,
      body: { service: 'tcp:192.0.2.10:80' },
    });
    assert.equal(ok.status, 201);
    assert.equal(rig.daemon.director.table.size, 1);
  });

  it('serves reads on loopback without a token', async () => {
    const r = await rig.req('GET', '/api/status');
    assert.equal(r.status, 200);
    assert.equal((r.json as { pid: number }).pid, process.pid);
  });
});
