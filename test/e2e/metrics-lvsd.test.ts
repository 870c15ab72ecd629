/**
 * End to end: /metrics of a real `lvsd --http` process (proxy data plane on loopback, one real
 * server an echo server of this test), with rules written by bin/lvsadm and traffic relayed through
 * it, parsed by a Prometheus text parser: every node_ipvs_* series and the lvs_* totals equal
 * `lvsadm -Ln`, `--stats --exact` and `--rate --exact` of the same daemon at the same moment (two
 * scrapes around the listings that agree); /api/settings' sysctls equal `lvsadm --sysctl`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { send } from '../daemon/http-rig.js';
import { spawnLvsd, waitReady } from '../daemon/lvsd-process.js';
import { type ParsedFamily, parseExposition, seriesValue } from '../helpers/http-routes.js';

function lvsadm(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
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
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`lvsadm ${args.join(' ')}: ${err}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The port lvsd logged in its `http api listening` line. */
async function httpPort(stderr: () => string, ms = 15_000): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = /"http":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stderr());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`lvsd did not log its HTTP port: ${stderr()}`);
}

/** One row of an lvsadm listing: a service (`TCP 127.0.0.1:80 rr`) or a real server (`-> ...`). */
interface Row {
  readonly service: string;
  readonly real?: string;
  readonly fields: readonly string[];
}

function rows(listing: string): Row[] {
  const out: Row[] = [];
  let service = '';
  for (const line of listing.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'TCP') {
      service = `TCP ${f[1]}`;
      out.push({ service, fields: f.slice(2) });
    } else if (f[0] === '->' && service !== '' && f[1] !== 'RemoteAddress:Port')
      out.push({ service, real: f[1], fields: f.slice(2) });
  }
  return out;
}

/** The table series of a scrape (node_ipvs_*, lvs_service_* and lvs_real_server_*), to compare two. */
function tableSeries(m: Map<string, ParsedFamily>): string {
  return JSON.stringify(
    [...m.entries()].filter(([n]) => /^(node_ipvs_|lvs_service_|lvs_real_server_)/.test(n)),
  );
}

/** Opens `n` connections through `port`, each echoing `bytes` bytes; resolves with the sockets. */
async function echoThrough(port: number, n: number, bytes: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      let got = 0;
      s.on('error', reject);
      s.on('connect', () => s.write(Buffer.alloc(bytes, 97)));
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= bytes) resolve();
      });
    });
    out.push(s);
  }
  return out;
}

describe('lvsd --http /metrics against lvsadm', () => {
  it('every node_ipvs_* series and the lvs_* totals and rates equal lvsadm -Ln, --stats and --rate', {
    timeout: 120_000,
  }, async () => {
    const echo: Server = createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {}));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as AddressInfo).port;
    const [vip1, vip2] = [await freePort(), await freePort()];
    const d = spawnLvsd(['--http', '127.0.0.1:0', '--sysctl-files', 'none']);
    const held: Socket[] = [];
    try {
      await waitReady(d, 20_000);
      const port = await httpPort(d.stderr);
      for (const argv of [
        ['-A', '-t', `127.0.0.1:${vip1}`, '-s', 'rr'],
        ['-a', '-t', `127.0.0.1:${vip1}`, '-r', `127.0.0.1:${echoPort}`, '-m', '-w', '3'],
        ['-a', '-t', `127.0.0.1:${vip1}`, '-r', '127.0.0.2:9', '-m', '-w', '0'],
        ['-A', '-t', `127.0.0.1:${vip2}`, '-s', 'wlc'],
        ['-a', '-t', `127.0.0.1:${vip2}`, '-r', `127.0.0.1:${echoPort}`, '-m', '-w', '2'],
        ['--sysctl', 'sloppy_tcp=1'],
      ])
        await lvsadm(d.socket, argv);
      // The proxy plane listens once it follows the table: retry the first connection briefly.
      const end = Date.now() + 15_000;
      for (;;) {
        try {
          held.push(...(await echoThrough(vip1, 1, 300)));
          break;
        } catch (e) {
          if (Date.now() > end) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      held.push(...(await echoThrough(vip1, 3, 1000)), ...(await echoThrough(vip2, 2, 5000)));
      // Two closed, the rest held open (ActiveConn); then past an estimator period (2 s).
      for (const s of held.splice(0, 2)) s.end();
      await new Promise((r) => setTimeout(r, 4500));

      const scrape = async () => {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        assert.equal(r.status, 200);
        return parseExposition(await r.text());
      };
      let m: Map<string, ParsedFamily> | undefined;
      let list: Row[] = [];
      let stats: Row[] = [];
      let rate: Row[] = [];
      for (let tries = 0; tries < 10 && !m; tries++) {
        const before = await scrape();
        list = rows(await lvsadm(d.socket, ['-Ln']));
        stats = rows(await lvsadm(d.socket, ['-Ln', '--stats', '--exact']));
        rate = rows(await lvsadm(d.socket, ['-Ln', '--rate', '--exact']));
        const after = await scrape();
        if (tableSeries(before) === tableSeries(after)) m = after;
      }
      assert.ok(m, 'two scrapes around the listings agreed');

      // node_ipvs_backend_*: -Ln's `-> addr:port Masq Weight ActiveConn InActConn` per backend.
      const backends = list.filter((r) => r.real);
      assert.equal(backends.length, 3);
      assert.equal(m.get('node_ipvs_backend_weight')?.metrics.length, 3);
      let active = 0;
      for (const r of backends) {
        const [local, lport] = r.service.slice(4).split(':');
        const [remote, rport] = (r.real as string).split(':');
        const l = {
          local_address: local!,
          local_port: lport!,
          remote_address: remote!,
          remote_port: rport!,
          proto: 'TCP',
          local_mark: '',
        };
        assert.equal(seriesValue(m, 'node_ipvs_backend_weight', l), Number(r.fields[1]), JSON.stringify(l));
        assert.equal(seriesValue(m, 'node_ipvs_backend_connections_active', l), Number(r.fields[2]));
        assert.equal(seriesValue(m, 'node_ipvs_backend_connections_inactive', l), Number(r.fields[3]));
        active += Number(r.fields[2]);
      }
      assert.ok(active > 0, 'held connections are active');

      // Totals: the sum of --stats' service lines (nothing was deleted or zeroed).
      const svc = stats.filter((r) => !r.real);
      const sum = (k: number) => svc.reduce((n, r) => n + Number(r.fields[k]), 0);
      assert.equal(sum(0), 6);
      assert.ok(sum(3) >= 300 + 3 * 1000 + 2 * 5000, 'the echoed bytes were counted');
      const totals = [
        'connections',
        'incoming_packets',
        'outgoing_packets',
        'incoming_bytes',
        'outgoing_bytes',
      ];
      for (const [k, t] of totals.entries()) assert.equal(seriesValue(m, `node_ipvs_${t}_total`), sum(k), t);

      // lvs_* totals and rates per service and real server: the --stats and --rate columns.
      const stems = ['connections', 'in_packets', 'out_packets', 'in_bytes', 'out_bytes'];
      for (const [listing, suffix] of [
        [stats, '_total'],
        [rate, '_per_second'],
      ] as const) {
        for (const r of listing) {
          const family = r.real ? 'lvs_real_server' : 'lvs_service';
          const sel: Record<string, string> = r.real
            ? { service: r.service, real_server: r.real }
            : { service: r.service };
          for (const [k, stem] of stems.entries())
            assert.equal(
              seriesValue(m, `${family}_${stem}${suffix}`, sel),
              Number(r.fields[k]),
              `${family}_${stem}${suffix} ${JSON.stringify(sel)}`,
            );
        }
      }
      assert.equal(seriesValue(m, 'lvs_services'), 2);
      assert.equal(seriesValue(m, 'lvs_real_servers'), 3);

      // /api/settings' sysctls are what lvsadm --sysctl lists (`net.ipv4.vs.NAME = VALUE`).
      const settings = (await send(port, 'GET', '/api/settings')).json as { sysctls: Record<string, number> };
      // sync_threshold is listed as the kernel prints it, with sync_period as its second value.
      const listed: Record<string, number> = {};
      for (const line of (await lvsadm(d.socket, ['--sysctl'])).trim().split('\n')) {
        const x = /^net\.ipv4\.vs\.(\w+) = (-?\d+)(?:\s+(-?\d+))?$/.exec(line);
        assert.ok(x, line);
        listed[x[1]!] = Number(x[2]);
        if (x[3] !== undefined) listed.sync_period = Number(x[3]);
      }
      assert.deepEqual(settings.sysctls, listed);
      assert.equal(settings.sysctls.sloppy_tcp, 1);
    } finally {
      for (const s of held) s.destroy();
      await d.stop();
      await new Promise((r) => echo.close(r));
    }
  });
});
