/**
 * End to end: a real lvsd process with `--http`. It refuses to start on a token file others can
 * read, a missing one, or an address other than loopback without one (one coded line, exit 1);
 * and API writes interleaved with real lvsadm writes on the same daemon all land.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { send } from '../daemon/http-rig.js';
import { type LvsdProc, spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';
import { netnsSkipReason, withNetns } from '../helpers/netns.js';

const TOKEN = 'e2e-token-5f1c0ffee';

function tokenFile(dir: string, mode: number): string {
  const p = join(dir, 'token');
  writeFileSync(p, `${TOKEN}\n`);
  chmodSync(p, mode);
  return p;
}

/** The port lvsd logged in its `http api listening` line. */
async function httpPort(d: LvsdProc, ms = 15_000): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = /"http":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(d.stderr());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`lvsd did not log its HTTP port: ${d.stderr()}`);
}

function lvsadm(socket: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lvsadm', '--socket', socket, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('lvsd --http start-up refusals', () => {
  const cases: Array<[string, (dir: string) => string[], string]> = [
    [
      'a token file group and others can read',
      (dir) => ['--http', '127.0.0.1:0', '--http-token-file', tokenFile(dir, 0o644)],
      'ERR_LVSD_HTTP_TOKEN_MODE',
    ],
    [
      'a missing token file',
      (dir) => ['--http', '127.0.0.1:0', '--http-token-file', join(dir, 'absent')],
      'ERR_LVSD_HTTP_TOKEN_FILE',
    ],
    [
      'an address other than loopback without a token file',
      () => ['--http', '192.0.2.1:9180'],
      'ERR_LVSD_HTTP_NO_TOKEN',
    ],
  ];
  for (const [what, args, code] of cases) {
    it(`refuses ${what}: one coded line, exit 1`, async () => {
      const dir = tempDir();
      const d = spawnLvsd(['--dataplane', 'none', ...args(dir)], { dir });
      try {
        assert.equal(await d.exited, 1);
        const lines = d.stderr().trim().split('\n');
        assert.equal(lines.length, 1, d.stderr());
        assert.match(lines[0]!, new RegExp(`^lvsd: .*\\(${code}\\)$`));
      } finally {
        await d.stop();
      }
    });
  }

  it('stops with one line and exit 1 when the HTTP port is taken, never claiming to be ready', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    const d = spawnLvsd(['--dataplane', 'none', '--http', `127.0.0.1:${port}`]);
    try {
      assert.equal(await d.exited, 1);
      assert.match(d.stderr(), /^lvsd: --http 127\.0\.0\.1:\d+: .*EADDRINUSE/m);
      assert.doesNotMatch(d.stderr(), /lvsd ready/);
    } finally {
      holder.close();
      await d.stop();
    }
  });

  it('answers a malformed --http with a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, ['bin/lvsd', '--http', 'nowhere'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--http expects ADDR:PORT/);
  });
});

describe('lvsd --http with lvsadm on the same daemon', () => {
  it('API writes and lvsadm writes interleave without losing either', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const d = spawnLvsd(
      ['--dataplane', 'none', '--http', '127.0.0.1:0', '--http-token-file', tokenFile(dir, 0o600)],
      { dir },
    );
    try {
      await waitReady(d, 20_000);
      const port = await httpPort(d);
      const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const post = (path: string, body: unknown) => {
        const raw = JSON.stringify(body);
        return send(port, 'POST', path, { raw, headers: { ...auth, 'content-length': String(raw.length) } });
      };
      assert.equal(
        (await post('/api/services', { service: 'tcp:192.0.2.10:80', config: { scheduler: 'rr' } })).status,
        201,
      );
      const N_API = 40;
      const N_CLI = 12;
      const api = Array.from({ length: N_API }, (_, i) =>
        post('/api/services/tcp:192.0.2.10:80/dests', { addr: `198.51.100.${i + 1}`, port: 80, fwd: 'masq' }),
      );
      const cli: Array<Promise<{ code: number | null; out: string; err: string }>> = [];
      for (let i = 0; i < N_CLI; i++)
        cli.push(lvsadm(d.socket, ['-a', '-t', '192.0.2.10:80', '-r', `198.51.100.${101 + i}:80`, '-m']));
      const [apiRes, cliRes] = await Promise.all([Promise.all(api), Promise.all(cli)]);
      for (const r of apiRes) assert.equal(r.status, 201, r.text);
      for (const r of cliRes) assert.equal(r.code, 0, r.err);
      const listed = await lvsadm(d.socket, ['-Ln']);
      const rows = listed.out.split('\n').filter((l) => /^\s+-> 198\.51\.100\./.test(l));
      assert.equal(rows.length, N_API + N_CLI, listed.out);
      const viaApi = await send(port, 'GET', '/api/services/tcp:192.0.2.10:80/dests');
      assert.equal((viaApi.json as { dests: unknown[] }).dests.length, N_API + N_CLI);
      // A drain through the API is what lvsadm then lists.
      assert.equal(
        (await post('/api/services/tcp:192.0.2.10:80/dests/198.51.100.101:80/drain', {})).status,
        200,
      );
      const after = await lvsadm(d.socket, ['-Ln']);
      assert.match(after.out, /-> 198\.51\.100\.101:80\s+Masq\s+0\s/);
    } finally {
      await d.stop();
    }
  });
});

describe('lvsd --http on the proxy data plane', () => {
  it('answers a command the plane refuses with 501 and its code, and reports what it serves', {
    timeout: 60_000,
  }, async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const vport = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    const dir = tempDir();
    const d = spawnLvsd(['--http', '127.0.0.1:0', '--http-token-file', tokenFile(dir, 0o600)], { dir });
    try {
      await waitReady(d, 20_000);
      const port = await httpPort(d);
      const post = (path: string, body: unknown) => {
        const raw = JSON.stringify(body);
        return send(port, 'POST', path, {
          raw,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-length': String(raw.length) },
        });
      };
      const svc = `tcp:127.0.0.1:${vport}`;
      assert.equal((await post('/api/services', { service: svc })).status, 201);
      // Not a host address: a DR real server at one (127.0.0.2) is served by a local connect.
      const dr = await post(`/api/services/${svc}/dests`, { addr: '198.51.100.2', port: 80, fwd: 'droute' });
      assert.equal(dr.status, 501, dr.text);
      assert.equal((dr.json as { code: string }).code, 'ERR_LVS_DATAPLANE_UNSUPPORTED');
      assert.equal(
        (await post(`/api/services/${svc}/dests`, { addr: '127.0.0.2', port: 80, fwd: 'masq' })).status,
        201,
      );
      const end = Date.now() + 10_000;
      let vips: Array<{ service: string; serving: boolean }> = [];
      while (Date.now() < end) {
        const r = await send(port, 'GET', '/api/dataplane');
        vips = (r.json as { dataplane: string; vips: typeof vips }).vips;
        assert.equal((r.json as { dataplane: string }).dataplane, 'proxy');
        if (vips[0]?.serving) break;
        await new Promise((r2) => setTimeout(r2, 100));
      }
      assert.deepEqual(
        vips.map((v) => [v.service, v.serving]),
        [[`TCP 127.0.0.1:${vport}`, true]],
      );
    } finally {
      await d.stop();
    }
  });
});

describe('lvsd --http on an address other than loopback (in a network namespace)', () => {
  const skip = netnsSkipReason();
  it('needs the token for reads too, and serves them with it', {
    skip: skip ?? false,
    timeout: 90_000,
  }, async () => {
    const dir = tempDir();
    const tok = tokenFile(dir, 0o600);
    await withNetns(
      {
        namespaces: ['api'],
        links: [{ a: 'api', b: 'api', aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] }],
      },
      async (ns) => {
        const lvsd = ns.spawn(
          'api',
          [
            process.execPath,
            'bin/lvsd',
            '--sysctl-files',
            'none',
            '--socket',
            join(dir, 's.sock'),
            '--dataplane',
            'none',
            '--http',
            '192.0.2.1:9180',
            '--http-token-file',
            tok,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let err = '';
        lvsd.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
        });
        const end = Date.now() + 30_000;
        while (!err.includes('http api listening') && Date.now() < end)
          await new Promise((r) => setTimeout(r, 100));
        assert.match(err, /"http":"http:\/\/192\.0\.2\.1:9180"/);
        const curl = (...args: string[]) =>
          ns.exec('api', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...args])
            .stdout;
        assert.equal(curl('http://192.0.2.1:9180/api/status'), '401');
        assert.equal(curl('-H', 'Authorization: Bearer wrong', 'http://192.0.2.1:9180/api/status'), '401');
        assert.equal(curl('-H', `Authorization: Bearer ${TOKEN}`, 'http://192.0.2.1:9180/api/status'), '200');
        lvsd.kill('SIGTERM');
      },
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
