/**
 * GET /metrics of an in-process lvsd, parsed by a Prometheus text parser, against `lvsadm -Ln`,
 * `--stats` and `--rate` of the same daemon at the same moment: every node_ipvs_* series has
 * node_exporter's name and labels and lvsadm's value, and the lvs_* totals and rates match too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { startDaemon } from '../../src/daemon/daemon.js';
import { EXPOSITION_CONTENT_TYPE } from '../../src/daemon/metrics/exposition.js';
import { createMetrics } from '../../src/daemon/metrics/metrics.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { type RunnerEnv, run } from '../../src/programs/lvsadm/main.js';
import { F, pkt } from '../core/director/helpers.js';
import { parseExposition, seriesValue, serveRoutes } from '../helpers/http-routes.js';

async function lvsadm(socket: string, argv: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const env: RunnerEnv = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => Promise.resolve(''),
    connect: (p) => connectClient(p),
    socketEnv: { env: { LVSD_SOCKET: socket }, uid: undefined },
  };
  const code = await run(argv, env);
  assert.equal(code, 0, `lvsadm ${argv.join(' ')}: ${err.join('')}`);
  return out.join('');
}

/** lvsadm's listing rows: each service's line fields, each real server's, keyed for node_ipvs labels. */
interface Row {
  readonly local: { address: string; port: string; proto: string; mark: string };
  readonly remote?: { address: string; port: string };
  readonly fields: readonly string[];
}

function splitAddr(t: string): { address: string; port: string } {
  const i = t.lastIndexOf(':');
  return { address: t.slice(0, i).replace(/^\[|\]$/g, ''), port: t.slice(i + 1) };
}

function rows(listing: string): Row[] {
  const out: Row[] = [];
  let local: Row['local'] | undefined;
  for (const line of listing.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'TCP' || f[0] === 'UDP' || f[0] === 'SCTP') {
      const a = splitAddr(f[1]!);
      local = { address: a.address, port: a.port, proto: f[0], mark: '' };
      out.push({ local, fields: f.slice(2) });
    } else if (f[0] === 'FWM') {
      local = {
        address: '',
        port: '0',
        proto: 'FWM',
        mark: Number(f[1]).toString(16).toUpperCase().padStart(8, '0'),
      };
      out.push({ local, fields: f.slice(2) });
    } else if (f[0] === '->' && local && f[1] !== 'RemoteAddress:Port') {
      out.push({ local, remote: splitAddr(f[1]!), fields: f.slice(2) });
    }
  }
  return out;
}

function labels(r: Row): Record<string, string> {
  return {
    local_address: r.local.address,
    local_port: r.local.port,
    remote_address: r.remote?.address ?? '',
    remote_port: r.remote?.port ?? '',
    proto: r.local.proto,
    local_mark: r.local.mark,
  };
}

test('every node_ipvs_* series and the lvs_* totals and rates equal lvsadm -Ln, --stats and --rate', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-metrics-')), 'lvsd.sock');
  // The daemon's own tick never fires here: the test ticks the estimator itself.
  const d = await startDaemon({
    socket,
    connTabBits: 10,
    tickMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
  const metrics = createMetrics(d);
  const http = await serveRoutes(metrics.routes);
  try {
    for (const argv of [
      ['-A', '-t', '192.0.2.10:80', '-s', 'rr'],
      ['-a', '-t', '192.0.2.10:80', '-r', '198.51.100.1:8080', '-m', '-w', '3'],
      ['-a', '-t', '192.0.2.10:80', '-r', '198.51.100.2:8080', '-m', '-w', '1'],
      ['-A', '-u', '[2001:db8::10]:53', '-s', 'rr'],
      ['-a', '-u', '[2001:db8::10]:53', '-r', '[2001:db8:1::1]:53', '-m'],
      ['-A', '-f', '7', '-s', 'rr'],
      ['-a', '-f', '7', '-r', '198.51.100.3:0', '-g', '-w', '0'],
      ['-a', '-f', '7', '-r', '198.51.100.4:0', '-g', '-w', '5'],
    ])
      await lvsadm(socket, argv);

    // Traffic through the core's real packet path: TCP conns (some established), UDP, fwmark.
    const core = d.director.director;
    const t0 = Date.now();
    for (let i = 0; i < 12; i++) {
      core.inPacket(pkt('tcp', '203.0.113.5', 10_000 + i, '192.0.2.10', 80, { flags: F.SYN, len: 60 }), t0);
      if (i % 3 === 0)
        core.inPacket(pkt('tcp', '203.0.113.5', 10_000 + i, '192.0.2.10', 80, { flags: F.ACK, len: 52 }), t0);
    }
    for (let i = 0; i < 5; i++)
      core.inPacket(pkt('udp', '2001:db8:2::5', 20_000 + i, '2001:db8::10', 53, { len: 90 }), t0);
    for (let i = 0; i < 4; i++)
      core.inPacket(pkt('tcp', '203.0.113.6', 30_000 + i, '192.0.2.99', 443, { flags: F.SYN, mark: 7 }), t0);
    // Two estimator periods, more traffic in between, so rates are non-zero.
    core.tick(t0 + 2000);
    for (let i = 0; i < 6; i++)
      core.inPacket(
        pkt('tcp', '203.0.113.7', 40_000 + i, '192.0.2.10', 80, { flags: F.SYN, len: 60 }),
        t0 + 2100,
      );
    core.tick(t0 + 4000);

    const res = await fetch(`${http.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), EXPOSITION_CONTENT_TYPE);
    const m = parseExposition(await res.text());
    const list = rows(await lvsadm(socket, ['-Ln']));
    const stats = rows(await lvsadm(socket, ['-Ln', '--stats', '--exact']));
    const rate = rows(await lvsadm(socket, ['-Ln', '--rate', '--exact']));

    // node_exporter's eight families with its types.
    const families: [string, string][] = [
      ['node_ipvs_connections_total', 'COUNTER'],
      ['node_ipvs_incoming_packets_total', 'COUNTER'],
      ['node_ipvs_outgoing_packets_total', 'COUNTER'],
      ['node_ipvs_incoming_bytes_total', 'COUNTER'],
      ['node_ipvs_outgoing_bytes_total', 'COUNTER'],
      ['node_ipvs_backend_connections_active', 'GAUGE'],
      ['node_ipvs_backend_connections_inactive', 'GAUGE'],
      ['node_ipvs_backend_weight', 'GAUGE'],
    ];
    for (const [name, type] of families) assert.equal(m.get(name)?.type, type, name);

    // Per backend: weight, ActiveConn, InActConn of -Ln (`-> addr:port Fwd Weight Active InAct`).
    const backends = list.filter((r) => r.remote);
    assert.equal(backends.length, 5);
    assert.equal(m.get('node_ipvs_backend_weight')?.metrics.length, 5);
    let active = 0;
    for (const r of backends) {
      const l = labels(r);
      assert.deepEqual(
        Object.keys(
          m
            .get('node_ipvs_backend_weight')!
            .metrics.find((x) => x.labels?.remote_address === l.remote_address)!.labels!,
        ),
        ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'],
      );
      assert.equal(seriesValue(m, 'node_ipvs_backend_weight', l), Number(r.fields[1]), JSON.stringify(l));
      assert.equal(seriesValue(m, 'node_ipvs_backend_connections_active', l), Number(r.fields[2]));
      assert.equal(seriesValue(m, 'node_ipvs_backend_connections_inactive', l), Number(r.fields[3]));
      active += Number(r.fields[2]);
    }
    assert.ok(active > 0, 'some connections are established');
    // IPv6 labels are unbracketed, fwmark services as the kernel's /proc/net/ip_vs prints them.
    assert.equal(
      seriesValue(m, 'node_ipvs_backend_weight', {
        local_address: '2001:db8::10',
        remote_address: '2001:db8:1::1',
        proto: 'UDP',
      }),
      1,
    );
    assert.equal(
      seriesValue(m, 'node_ipvs_backend_weight', {
        local_address: '',
        local_port: '0',
        proto: 'FWM',
        local_mark: '00000007',
        remote_address: '198.51.100.4',
      }),
      5,
    );

    // Totals: the sum of --stats' service lines (nothing was deleted or zeroed).
    const svcStats = stats.filter((r) => !r.remote);
    const sum = (k: number) => svcStats.reduce((n, r) => n + Number(r.fields[k]), 0);
    assert.ok(sum(0) > 0 && sum(1) > 0);
    assert.equal(seriesValue(m, 'node_ipvs_connections_total'), sum(0));
    assert.equal(seriesValue(m, 'node_ipvs_incoming_packets_total'), sum(1));
    assert.equal(seriesValue(m, 'node_ipvs_outgoing_packets_total'), sum(2));
    assert.equal(seriesValue(m, 'node_ipvs_incoming_bytes_total'), sum(3));
    assert.equal(seriesValue(m, 'node_ipvs_outgoing_bytes_total'), sum(4));

    // lvs_* totals and rates per service and real server: --stats and --rate columns.
    const stems = ['connections', 'in_packets', 'out_packets', 'in_bytes', 'out_bytes'];
    let rated = 0;
    for (const [listing, suffix] of [
      [stats, '_total'],
      [rate, '_per_second'],
    ] as const) {
      for (const r of listing) {
        const svc =
          r.local.proto === 'FWM'
            ? `FWM ${Number.parseInt(r.local.mark, 16)}`
            : `${r.local.proto} ${r.local.address.includes(':') ? `[${r.local.address}]` : r.local.address}:${r.local.port}`;
        const rs =
          r.remote &&
          (r.remote.address.includes(':')
            ? `[${r.remote.address}]:${r.remote.port}`
            : `${r.remote.address}:${r.remote.port}`);
        const family = r.remote ? 'lvs_real_server' : 'lvs_service';
        const sel: Record<string, string> = rs ? { service: svc, real_server: rs } : { service: svc };
        stems.forEach((stem, k) => {
          const v = seriesValue(m, `${family}_${stem}${suffix}`, sel);
          assert.equal(v, Number(r.fields[k]), `${family}_${stem}${suffix} ${JSON.stringify(sel)}`);
          if (suffix === '_per_second' && v! > 0) rated++;
        });
      }
    }
    assert.ok(rated > 0, 'the estimator produced non-zero rates');
    // prom-client's process metrics ride along.
    assert.ok(m.has('process_cpu_user_seconds_total'));
    assert.equal(seriesValue(m, 'lvs_services'), 3);
    assert.equal(seriesValue(m, 'lvs_table_commands_total', { origin: 'socket', op: 'add-dest' }), 5);
    // The next scrapes follow the table: a weight edited (same layout), then a real server added.
    await lvsadm(socket, ['-e', '-t', '192.0.2.10:80', '-r', '198.51.100.2:8080', '-m', '-w', '9']);
    const rs2 = { local_address: '192.0.2.10', remote_address: '198.51.100.2', proto: 'TCP' };
    let again = parseExposition(await metrics.render());
    assert.equal(seriesValue(again, 'node_ipvs_backend_weight', rs2), 9);
    await lvsadm(socket, ['-a', '-t', '192.0.2.10:80', '-r', '198.51.100.5:8080', '-m', '-w', '4']);
    again = parseExposition(await metrics.render());
    assert.equal(seriesValue(again, 'node_ipvs_backend_weight', rs2), 9);
    assert.equal(
      seriesValue(again, 'node_ipvs_backend_weight', { ...rs2, remote_address: '198.51.100.5' }),
      4,
    );
    assert.equal(again.get('lvs_real_server_connections_total')?.metrics.length, 6);
    // Unknown paths are not served by the metrics routes.
    assert.equal((await fetch(`${http.url}/other`)).status, 404);
  } finally {
    await http.close();
    metrics.close();
    await d.close();
  }
});
