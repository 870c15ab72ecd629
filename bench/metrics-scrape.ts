/**
 * The cost of a /metrics scrape (`npm run bench:metrics`): an in-process lvsd (table only) holding
 * 1,000 services × 10 real servers with traffic counted on every real server, scraped over HTTP
 * (GET /metrics on a loopback node:http server dispatching to the metrics routes) N times.
 * Reports, per scrape by curl (a separate process): lvsd CPU time (process.cpuUsage user + system
 * around the request; spawning curl is counted too, so an upper bound), the part of it that builds
 * the text, wall time, body size and series count; and the event loop's delay
 * (perf_hooks.monitorEventLoopDelay, max and p99) while idle and while scraping back to back,
 * which is how long anything else on the loop (the JS relay, timers, health checks, the control
 * socket) is held up by a scrape.
 *
 * Beside it, the same table families (node_ipvs_* per-backend gauges and lvs_real_server_*)
 * written through prom-client Gauges (reset and set per label set, then registry.metrics()) versus
 * the direct writer, to show why the table families bypass prom-client.
 * Results in bench/results/metrics-scrape.json. Options: --runs N (default 30).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import type * as SnapshotM from '../src/control/snapshot.js';
import type { Snapshot } from '../src/control/views.js';
import type * as AddrM from '../src/core/addr.js';
import type * as DirectorM from '../src/core/director.js';
import { PROTO } from '../src/core/types.js';
import type * as DaemonM from '../src/daemon/daemon.js';
import type * as MetricsM from '../src/daemon/metrics/metrics.js';
import type * as TableM from '../src/daemon/metrics/table-writer.js';
import { serveRoutes } from '../test/helpers/http-routes.js';

// The compiled dist/ build, which is what lvsd runs (`npm run bench:metrics` builds it first).
const dist = (m: string) => import(new URL(`../dist/${m}.js`, import.meta.url).href);
const { serviceViews } = (await dist('control/snapshot')) as typeof SnapshotM;
const { ipBytes } = (await dist('core/addr')) as typeof AddrM;
const { PacketInfo } = (await dist('core/director')) as typeof DirectorM;
const { startDaemon } = (await dist('daemon/daemon')) as typeof DaemonM;
const { createMetrics } = (await dist('daemon/metrics/metrics')) as typeof MetricsM;
const { TableWriter } = (await dist('daemon/metrics/table-writer')) as typeof TableM;

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 30);
const SERVICES = 1000;
const REALS = 10;

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const d = await startDaemon({
  socket: join(tmpdir(), `bench-metrics-${process.pid}.sock`),
  connTabBits: 16,
  tickMs: 3_600_000,
  logger: pino({ level: 'silent' }),
});
const svcCfg = { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' };
for (let s = 0; s < SERVICES; s++) {
  const service = {
    kind: 'addr',
    af: 4,
    protocol: PROTO.TCP,
    addr: `192.0.2.${1 + (s % 250)}`,
    port: 1000 + s,
  } as const;
  d.apply({ op: 'add-service', service, config: svcCfg });
  for (let r = 0; r < REALS; r++)
    d.apply({
      op: 'add-dest',
      service,
      dest: {
        addr: `198.51.100.${1 + r}`,
        port: 8000 + s,
        af: 4,
        fwd: 0,
        weight: 1 + r,
        uThreshold: 0,
        lThreshold: 0,
        tunType: 0,
        tunPort: 0,
        tunFlags: 0,
      },
    });
}
// Traffic on every real server through the core's packet path, then two estimator periods.
const core = d.director.director;
const t0 = Date.now();
const p = new PacketInfo();
p.protocol = PROTO.TCP;
p.af = 4;
p.tcpFlags = 0x02;
p.length = 60;
p.srcAddr = ipBytes('203.0.113.9') as Uint8Array;
for (let s = 0; s < SERVICES; s++)
  for (let r = 0; r < REALS; r++) {
    p.dstAddr = ipBytes(`192.0.2.${1 + (s % 250)}`) as Uint8Array;
    p.dstPort = 1000 + s;
    p.srcPort = 1024 + r;
    core.inPacket(p, t0);
  }
core.tick(t0 + 2000);
core.tick(t0 + 4000);

const metrics = createMetrics(d);
const http = await serveRoutes(metrics.routes);

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
await new Promise((r) => setTimeout(r, 1000));
h.disable();
const idle = { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
h.reset();

/** One scrape by curl, a separate process, so only lvsd's side is counted in this process. */
const curl = () =>
  new Promise<void>((ok, fail) => {
    const c = spawn('curl', ['-sf', '-o', '/dev/null', `${http.url}/metrics`], { stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`curl exited ${code}`))));
  });
const cpu: number[] = [];
const renderCpu: number[] = [];
const wall: number[] = [];
const first = await metrics.render();
const bytes = Buffer.byteLength(first);
const series = first.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
await curl(); // warm-up
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs();
  await metrics.renderBytes();
  renderCpu.push(cpuMs() - c0);
}
h.enable();
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs();
  const w0 = performance.now();
  await curl();
  wall.push(performance.now() - w0);
  cpu.push(cpuMs() - c0);
}
h.disable();
const scraping = { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
await http.close();
metrics.close();

// The table families two ways: the direct writer and prom-client gauges.
const snapshot: Snapshot = { connTabSize: 0, services: serviceViews(d.director.table) };
const writer = new TableWriter();
writer.render(snapshot); // the layout, built once per table change
const direct = () => writer.render(snapshot);
const registry = new Registry();
const ipvsLabels = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'];
const g = (name: string, labelNames: string[]) =>
  new Gauge({ name, help: name, labelNames, registers: [registry] });
const ipvsGauges = [
  'node_ipvs_backend_connections_active',
  'node_ipvs_backend_connections_inactive',
  'node_ipvs_backend_weight',
].map((n) => g(n, ipvsLabels));
const rsFields = ['conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'] as const;
const rateFields = ['cps', 'inpps', 'outpps', 'inbps', 'outbps'] as const;
const rsGauges = [...rsFields, ...rateFields, 'persist'].map((n) =>
  g(`lvs_real_server_${n}`, ['service', 'real_server']),
);
const viaPromClient = async () => {
  for (const x of [...ipvsGauges, ...rsGauges]) x.reset();
  for (const s of snapshot.services) {
    const k = s.key;
    if (k.kind !== 'addr') continue;
    const svc = `TCP ${k.addr}:${k.port}`;
    for (const r of s.dests) {
      const l = {
        local_address: k.addr,
        local_port: String(k.port),
        remote_address: r.addr,
        remote_port: String(r.port),
        proto: 'TCP',
        local_mark: '',
      };
      ipvsGauges[0]!.set(l, r.activeConns);
      ipvsGauges[1]!.set(l, r.inactConns);
      ipvsGauges[2]!.set(l, r.weight);
      const rl = { service: svc, real_server: `${r.addr}:${r.port}` };
      const vals = [...rsFields.map((f) => r.stats[f]), ...rateFields.map((f) => r.rates[f]), r.persistConns];
      vals.forEach((v, i) => {
        rsGauges[i]!.set(rl, v);
      });
    }
  }
  return registry.metrics();
};
const directCpu: number[] = [];
const promCpu: number[] = [];
for (let i = 0; i < Math.max(5, Math.floor(runs / 3)); i++) {
  let c0 = cpuMs();
  direct();
  directCpu.push(cpuMs() - c0);
  c0 = cpuMs();
  await viaPromClient();
  promCpu.push(cpuMs() - c0);
}
await d.close();

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  loadavg: loadavg(),
  services: SERVICES,
  realServers: SERVICES * REALS,
  runs,
  scrape: {
    cpuMsMedian: median(cpu),
    cpuMsMax: Math.max(...cpu),
    renderCpuMsMedian: median(renderCpu),
    wallMsMedian: median(wall),
    bytes,
    series,
  },
  eventLoopDelay: { idle, scraping },
  tableFamilies: { directCpuMsMedian: median(directCpu), promClientCpuMsMedian: median(promCpu) },
};
writeFileSync('bench/results/metrics-scrape.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(
  [
    `| figure (1,000 services × 10 real servers, ${runs} scrapes) | median | max |`,
    '|---|---:|---:|',
    `| lvsd CPU per scrape, ms (target < 50) | ${median(cpu).toFixed(1)} | ${Math.max(...cpu).toFixed(1)} |`,
    `| of which building the text (queries + writer), ms | ${median(renderCpu).toFixed(1)} | ${Math.max(...renderCpu).toFixed(1)} |`,
    `| wall time per scrape, ms | ${median(wall).toFixed(1)} | ${Math.max(...wall).toFixed(1)} |`,
    `| event-loop delay idle, ms (p99 / max) | ${idle.p99Ms.toFixed(1)} | ${idle.maxMs.toFixed(1)} |`,
    `| event-loop delay while scraping, ms (p99 / max) | ${scraping.p99Ms.toFixed(1)} | ${scraping.maxMs.toFixed(1)} |`,
    `| table families, direct writer CPU ms | ${median(directCpu).toFixed(1)} | |`,
    `| table families, prom-client gauges CPU ms | ${median(promCpu).toFixed(1)} | |`,
    `| body: ${(bytes / 1e6).toFixed(1)} MB, ${series} series | | |`,
  ].join('\n'),
);
