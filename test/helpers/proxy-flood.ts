/**
 * A proxy-plane connection flood in a namespace of its own, shared by bench/flood-proxy.ts and
 * test/e2e/proxy-idle-flood.test.ts (issue #16 point 2): lvsd's proxy plane (NAT, rr) in front
 * of two real servers, a flood client holding idle connections (connect, send nothing) and
 * slowloris ones (a request line and one header, then a byte every few seconds, never the blank
 * line that ends the header), and a legitimate client making one HTTP request per new connection
 * at a fixed rate. The real servers never time anything out, so lvsd's idle timeout (the
 * service's tcp timeout, set with `lvsadm --set`) is the only thing that ends an idle
 * connection. Each child reports a JSON line per second on stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lvsadm } from './lvsadm-in-process.js';
import { createNetns, type Netns } from './netns.js';

/** The service address (TEST-NET-1) and the real servers' (TEST-NET-2), all on the namespace's lo. */
export const FLOOD_VIP = '192.0.2.10';
export const FLOOD_RS = ['198.51.100.11', '198.51.100.12'] as const;
const RS_PORT = 8080;

// A real server with no timeouts: answers a request once its header is complete, holds the
// connection otherwise (an idle or slowloris client costs it nothing but the socket).
const BACKEND = `
const net = require('node:net');
const [addr, port] = process.argv.slice(1);
net.createServer((s) => {
  let tail = '';
  s.on('error', () => {});
  s.on('data', (d) => {
    tail = (tail + d).slice(-4096);
    if (tail.includes('\\r\\n\\r\\n')) s.end('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok');
  });
}).listen({ port: Number(port), host: addr, backlog: 4096 });
`;

// idle + slow connections opened at \`rate\`/s (every k-th one slowloris); each slowloris sends a
// byte every \`trickle\` ms (staggered). A close less than 1 s after the connect counts as refused;
// later closes are kept with their age, per kind.
const FLOOD = `
const net = require('node:net');
const [vip, port, idle, slow, rate, trickle] = process.argv.slice(1).map((x, i) => i === 0 ? x : Number(x));
const total = idle + slow, k = slow > 0 ? Math.max(1, Math.floor(total / slow)) : 0;
const st = { made: 0, opened: 0, connectFailed: 0, refused: 0, openIdle: 0, openSlow: 0, idleClosedAges: [], slowClosedAges: [], errs: {} };
const slowSocks = [];
let owed = 0, made = 0, slowMade = 0;
function one(isSlow) {
  const s = net.connect({ host: vip, port });
  let at = 0;
  s.on('connect', () => {
    at = Date.now(); st.opened++;
    if (isSlow) { st.openSlow++; s.write('GET / HTTP/1.1\\r\\nHost: vip\\r\\n'); slowSocks.push(s); } else st.openIdle++;
  });
  s.on('error', (e) => { st.errs[e.code] = (st.errs[e.code] || 0) + 1; });
  s.on('data', () => {});
  s.on('close', () => {
    if (at === 0) { st.connectFailed++; return; }
    if (isSlow) { st.openSlow--; const i = slowSocks.indexOf(s); if (i >= 0) slowSocks.splice(i, 1); } else st.openIdle--;
    const age = Date.now() - at;
    if (age < 1000) st.refused++;
    else (isSlow ? st.slowClosedAges : st.idleClosedAges).push(age);
  });
}
const pace = setInterval(() => {
  owed += rate / 100;
  while (owed >= 1 && made < total) {
    owed--;
    const isSlow = k > 0 && slowMade < slow && made % k === k - 1;
    if (isSlow) slowMade++;
    one(isSlow); made++; st.made = made;
  }
  if (made >= total) clearInterval(pace);
}, 10);
let turn = 0;
setInterval(() => { const n = slowSocks.length; for (let i = turn % 10; i < n; i += 10) slowSocks[i].write('X'); turn++; }, Math.max(10, trickle / 10));
setInterval(() => process.stdout.write(JSON.stringify(st) + '\\n'), 1000);
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify(st) + '\\n'); process.exit(0); });
`;

// One HTTP request per new connection at \`rate\`/s, 5 s timeout; per second: successes with
// their latencies (ms), failures with their reasons.
const LEGIT = `
const http = require('node:http');
const [vip, rate] = [process.argv[1], Number(process.argv[2])];
let lat = [], fail = 0, errs = {}, owed = 0;
function one() {
  const t = process.hrtime.bigint();
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200) lat.push(Number(process.hrtime.bigint() - t) / 1e6); else bad('status ' + res.statusCode); });
    res.on('error', (e) => bad(e.code || e.message));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => bad(e.code || e.message));
}
function bad(why) { fail++; errs[why] = (errs[why] || 0) + 1; }
setInterval(() => { owed += rate / 100; while (owed >= 1) { owed--; one(); } }, 10);
setInterval(() => { process.stdout.write(JSON.stringify({ t: Date.now(), lat, fail, errs }) + '\\n'); lat = []; fail = 0; errs = {}; }, 1000);
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 5500));
`;

/** What the flood client reports (cumulative). */
export interface FloodReport {
  made: number;
  opened: number;
  connectFailed: number;
  /** Closed by the director within 1 s of the connect (reset at accept: budget, conn_max). */
  refused: number;
  openIdle: number;
  openSlow: number;
  /** Age in ms of every idle connection the director closed later (its idle timeout). */
  idleClosedAges: number[];
  slowClosedAges: number[];
  errs: Record<string, number>;
}

/** One second of the legitimate client. */
export interface LegitSecond {
  t: number;
  lat: number[];
  fail: number;
  errs: Record<string, number>;
}

/** One sample of lvsd. */
export interface LvsdSample {
  t: number;
  rssKiB: number;
  fds: number;
  /** How long `lvsadm -Ln` took (in-process client: the daemon's answer time), ms. */
  lvsadmMs: number;
  lvsadmOk: boolean;
  /** ActiveConn + InActConn summed over the real servers, from `lvsadm -Ln`. */
  conns: number;
}

/** A running flood rig. */
export interface FloodRig {
  readonly ns: Netns;
  readonly lvsd: ChildProcess;
  readonly socket: string;
  /** The proxy plane's descriptor budget from lvsd's start line (0 when not seen). */
  budget(): { total: number; limit: number };
  log(): string;
  /** Latest flood report (undefined before the first). */
  flood(): FloodReport | undefined;
  legit(): LegitSecond[];
  sample(t0: number): Promise<LvsdSample>;
  startFlood(idle: number, slow: number, rate: number, trickleMs: number): void;
  stopFlood(): Promise<void>;
  startLegit(rate: number): void;
  /** The namespace's TCP listen-queue counters (nstat, absolute): ListenOverflows, ListenDrops, ... */
  listenCounters(): Record<string, number>;
  stopLegit(): Promise<void>;
  destroy(): void;
}

/** Options of {@link startFloodRig}. */
export interface FloodRigOptions {
  /** RLIMIT_NOFILE (soft and hard) for lvsd and the flood client, set with prlimit (default: inherited). */
  nofile?: number;
  /** Extra lvsd arguments (e.g. `--listen-backlog 128`). */
  lvsdArgs?: readonly string[];
  /** The tcp timeout set with `lvsadm --set` once lvsd answers (seconds; default 900, unchanged). */
  tcpTimeout?: number;
  /** Namespace sysctls set before lvsd starts (`net.core.somaxconn=64`). */
  sysctls?: readonly string[];
}

function lines<T>(c: ChildProcess, each: (v: T) => void): void {
  let buf = '';
  c.stdout?.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        each(JSON.parse(l) as T);
      } catch {}
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Builds the namespace, starts the real servers and lvsd, and waits until lvsd serves. */
export async function startFloodRig(o: FloodRigOptions = {}): Promise<FloodRig> {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-flood-'));
  const ns = createNetns({ namespaces: ['flood'] });
  const limit = o.nofile ? ['prlimit', `--nofile=${o.nofile}:${o.nofile}`, '--'] : [];
  for (const kv of o.sysctls ?? []) {
    const r = ns.exec('flood', ['sysctl', '-w', kv]);
    if (r.status !== 0) {
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sysctl -w ${kv}: ${r.stderr}`);
    }
  }
  ns.ip('flood', 'addr', 'add', `${FLOOD_VIP}/32`, 'dev', 'lo');
  for (const a of FLOOD_RS) ns.ip('flood', 'addr', 'add', `${a}/32`, 'dev', 'lo');
  for (const a of FLOOD_RS)
    ns.spawn('flood', [...limit, process.execPath, '-e', BACKEND, a, String(RS_PORT)]);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `virtual_server ${FLOOD_VIP} 80 {\n    lvs_sched rr\n    lvs_method NAT\n    protocol TCP\n${FLOOD_RS.map(
      (a) => `    real_server ${a} ${RS_PORT} {\n        weight 1\n    }\n`,
    ).join('')}}\n`,
  );
  const socket = join(dir, 'lvsd.sock');
  const lvsd = ns.spawn(
    'flood',
    [
      ...limit,
      process.execPath,
      'bin/lvsd',
      '--sysctl-files',
      'none',
      '--socket',
      socket,
      '--dataplane',
      'proxy',
      ...(o.lvsdArgs ?? []),
      '--config',
      conf,
    ],
    { env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  lvsd.stdout?.on('data', (d) => (log += d));
  lvsd.stderr?.on('data', (d) => (log += d));
  let flood: ChildProcess | undefined;
  let lastFlood: FloodReport | undefined;
  let legit: ChildProcess | undefined;
  const seconds: LegitSecond[] = [];
  const rig: FloodRig = {
    ns,
    lvsd,
    socket,
    budget() {
      const m = /file descriptors: up to (\d+) of (\d+)/.exec(log);
      return { total: Number(m?.[1] ?? 0), limit: Number(m?.[2] ?? 0) };
    },
    log: () => log,
    flood: () => lastFlood,
    legit: () => seconds,
    async sample(t0) {
      const pid = lvsdPid(lvsd);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const fds = readdirSync(`/proc/${pid}/fd`).length;
      const t = performance.now();
      const r = await lvsadm(socket, ['-Ln']);
      const lvsadmMs = performance.now() - t;
      let conns = 0;
      for (const l of r.out.split('\n')) {
        const f = l.trim().split(/\s+/);
        if (f[0] === '->' && /^\d+$/.test(f[3] ?? '')) conns += Number(f[4]) + Number(f[5]);
      }
      return { t: Date.now() - t0, rssKiB, fds, lvsadmMs, lvsadmOk: r.code === 0, conns };
    },
    startFlood(idle, slow, rate, trickleMs) {
      flood = ns.spawn('flood', [
        ...limit,
        process.execPath,
        '-e',
        FLOOD,
        FLOOD_VIP,
        '80',
        String(idle),
        String(slow),
        String(rate),
        String(trickleMs),
      ]);
      lines<FloodReport>(flood, (v) => (lastFlood = v));
    },
    async stopFlood() {
      if (!flood) return;
      const f = flood;
      const done = new Promise((r) => f.once('exit', r));
      f.kill('SIGTERM');
      await done;
      flood = undefined;
    },
    listenCounters() {
      const names = [
        'TcpExtListenOverflows',
        'TcpExtListenDrops',
        'TcpExtSyncookiesSent',
        'TcpExtTCPReqQFullDrop',
      ];
      const r = ns.exec('flood', ['nstat', '-asz', ...names]);
      const out: Record<string, number> = {};
      for (const l of r.stdout.split('\n')) {
        const [k, v] = l.trim().split(/\s+/);
        if (k && names.includes(k)) out[k.replace('TcpExt', '')] = Number(v);
      }
      return out;
    },
    startLegit(rate) {
      legit = ns.spawn('flood', [process.execPath, '-e', LEGIT, FLOOD_VIP, String(rate)]);
      lines<LegitSecond>(legit, (v) => seconds.push(v));
    },
    async stopLegit() {
      if (!legit) return;
      const l = legit;
      const done = new Promise((r) => l.once('exit', r));
      l.kill('SIGTERM');
      await done;
      legit = undefined;
    },
    destroy() {
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const ready = Date.now() + 30_000;
    for (;;) {
      const r = await lvsadm(socket, ['-Ln']).catch(() => ({ code: 1, out: '' }));
      if (r.code === 0 && FLOOD_RS.every((a) => r.out.includes(`${a}:${RS_PORT}`)) && /serving/.test(log))
        break;
      if (Date.now() > ready) throw new Error(`lvsd not ready in 30 s:\n${log.slice(-2000)}`);
      await sleep(200);
    }
    if (o.tcpTimeout !== undefined) {
      const r = await lvsadm(socket, ['--set', String(o.tcpTimeout), '0', '0']);
      if (r.code !== 0) throw new Error(`lvsadm --set: ${r.err}`);
    }
  } catch (e) {
    rig.destroy();
    throw e;
  }
  return rig;
}

// lvsd runs as `ip netns exec [prlimit --] node bin/lvsd`: both exec, so the child's pid is lvsd's.
function lvsdPid(c: ChildProcess): number {
  if (c.pid === undefined) throw new Error('lvsd has no pid');
  return c.pid;
}

/** The q-quantile (0..1) of `xs` (nearest rank; NaN when empty). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}
