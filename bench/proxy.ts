/**
 * The proxy race (`npm run bench:proxy`): HAProxy (mode tcp, 1 thread), nginx stream (1 worker)
 * and lvsd's proxy data plane (1 process) in front of the same backends (nginx HTTP returning
 * 28 bytes, iperf3), measured with the same clients in the same run: iperf3 bulk with 1 and 8
 * streams, wrk keep-alive and `Connection: close` requests/s with p99 latency, and RSS per idle
 * proxied connection with 4,000 held. Every round starts all peers fresh and runs each
 * measurement on the peers back to back (rotating the order per round); wrk runs in 1-second
 * slices taken by the peers in turn (after one uncounted warm-up slice each), so a shared
 * machine's drifting load hits them alike.
 * Medians of the rounds; ratios to HAProxy; results in bench/results/proxy.json. Loopback only:
 * client, proxy and backend share the machine's cores, so the numbers are relative.
 *
 * Options: --rounds N (default 3), --secs S per measurement (iperf3 seconds, and wrk 1-second
 * slices per peer; default 5), --conns N (default 4000),
 * --only keepalive,newconn,... (measure a subset; the others print 0), --peers haproxy,lvs (race a
 * subset; HAProxy is always kept since every ratio is to it). A subset is for quick A/B work on
 * one metric; the recorded race is the full run. `--peers haproxy,lvs,lvsjs` adds lvsd with
 * LVS_PROXY_RELAY=js (its JavaScript relay) to A/B the native relay in the same slices, and
 * `lvsjsaccept` adds lvsd with LVS_PROXY_ACCEPT=js (JS accepts and connects, then hands the fds
 * to the native relay) to A/B native accept.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdIdle, iperf, wrk } from './lib/clients.js';
import {
  backendNginxConf,
  cpuMicros,
  ensurePeers,
  haproxyConf,
  lvsRules,
  nginxStreamConf,
  type Ports,
  type Proc,
  peerVersions,
  rss,
  start,
  waitPort,
} from './lib/peers.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 3);
const SECS = arg('secs', 5);
const CONNS = arg('conns', 4000);
const list = (name: string): string[] | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? '').split(',') : undefined;
};
const ONLY = list('only');
const want = (k: string) => !ONLY || ONLY.includes(k);

type Metric =
  | 'bulk1'
  | 'bulk8'
  | 'keepalive'
  | 'newconn'
  | 'p99ka'
  | 'p99close'
  | 'cpuKa'
  | 'cpuClose'
  | 'rssPerConn';
const METRICS: Metric[] = [
  'bulk1',
  'bulk8',
  'keepalive',
  'newconn',
  'p99ka',
  'p99close',
  'cpuKa',
  'cpuClose',
  'rssPerConn',
];
const LABEL: Record<Metric, string> = {
  bulk1: 'bulk, iperf3 1 stream (Gbit/s)',
  bulk8: 'bulk, iperf3 8 streams (Gbit/s)',
  keepalive: 'keep-alive req/s (wrk -c50)',
  newconn: 'new conn/s (wrk Connection: close)',
  p99ka: 'p99 latency keep-alive (ms)',
  p99close: 'p99 latency new conn (ms)',
  cpuKa: 'proxy CPU per keep-alive request (µs)',
  cpuClose: 'proxy CPU per new-conn request (µs)',
  rssPerConn: 'RSS per idle proxied conn (bytes)',
};
const ALL_PEERS = ['haproxy', 'nginx', 'lvs', 'lvsjs', 'lvsjsaccept'] as const;
type Peer = (typeof ALL_PEERS)[number];
// lvsjs and lvsjsaccept (lvsd relaying or accepting in JavaScript) only race when asked for.
const PEERS = ALL_PEERS.filter(
  (p) =>
    p === 'haproxy' ||
    (list('peers') ?? ALL_PEERS.filter((x) => x !== 'lvsjs' && x !== 'lvsjsaccept')).includes(p),
);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS per idle proxied connection, measured on a fresh, idle proxy. */
async function memory(proc: Proc, http: number): Promise<number> {
  // Memory first, on a freshly started proxy: allocators and pools (HAProxy's, V8's) keep
  // memory after load, so a later delta would measure reuse, not the cost of a connection.
  const pid = proc.rssPid();
  await sleep(500);
  const before = rss(pid);
  const release = await holdIdle(http, CONNS);
  await sleep(1500);
  const after = rss(pid);
  release();
  await sleep(1000);
  return Math.max(0, (after - before) / CONNS);
}

interface WrkSummary {
  rps: number;
  p99ms: number;
  cpuUs: number;
}

/**
 * wrk against every peer in 1-second slices taken in turn (A B C A B C ...), SECS slices each:
 * on a shared machine the load drifts over seconds, so interleaving puts the peers under the
 * same conditions far better than one long run each. Requests/s is the mean over the slices,
 * p99 the median of the slices' p99, CPU µs per request the proxy's CPU time (all threads,
 * /proc) over all its slices divided by their requests.
 */
async function interleavedWrk(
  order: readonly Peer[],
  procs: Record<Peer, Proc>,
  ports: Record<Peer, [number, number]>,
  close: boolean,
): Promise<Record<Peer, WrkSummary>> {
  const acc = new Map<Peer, { rps: number[]; p99: number[]; cpu: number; req: number; errors: number }>();
  for (const p of order) acc.set(p, { rps: [], p99: [], cpu: 0, req: 0, errors: 0 });
  // One uncounted slice each first: a JIT (V8's) warms up, as any long-running proxy has.
  for (const peer of order) await wrk(ports[peer][0], close, 1);
  for (let slice = 0; slice < SECS; slice++) {
    for (const peer of order) {
      const a = acc.get(peer) as NonNullable<ReturnType<typeof acc.get>>;
      const pid = procs[peer].rssPid();
      const c0 = cpuMicros(pid);
      const w = await wrk(ports[peer][0], close, 1);
      a.cpu += cpuMicros(pid) - c0;
      a.req += w.requests;
      a.errors += w.errors;
      a.rps.push(w.rps);
      a.p99.push(w.p99ms);
      if (close) await sleep(200); // let TIME_WAIT sockets of the last slice settle
    }
  }
  const out = {} as Record<Peer, WrkSummary>;
  for (const [peer, a] of acc) {
    if (a.errors) console.log(`  ${peer}: wrk errors ${close ? 'close' : 'keep-alive'}=${a.errors}`);
    out[peer] = {
      rps: a.rps.reduce((x, y) => x + y, 0) / a.rps.length,
      p99ms: median(a.p99),
      cpuUs: a.req ? a.cpu / a.req : 0,
    };
  }
  return out;
}

async function main(): Promise<void> {
  ensurePeers();
  const dir = mkdtempSync(join(tmpdir(), 'lvs-bench-'));
  // Below the ephemeral range (32768+ on Linux), so no client socket of the run already holds one.
  const base = 20000 + Math.floor(Math.random() * 12000);
  const ports: Ports = {
    httpBackend: base,
    iperf: base + 1,
    haproxy: [base + 2, base + 3],
    nginx: [base + 4, base + 5],
    lvs: [base + 6, base + 7],
  };
  const lvsjsPorts: [number, number] = [base + 8, base + 9];
  const lvsjsacceptPorts: [number, number] = [base + 10, base + 11];
  const procs: Proc[] = [];
  const runs: Record<Peer, Record<Metric, number>[]> = {
    haproxy: [],
    nginx: [],
    lvs: [],
    lvsjs: [],
    lvsjsaccept: [],
  };
  try {
    procs.push(start('backend-nginx', 'nginx', ['-p', dir, '-c', backendNginxConf(dir, ports.httpBackend)]));
    procs.push(start('iperf3-server', 'iperf3', ['-s', '-p', String(ports.iperf)]));
    // Each proxy is started fresh for every round and stopped after it.
    const launch: Record<Peer, () => Proc> = {
      haproxy: () => start('haproxy', 'haproxy', ['-db', '-f', haproxyConf(dir, ports)]),
      nginx: () => start('nginx-stream', 'nginx', ['-p', dir, '-c', nginxStreamConf(dir, ports)], true),
      lvs: () =>
        start('lvsd', process.execPath, [
          'bin/lvsd',
          '--socket',
          join(dir, 'lvsd.sock'),
          '--restore',
          lvsRules(dir, ports),
          '--log-level',
          'warn',
        ]),
      lvsjs: () =>
        start(
          'lvsd-js',
          process.execPath,
          [
            'bin/lvsd',
            '--socket',
            join(dir, 'lvsd-js.sock'),
            '--restore',
            lvsRules(dir, { ...ports, lvs: lvsjsPorts }, 'lvsjs.rules'),
            '--log-level',
            'warn',
          ],
          false,
          { LVS_PROXY_RELAY: 'js' },
        ),
      lvsjsaccept: () =>
        start(
          'lvsd-js-accept',
          process.execPath,
          [
            'bin/lvsd',
            '--socket',
            join(dir, 'lvsd-js-accept.sock'),
            '--restore',
            lvsRules(dir, { ...ports, lvs: lvsjsacceptPorts }, 'lvsjsaccept.rules'),
            '--log-level',
            'warn',
          ],
          false,
          { LVS_PROXY_ACCEPT: 'js' },
        ),
    };
    await waitPort(ports.httpBackend);
    const portsOf: Record<Peer, [number, number]> = {
      haproxy: ports.haproxy,
      nginx: ports.nginx,
      lvs: ports.lvs,
      lvsjs: lvsjsPorts,
      lvsjsaccept: lvsjsacceptPorts,
    };
    for (let round = 1; round <= ROUNDS; round++) {
      // Every peer starts fresh each round; each measurement runs the peers back to back, in an
      // order that rotates per round, so no peer always goes first (or last).
      const order = PEERS.map((_, i) => PEERS[(i + round - 1) % PEERS.length] as Peer);
      console.log(`round ${round}/${ROUNDS} (order ${order.join(', ')})`);
      const live = {} as Record<Peer, Proc>;
      const m = {} as Record<Peer, Record<Metric, number>>;
      try {
        for (const peer of order) live[peer] = launch[peer]();
        for (const peer of order) for (const p of portsOf[peer]) await waitPort(p);
        for (const peer of order)
          m[peer] = Object.fromEntries(METRICS.map((k) => [k, 0])) as Record<Metric, number>;
        if (want('rssPerConn'))
          for (const peer of order) m[peer].rssPerConn = await memory(live[peer], portsOf[peer][0]);
        if (want('bulk1')) for (const peer of order) m[peer].bulk1 = await iperf(portsOf[peer][1], 1, SECS);
        if (want('bulk8')) for (const peer of order) m[peer].bulk8 = await iperf(portsOf[peer][1], 8, SECS);
        if (want('keepalive')) {
          const ka = await interleavedWrk(order, live, portsOf, false);
          for (const peer of order) {
            m[peer].keepalive = ka[peer].rps;
            m[peer].p99ka = ka[peer].p99ms;
            m[peer].cpuKa = ka[peer].cpuUs;
          }
        }
        if (want('newconn')) {
          const nc = await interleavedWrk(order, live, portsOf, true);
          for (const peer of order) {
            m[peer].newconn = nc[peer].rps;
            m[peer].p99close = nc[peer].p99ms;
            m[peer].cpuClose = nc[peer].cpuUs;
          }
        }
      } finally {
        for (const peer of order) await live[peer]?.stop();
        await sleep(500);
      }
      for (const peer of PEERS) {
        const x = m[peer];
        runs[peer].push(x);
        console.log(
          `  ${peer.padEnd(8)} bulk ${x.bulk1.toFixed(1)}/${x.bulk8.toFixed(1)} Gbit/s, ka ${x.keepalive.toFixed(0)}/s (${x.cpuKa.toFixed(1)} µs CPU), new ${x.newconn.toFixed(0)}/s (${x.cpuClose.toFixed(1)} µs), rss/conn ${x.rssPerConn.toFixed(0)} B`,
        );
      }
    }
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = {} as Record<Peer, Record<Metric, number>>;
  for (const peer of ALL_PEERS) {
    med[peer] = {} as Record<Metric, number>;
    for (const k of METRICS)
      med[peer][k] = runs[peer].length ? median(runs[peer].map((r) => r[k])) : Number.NaN;
  }
  const ratio = (peer: Peer, k: Metric) => med[peer][k] / med.haproxy[k];
  const targets = {
    bulk1: { min: 0.9 },
    bulk8: { min: 0.9 },
    keepalive: { min: 0.9 },
    newconn: { min: 0.6 },
    rssPerConn: { max: 2 },
  } as const;
  console.log(
    `\nMedians of ${ROUNDS} rounds, ${SECS} s each, ${CONNS} idle conns (${cpus().length} CPUs, loopback):`,
  );
  console.log(
    `${'metric'.padEnd(38)}${'HAProxy'.padStart(12)}${'nginx'.padStart(12)}${'lvsd'.padStart(12)}${'lvsd/HAProxy'.padStart(14)}  target`,
  );
  for (const k of METRICS) {
    const f = (v: number) =>
      k.startsWith('bulk') || k.startsWith('p99') || k.startsWith('cpu') ? v.toFixed(2) : v.toFixed(0);
    const t = (targets as Record<string, { min?: number; max?: number }>)[k];
    const r = ratio('lvs', k);
    const verdict = t
      ? t.min !== undefined
        ? r >= t.min
          ? `≥${t.min} met`
          : `≥${t.min} MISSED`
        : r <= (t.max ?? 0)
          ? `≤${t.max} met`
          : `≤${t.max} MISSED`
      : '';
    console.log(
      `${LABEL[k].padEnd(38)}${f(med.haproxy[k]).padStart(12)}${f(med.nginx[k]).padStart(12)}${f(med.lvs[k]).padStart(12)}${r.toFixed(2).padStart(14)}  ${verdict}`,
    );
  }
  if (ONLY || list('peers')) {
    // A subset is for quick A/B work; only the full race is recorded.
    const per = (k: Metric) =>
      runs.lvs.map((r, i) => (r[k] / (runs.haproxy[i]?.[k] ?? 1)).toFixed(2)).join(' ');
    console.log(`\nper-round lvsd/HAProxy: keep-alive ${per('keepalive')}; CPU per request ${per('cpuKa')}`);
    for (const p of ['lvs', 'lvsjsaccept'] as const) {
      if (!runs[p].length || !want('newconn')) continue;
      const pn = (k: Metric) =>
        runs[p].map((r, i) => (r[k] / (runs.haproxy[i]?.[k] ?? 1)).toFixed(2)).join(' ');
      console.log(
        `per-round ${p}/HAProxy: new conn ${pn('newconn')}; CPU per new-conn request ${pn('cpuClose')}; medians new conn ${ratio(p, 'newconn').toFixed(2)} cpu ${ratio(p, 'cpuClose').toFixed(2)}`,
      );
    }
    if (runs.lvsjs.length) {
      const pj = (k: Metric) =>
        runs.lvsjs.map((r, i) => (r[k] / (runs.haproxy[i]?.[k] ?? 1)).toFixed(2)).join(' ');
      console.log(
        `per-round lvsd-js/HAProxy: keep-alive ${pj('keepalive')}; CPU per request ${pj('cpuKa')}; new conn ${pj('newconn')}; bulk1 ${pj('bulk1')}; medians ka ${ratio('lvsjs', 'keepalive').toFixed(2)} cpu ${ratio('lvsjs', 'cpuKa').toFixed(2)}`,
      );
    }
    return;
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/proxy.json',
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, kernel: release() },
        versions: peerVersions(),
        settings: { rounds: ROUNDS, secs: SECS, idleConns: CONNS },
        medians: med,
        ratiosToHaproxy: Object.fromEntries(
          (['nginx', 'lvs'] as const).map((p) => [
            p,
            Object.fromEntries(METRICS.map((k) => [k, ratio(p, k)])),
          ]),
        ),
        runs,
      },
      null,
      2,
    )}\n`,
  );
  console.log('\nwrote bench/results/proxy.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
