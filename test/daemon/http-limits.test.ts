/**
 * The HTTP server's limits and wiring: oversized headers (431), slow headers (timeout), the
 * connection cap, `--http`/`--http-token-file` parsing, and the data plane's counters in
 * /api/dataplane when the plane keeps them.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { daemonApiDeps } from '../../src/daemon/http/daemon-api-deps.js';
import { startHttpApi } from '../../src/daemon/http/http-api.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { send, startRig } from './http-rig.js';

const user = { env: {}, uid: 1000, tmp: '/tmp' };

/** Sends `raw` on a plain TCP connection and returns what comes back before the server closes. */
function rawExchange(port: number, raw: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, ms);
    s.on('data', (b: Buffer) => {
      got += b.toString();
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on('error', reject);
    s.write(raw);
  });
}

describe('HTTP server limits', () => {
  it('answers oversized headers with a coded 431 and a malformed request with a coded 400', async () => {
    const rig = await startRig();
    try {
      const big = await rawExchange(
        rig.port,
        `GET /api/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      assert.match(big, /^HTTP\/1\.1 431 /);
      assert.match(big, /"code":"ERR_LVS_HTTP_TOO_LARGE"/);
      const junk = await rawExchange(rig.port, 'NOT HTTP AT ALL\r\n\r\n');
      assert.match(junk, /^HTTP\/1\.1 400 /);
      assert.match(junk, /"code":"ERR_LVS_HTTP_MALFORMED"/);
    } finally {
      await rig.close();
    }
  });

  it('closes a connection whose headers do not arrive in time', async () => {
    const rig = await startRig({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    try {
      const t0 = Date.now();
      const got = await rawExchange(rig.port, 'GET /api/status HTTP/1.1\r\nHost: x\r\n', 8000);
      assert.ok(Date.now() - t0 < 7000, 'closed by the server, not by the test');
      assert.match(got, /^HTTP\/1\.1 408 |^$/);
    } finally {
      await rig.close();
    }
  });

  it('refuses connections beyond the cap and serves again once one closes', async () => {
    const rig = await startRig({ limits: { maxConnections: 2 } });
    const held = [connect(rig.port, '127.0.0.1'), connect(rig.port, '127.0.0.1')];
    try {
      await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(send(rig.port, 'GET', '/api/status'));
      held[0]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await send(rig.port, 'GET', '/api/status')).status, 200);
    } finally {
      for (const s of held) s.destroy();
      await rig.close();
    }
  });
});

describe('lvsd --http options', () => {
  it('reads --http and --http-token-file, and is off without them', () => {
    const a = parseLvsdArgs(['--http', '127.0.0.1:9180', '--http-token-file', '/etc/lvsd/token'], user);
    assert.ok(a.kind === 'run');
    assert.deepEqual(a.options.http, { host: '127.0.0.1', port: 9180, tokenFile: '/etc/lvsd/token' });
    const b = parseLvsdArgs(['--http', '[::1]:9180'], user);
    assert.ok(b.kind === 'run');
    assert.deepEqual(b.options.http, { host: '::1', port: 9180 });
    const c = parseLvsdArgs(['--socket', '/s'], user);
    assert.ok(c.kind === 'run');
    assert.equal(c.options.http, undefined);
  });

  it('refuses a malformed address and a token file without --http (usage, exit 2)', () => {
    for (const argv of [
      ['--http', 'example.com:80'],
      ['--http', '127.0.0.1'],
      ['--http-token-file', '/t'],
    ]) {
      const a = parseLvsdArgs(argv, user);
      assert.ok(a.kind === 'error', argv.join(' '));
      assert.equal(a.exitCode, 2);
    }
  });
});

describe('/api/dataplane', () => {
  it("carries the plane's own counters when it keeps them (the packet plane's status())", async () => {
    const rig = await startRig();
    const counters = { rxFrames: 10, txFrames: 9, txDropped: 0, drops: { no_service: 1 } };
    const logger = pino({ level: 'silent' });
    const http = await startHttpApi(
      { host: '127.0.0.1', port: 0 },
      daemonApiDeps(rig.daemon, logger, () => ({ status: () => counters })),
    );
    try {
      const r = await send(http.address().port, 'GET', '/api/dataplane');
      assert.equal(r.status, 200);
      assert.deepEqual((r.json as { counters: unknown }).counters, counters);
      const none = await rig.req('GET', '/api/dataplane');
      assert.equal((none.json as { counters?: unknown }).counters, undefined);
    } finally {
      await http.close();
      await rig.close();
    }
  });
});
