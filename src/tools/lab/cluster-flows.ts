/**
 * Flow survival in the cluster lab (issue 18's test and `npm run bench:cluster`): the client holds
 * `conns` long-lived keep-alive HTTP connections, each asking for the page every 100 ms, and opens
 * a fresh connection every 100 ms; meanwhile one director fails (link down, SIGKILL) or a failed
 * one joins again. The router's hash-threshold multipath moves flows between directors when its
 * next-hop set changes; a moved flow survives when the director it lands on sends it to the same
 * real server (mh on every director, sloppy_tcp) or already holds its conn (sync). A long-lived
 * connection is broken when it errored, was closed or got no answer in its last 3 s.
 */
import { spawnSync } from 'node:child_process';
import { clusterFail } from './cluster-fail.js';
import {
  type ClusterLabState,
  clusterLvsadm,
  clusterNextHops,
  clusterStartDirector,
  planOf,
} from './cluster-lab.js';
import { connsByClientPort } from './cluster-trace.js';
import { CLUSTER_MODE } from './plan.js';
import { labSpawn } from './topology.js';

/** What happens during a run. */
export type ClusterEvent = 'fail' | 'join';

/** Options of {@link runClusterFlows}. */
export interface ClusterFlowsOptions {
  event: ClusterEvent;
  /** 0-based index of the director that fails or joins. */
  director: number;
  /** Long-lived connections (default 60). */
  conns?: number;
  /** Time from the connections' set-up to the event (default 2000 ms). */
  settleMs?: number;
  /** Time the run goes on after the event (default 12000 ms: a BGP hold time and TCP's backoff). */
  afterMs?: number;
}

/** The outcome of one run. */
export interface ClusterFlowsResult {
  event: ClusterEvent;
  conns: number;
  /** Long-lived connections broken. */
  broken: number;
  /** Long-lived connections whose director changed (undefined with sync: every director lists copies). */
  moved: number | undefined;
  /** Fresh connections tried, failed (error or no answer in 8 s) and answered later than 1 s. */
  fresh: number;
  freshFailed: number;
  freshSlow: number;
  /** Time from the event to the router's next-hop set changing (ms). */
  convergenceMs: number;
  nextHopsBefore: string[];
  nextHopsAfter: string[];
}

/**
 * The client, argv `vip conns runMs`: prints `ready` on stderr once every long-lived connection
 * has its first answer, and one JSON report on stdout after runMs.
 */
const CLIENT_JS = `
const net = require('node:net');
const http = require('node:http');
const [vip, nConns, runMs] = process.argv.slice(1);
const N = Number(nConns), RUN = Number(runMs);
const t0 = Date.now();
const conns = [];
let first = 0;
for (let i = 0; i < N; i++) {
  const c = { port: 0, sent: 0, got: 0, last: 0, err: null, closed: false, body: '' };
  const s = net.connect({ host: vip, port: 80 });
  let buf = '';
  s.setEncoding('utf8');
  s.setNoDelay(true);
  const ask = () => { c.sent++; s.write('GET / HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\n'); };
  s.on('connect', () => { c.port = s.localPort; ask();
    c.timer = setInterval(() => { if (c.got === c.sent && !c.err && !c.closed) ask(); }, 100); });
  s.on('data', (d) => { buf += d; let m;
    while ((m = /this is (rs\\d)\\n/.exec(buf))) { buf = buf.slice(m.index + m[0].length);
      if (c.got++ === 0 && ++first === N) process.stderr.write('ready\\n');
      c.body = m[1]; c.last = Date.now(); } });
  s.on('error', (e) => { c.err = e.code || e.message; });
  s.on('close', () => { c.closed = true; clearInterval(c.timer); });
  conns.push(c);
}
const fresh = [];
const freshTimer = setInterval(() => {
  if (Date.now() - t0 > RUN - 8500) return;
  const f = { start: Date.now(), ms: -1 };
  fresh.push(f);
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 8000 }, (res) => {
    res.resume(); res.on('end', () => { f.ms = Date.now() - f.start; });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => {});
}, 100);
setTimeout(() => {
  clearInterval(freshTimer);
  const now = Date.now();
  const out = conns.map((c) => ({ port: c.port, got: c.got, ago: c.last ? now - c.last : -1, err: c.err, closed: c.closed, body: c.body }));
  process.stdout.write(JSON.stringify({ conns: out, fresh: fresh.map((f) => f.ms) }) + '\\n');
  process.exit(0);
}, RUN);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Client port -> directors whose conn table holds it (without sync: the directors that carried
 * it; an entry stays after its flow moved on, until it expires).
 */
function carriers(st: ClusterLabState): Map<number, Set<string>> {
  const p = planOf(st);
  const m = new Map<number, Set<string>>();
  for (const d of p.directors) {
    if (!alive(st, d)) continue;
    try {
      for (const port of connsByClientPort(clusterLvsadm(st, d, ['-Lnc']), p.vip).keys()) {
        const s = m.get(port) ?? new Set<string>();
        s.add(d);
        m.set(port, s);
      }
    } catch {
      /* a failed director has no table */
    }
  }
  return m;
}

function alive(st: ClusterLabState, d: string): boolean {
  const pid = st.pids[d];
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs one flow-survival run; the lab must be up (for `join`, with `director` failed). */
export async function runClusterFlows(
  st: ClusterLabState,
  o: ClusterFlowsOptions,
): Promise<ClusterFlowsResult> {
  const p = planOf(st);
  const n = o.conns ?? 60;
  const settle = o.settleMs ?? 2000;
  const after = o.afterMs ?? 12_000;
  const client = labSpawn(CLUSTER_MODE, 'client', [
    process.execPath,
    '-e',
    CLIENT_JS,
    p.vip,
    String(n),
    String(settle + after + 3000),
  ]);
  let out = '';
  let err = '';
  client.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<void>((r) => client.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`client not ready in 3 s: ${err}`)), 3000);
    client.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await sleep(settle);
  const before = st.sync ? undefined : carriers(st);
  const nextHopsBefore = clusterNextHops(st);
  const t0 = Date.now();
  if (o.event === 'fail') clusterFail(st, o.director);
  else clusterStartDirector(st, o.director);
  let convergenceMs = -1;
  while (Date.now() - t0 < after) {
    if (convergenceMs < 0 && clusterNextHops(st).join() !== nextHopsBefore.join())
      convergenceMs = Date.now() - t0;
    await sleep(100);
  }
  const afterMap = st.sync ? undefined : carriers(st);
  await exited;
  const rep = JSON.parse(out) as {
    conns: { port: number; got: number; ago: number; err: string | null; closed: boolean }[];
    fresh: number[];
  };
  const broken = rep.conns.filter((c) => c.err !== null || c.closed || c.ago < 0 || c.ago > 3000).length;
  let moved: number | undefined;
  if (before && afterMap) {
    moved = 0;
    const dead = o.event === 'fail' ? p.directors[o.director] : undefined;
    for (const c of rep.conns) {
      const b = [...(before.get(c.port) ?? [])];
      const a = afterMap.get(c.port) ?? new Set<string>();
      // Moved: it was on the failed director, or another director now holds it too.
      if (b.length === 1 && (b[0] === dead || [...a].some((d) => d !== b[0]))) moved++;
    }
  }
  return {
    event: o.event,
    conns: n,
    broken,
    moved,
    fresh: rep.fresh.length,
    freshFailed: rep.fresh.filter((ms) => ms < 0).length,
    freshSlow: rep.fresh.filter((ms) => ms > 1000).length,
    convergenceMs,
    nextHopsBefore,
    nextHopsAfter: clusterNextHops(st),
  };
}

/** Waits (polling every 100 ms) until the router has `count` next hops; returns the time taken. */
export async function waitNextHops(st: ClusterLabState, count: number, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  while (clusterNextHops(st).length !== count) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`router has ${clusterNextHops(st).join(' ') || 'no next hop'}, not ${count}`);
    await sleep(100);
  }
  return Date.now() - t0;
}

/** Checks a spawned helper is available (used by skip reasons). */
export function birdAvailable(): boolean {
  return spawnSync('bird', ['--version']).status === 0;
}
