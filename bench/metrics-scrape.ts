/**
 * The cost of a /metrics scrape (`npm run bench:metrics`), in two parts.
 *
 * A. An in-process lvsd (table only) holding 1,000 services × 10 real servers with traffic counted
 * on every real server, scraped over HTTP (GET /metrics on a loopback node:http server dispatching
 * to the metrics routes) N times by a keep-alive client in a separate process, as Prometheus
 * scrapes. Reports per scrape: lvsd CPU time (process.cpuUsage user + system around the request),
 * the part of it that builds the whole body at once, wall time, body size and series count; the
 * event loop's delay (perf_hooks.monitorEventLoopDelay, max and p99) while idle and while scraping
 * back to back — the max is the longest time anything else on the loop (the relay, timers, health
 * checks, the control socket) waited; the scrape after a weight change (same services and real
 * servers) and after a real server is added (labels rebuilt); and what gzip (level 1) of the body
 * would cost, which is why lvsd does not compress.
 *
 * B. A real `lvsd --dataplane proxy --http` process with the same 1,000 × 10 table on loopback
 * ports plus one service relaying to an echo server, and a ping-pong load (K connections, 64-byte
 * round trips) through it: round trips per second and latency p99/max with no scrapes and while a
 * client scrapes /metrics back to back, alternating windows; lvsd's CPU per scrape from
 * /proc/PID/stat (the scraping window's CPU minus the load-only window's, over the scrapes).
 *
 * Beside it, the same table families (node_ipvs_* per-backend gauges and lvs_real_server_*)
 * written through prom-client Gauges (reset and set per label set, then registry.metrics()) versus
 * the direct writer, to show why the table families bypass prom-client.
 * Results in bench/results/metrics-scrape.json. Options: --runs N (default 30), --secs S per
 * part-B window (default 3), --rounds R of part-B window pairs (default 3), --conns K (default 4),
 * --in-process-only (part A alone; the results file is then left as it was).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
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
import { cpuMicros, start } from './lib/peers.js';
import { pingPong, scraper } from './lib/scrape-clients.js';

// The compiled dist/ build, which is what lvsd runs (`npm run bench:metrics` builds it first).
const dist = (m: string) => import(new URL(`../dist/${m}.js`, import.meta.url).href);
const { serviceViews } = (await dist('control/snapshot')) as typeof SnapshotM;
const { ipBytes } = (await dist('core/addr')) as typeof AddrM;
const { PacketInfo } = (await dist('core/director')) as typeof DirectorM;
const { startDaemon } = (await dist('daemon/daemon')) as typeof DaemonM;
const { createMetrics } = (await dist('daemon/metrics/metrics')) as typeof MetricsM;
const { TableWriter } = (await dist('daemon/metrics/table-writer')) as typeof TableM;

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    secs: { type: 'string' },
    rounds: { type: 'string' },
    conns: { type: 'string' },
    'in-process-only': { type: 'boolean' },
  },
});
const runs = Number(values.runs ?? 30);
const SECS = Number(values.secs ?? 3);
const ROUNDS = Number(values.rounds ?? 3);
const CONNS = Number(values.conns ?? 4);
/** Part B's paced scrapes: one a second, 15 times Prometheus' default scrape_interval. */
const EVERY_MS = 1000;
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

const client = scraper(`${http.url}/metrics`);
const scrapeOnce = async () => Number((await client.ask('one')).split(' ')[1]);
const cpu: number[] = [];
const renderCpu: number[] = [];
const wall: number[] = [];
const first = await metrics.render();
const bytes = Buffer.byteLength(first);
const series = first.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
await scrapeOnce(); // warm-up
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs();
  await metrics.renderBytes();
  renderCpu.push(cpuMs() - c0);
}
h.enable();
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs();
  wall.push(await scrapeOnce());
  cpu.push(cpuMs() - c0);
}
h.disable();
const scraping = { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };

// After a table change: a weight edit (same services and real servers: labels kept) and an added
// real server (labels rebuilt from the `list` views), each followed by one scrape.
const changed = (cmd: Parameters<typeof d.apply>[0]) => async () => {
  d.apply(cmd);
  const c0 = cpuMs();
  await scrapeOnce();
  return cpuMs() - c0;
};
const svc0 = { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.1', port: 1000 } as const;
const dest0 = {
  addr: '198.51.100.1',
  port: 8000,
  af: 4,
  fwd: 0,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  tunType: 0,
  tunPort: 0,
  tunFlags: 0,
} as const;
const weightCpu: number[] = [];
const addCpu: number[] = [];
const addDelay: number[] = [];
for (let i = 0; i < 5; i++) {
  weightCpu.push(await changed({ op: 'edit-dest', service: svc0, dest: { ...dest0, weight: 2 + i } })());
  h.reset();
  h.enable();
  addCpu.push(
    await changed({ op: 'add-dest', service: svc0, dest: { ...dest0, addr: `198.51.100.${200 + i}` } })(),
  );
  h.disable();
  addDelay.push(h.max / 1e6);
}
// Traffic on every real server and an estimator period between scrapes: every counter and most
// rates change, so no line of the previous body can be sent as it was (the worst case of a scrape).
const trafficCpu: number[] = [];
let tNow = t0 + 4000;
for (let i = 0; i < Math.min(runs, 10); i++) {
  for (let s = 0; s < SERVICES; s++)
    for (let r = 0; r < REALS; r++) {
      p.dstAddr = ipBytes(`192.0.2.${1 + (s % 250)}`) as Uint8Array;
      p.dstPort = 1000 + s;
      p.srcPort = 2048 + ((i * REALS + r) % 60000);
      p.length = 60 + i * 7;
      core.inPacket(p, tNow);
    }
  core.tick((tNow += 2000));
  const c0 = cpuMs();
  await scrapeOnce();
  trafficCpu.push(cpuMs() - c0);
}
client.stop();
await http.close();
metrics.close();

// gzip at level 1, the cheapest, of one body: what Accept-Encoding: gzip would add per scrape.
const body = await metrics.renderBytes();
const gz0 = cpuMs();
const gzBytes = gzipSync(body, { level: 1 }).length;
const gzipCpu = cpuMs() - gz0;

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
for (let i = 0; i < 3; i++) {
  let c0 = cpuMs();
  direct();
  directCpu.push(cpuMs() - c0);
  c0 = cpuMs();
  await viaPromClient();
  promCpu.push(cpuMs() - c0);
}
await d.close();

/** Part B: a real lvsd process, proxy plane, the same table on loopback, and a ping-pong load. */
async function partB() {
  // Part B: a real lvsd process, proxy plane, the same table on loopback, and a ping-pong load.
  const freePort = () =>
    new Promise<number>((ok) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => ok(port));
      });
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
  const [httpPort, echoPort, vipPort] = [await freePort(), await freePort(), await freePort()];
  const rules: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    // 127.0.1.0/24 is loopback on Linux (127/8 on lo): the listeners need no address added.
    const vip = `127.0.1.${1 + (s % 250)}:${20000 + s}`;
    rules.push(`-A -t ${vip} -s rr`);
    for (let r = 0; r < REALS; r++) rules.push(`-a -t ${vip} -r 127.0.2.${1 + r}:8000 -m -w ${1 + r}`);
  }
  rules.push(
    `-A -t 127.0.0.1:${vipPort} -s rr`,
    `-a -t 127.0.0.1:${vipPort} -r 127.0.0.1:${echoPort} -m -w 1`,
  );
  writeFileSync(join(dir, 'rules'), `${rules.join('\n')}\n`);
  const lvsd = start('lvsd', process.execPath, [
    'bin/lvsd',
    '--socket',
    join(dir, 'lvsd.sock'),
    '--restore',
    join(dir, 'rules'),
    '--http',
    `127.0.0.1:${httpPort}`,
    '--sysctl-files',
    'none',
    '--log-level',
    'warn',
  ]);
  const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
  let up = false;
  for (let i = 0; i < 300 && !up; i++) {
    up = await fetch(metricsUrl).then(
      async (r) => {
        await r.arrayBuffer();
        return r.ok;
      },
      () => false,
    );
    if (!up) await sleep(100);
  }
  if (!up) throw new Error('lvsd --http did not answer /metrics');
  const pid = lvsd.child.pid as number;
  const pp = pingPong(vipPort, echoPort, CONNS);
  await pp.ready;
  await pp.ask('start');
  await sleep(1000);
  await pp.ask('report'); // warm-up
  const sc = scraper(metricsUrl);
  type Window = {
    n: number;
    p50: number;
    p99: number;
    max: number;
    secs: number;
    cpuUs: number;
    scrapes: number;
  };
  const quietW: Window[] = [];
  const busyW: Window[] = [];
  const everyW: Window[] = [];
  /** A window of load: no scrapes, scrapes back to back (0), or one every `every` ms. */
  const window = async (every: number | undefined): Promise<Window> => {
    const c0 = cpuMicros(pid);
    const t0 = performance.now();
    if (every !== undefined) await sc.ask(`loop ${every}`);
    await sleep(SECS * 1000);
    const scrapes = every !== undefined ? Number(await sc.ask('stop')) : 0;
    const load = JSON.parse(await pp.ask('report')) as { n: number; p50: number; p99: number; max: number };
    return { ...load, secs: (performance.now() - t0) / 1000, cpuUs: cpuMicros(pid) - c0, scrapes };
  };
  for (let r = 0; r < ROUNDS; r++) {
    quietW.push(await window(undefined));
    everyW.push(await window(EVERY_MS));
    busyW.push(await window(0));
  }
  sc.stop();
  pp.stop();
  await lvsd.stop();
  rmSync(dir, { recursive: true, force: true });
  const rtps = (w: Window) => w.n / w.secs;
  // lvsd CPU per scrape: the scraping window's CPU minus the load's share (the quiet window's rate).
  const perScrapeMs = busyW.map((w, i) => {
    const q = quietW[i] as Window;
    return (w.cpuUs - (q.cpuUs / q.secs) * w.secs) / 1000 / Math.max(1, w.scrapes);
  });
  return {
    conns: CONNS,
    secs: SECS,
    rounds: ROUNDS,
    quiet: {
      roundTripsPerSec: median(quietW.map(rtps)),
      p99Ms: median(quietW.map((w) => w.p99)),
      maxMs: Math.max(...quietW.map((w) => w.max)),
    },
    scrapingEverySecond: {
      everyMs: EVERY_MS,
      roundTripsPerSec: median(everyW.map(rtps)),
      p99Ms: median(everyW.map((w) => w.p99)),
      maxMs: Math.max(...everyW.map((w) => w.max)),
    },
    scraping: {
      roundTripsPerSec: median(busyW.map(rtps)),
      p99Ms: median(busyW.map((w) => w.p99)),
      maxMs: Math.max(...busyW.map((w) => w.max)),
      scrapesPerSec: median(busyW.map((w) => w.scrapes / w.secs)),
      lvsdCpuMsPerScrape: median(perScrapeMs),
    },
  };
}
const live = values['in-process-only'] ? undefined : await partB();

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
  afterChange: {
    weightEditCpuMsMedian: median(weightCpu),
    addDestCpuMsMedian: median(addCpu),
    addDestLoopDelayMaxMs: Math.max(...addDelay),
    everyCounterChangedCpuMsMedian: median(trafficCpu),
  },
  gzipLevel1: { cpuMs: gzipCpu, bytes: gzBytes },
  eventLoopDelay: { idle, scraping },
  live,
  tableFamilies: { directCpuMsMedian: median(directCpu), promClientCpuMsMedian: median(promCpu) },
};
// A run of part A alone does not replace the recorded figures.
if (live) writeFileSync('bench/results/metrics-scrape.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(
  [
    `| figure (1,000 services × 10 real servers, ${runs} scrapes) | median | max |`,
    '|---|---:|---:|',
    `| lvsd CPU per scrape, ms (target < 50) | ${median(cpu).toFixed(1)} | ${Math.max(...cpu).toFixed(1)} |`,
    `| building the whole body at once (queries + writer), ms | ${median(renderCpu).toFixed(1)} | ${Math.max(...renderCpu).toFixed(1)} |`,
    `| scrape after a weight edit (labels kept), CPU ms | ${median(weightCpu).toFixed(1)} | ${Math.max(...weightCpu).toFixed(1)} |`,
    `| scrape after adding a real server (labels rebuilt), CPU ms | ${median(addCpu).toFixed(1)} | ${Math.max(...addCpu).toFixed(1)} |`,
    `| event-loop delay during that scrape, max ms (of ${addDelay.length}) | | ${Math.max(...addDelay).toFixed(1)} |`,
    `| scrape after traffic on every real server (every counter changed), CPU ms | ${median(trafficCpu).toFixed(1)} | ${Math.max(...trafficCpu).toFixed(1)} |`,
    `| gzip level 1 of the body (not done), CPU ms; ${(gzBytes / 1e6).toFixed(2)} MB | ${gzipCpu.toFixed(1)} | |`,
    `| wall time per scrape, ms | ${median(wall).toFixed(1)} | ${Math.max(...wall).toFixed(1)} |`,
    `| event-loop delay idle, ms (p99 / max) | ${idle.p99Ms.toFixed(1)} | ${idle.maxMs.toFixed(1)} |`,
    `| event-loop delay while scraping, ms (p99 / max) | ${scraping.p99Ms.toFixed(1)} | ${scraping.maxMs.toFixed(1)} |`,
    `| table families, direct writer CPU ms | ${median(directCpu).toFixed(1)} | |`,
    `| table families, prom-client gauges CPU ms | ${median(promCpu).toFixed(1)} | |`,
    `| body: ${(bytes / 1e6).toFixed(1)} MB, ${series} series | | |`,
  ].join('\n'),
);
if (live)
  console.log(
    [
      `| real lvsd, proxy plane, ${CONNS} ping-pong connections, ${ROUNDS} × ${SECS} s windows | no scrapes | a scrape every ${EVERY_MS} ms | scraping back to back |`,
      '|---|---:|---:|---:|',
      `| round trips per second (median of windows) | ${live.quiet.roundTripsPerSec.toFixed(0)} | ${live.scrapingEverySecond.roundTripsPerSec.toFixed(0)} | ${live.scraping.roundTripsPerSec.toFixed(0)} |`,
      `| round-trip latency p99, ms (median of windows) | ${live.quiet.p99Ms.toFixed(2)} | ${live.scrapingEverySecond.p99Ms.toFixed(2)} | ${live.scraping.p99Ms.toFixed(2)} |`,
      `| round-trip latency max, ms | ${live.quiet.maxMs.toFixed(1)} | ${live.scrapingEverySecond.maxMs.toFixed(1)} | ${live.scraping.maxMs.toFixed(1)} |`,
      `| scrapes per second; lvsd CPU per scrape, ms (/proc) | | | ${live.scraping.scrapesPerSec.toFixed(1)}; ${live.scraping.lvsdCpuMsPerScrape.toFixed(1)} |`,
    ].join('\n'),
  );
