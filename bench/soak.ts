/**
 * `npm run soak -- --minutes N`: lvsd's proxy plane under steady new connections with real-server
 * churn, configuration reloads and lvsadm edits, in a network namespace of its own (issue #16
 * point 4). Everything runs inside the namespace: lvsd with a keepalived.conf (TCP_CHECK every
 * second), four real servers (small Node HTTP servers), and a client opening a new connection
 * per request at a fixed rate. One real server is SIGKILLed every --kill-every seconds and
 * restarted --restart-after seconds later; lvsd gets SIGHUP every --reload-every seconds and an
 * `lvsadm -e` weight edit every --edit-every seconds. lvsd's RSS, open fds and connection count
 * are sampled every 2 s.
 *
 * Judged: failed requests beyond those in flight on a killed server (a failure within 1 s of a
 * kill counts as in flight) must be 0; once warmed (after --warmup of the run and after the 2 min
 * a closed conn spends in TIME_WAIT), RSS, fds and conns must stay within ±10% of their median
 * (conns and fds also within an absolute slack of 20, which small counts need); after the client
 * stops, the connection table must drain to zero within --drain-seconds (0: not judged). With
 * --mem-probe (and --heap-snapshots S1,S2) lvsd runs with bench/lib/mem-probe.mjs preloaded, and
 * its heap, external and array-buffer sizes go into the results beside RSS (`memory`). Runs
 * too short for a warm window say "not judged". Prints a table, writes bench/results/soak.json
 * (bench/results/soak-smoke.json for runs under 5 min), exits 1 when a judgement fails.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNetns, type Netns, netnsSkipReason } from '../test/helpers/netns.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    rate: { type: 'string', default: '200' },
    'kill-every': { type: 'string', default: '10' },
    'restart-after': { type: 'string', default: '5' },
    'reload-every': { type: 'string', default: '30' },
    'edit-every': { type: 'string', default: '7' },
    warmup: { type: 'string', default: '0.3' },
    'drain-seconds': { type: 'string', default: '150' },
    // lvsd's process.memoryUsage() every 2 s (bench/lib/mem-probe.mjs) into the results.
    'mem-probe': { type: 'boolean', default: false },
    // Heap snapshots of lvsd at these seconds after its start (comma-separated), into --snapshot-dir.
    'heap-snapshots': { type: 'string', default: '' },
    'snapshot-dir': { type: 'string', default: '/tmp' },
    // Results file name under bench/results (default soak.json, soak-smoke.json under 5 min).
    out: { type: 'string', default: '' },
  },
});

const VIP = '192.0.2.10';
const RS = ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14'];
const RS_PORT = 8080;
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const killEvery = Number(values['kill-every']) * 1000;
const restartAfter = Number(values['restart-after']) * 1000;
const reloadEvery = Number(values['reload-every']) * 1000;
const editEvery = Number(values['edit-every']) * 1000;
const warmup = Number(values.warmup);
const drainSeconds = Number(values['drain-seconds']);
/**
 * A closed conn waits in TIME_WAIT for 2 min (ip_vs_proto_tcp.c tcp_timeouts, which `--set`
 * does not change), so the table reaches its steady size only after that: flatness is judged
 * from then on, and only in runs long enough to have such a window.
 */
const TIME_WAIT_MS = 120_000;

const SERVER = `
const http = require('node:http');
const [addr, port] = process.argv.slice(1);
http.createServer((q, s) => s.end('ok ' + addr)).listen(Number(port), addr);
`;

// One new connection per request, paced in 10 ms slices; a line of JSON per second, failures
// with their time so the soak can tell a killed server's in-flight requests from the rest.
const CLIENT = `
const http = require('node:http');
const [vip, rate] = [process.argv[1], Number(process.argv[2])];
let ok = 0, fail = 0, failAt = [], errs = {}, owed = 0, stop = false;
process.on('SIGTERM', () => { stop = true; setTimeout(() => { report(); process.exit(0); }, 3000); });
function one() {
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200) ok++; else bad('status ' + res.statusCode); });
    res.on('error', (e) => bad(e.code || e.message));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => bad(e.code || e.message));
}
function bad(why) { fail++; failAt.push(Date.now()); errs[why] = (errs[why] || 0) + 1; }
function report() { process.stdout.write(JSON.stringify({ ok, fail, failAt, errs }) + '\\n'); failAt = []; }
setInterval(() => { if (stop) return; owed += rate / 100; while (owed >= 1) { owed--; one(); } }, 10);
setInterval(report, 1000);
`;

function keepalivedConf(): string {
  const servers = RS.map(
    (a) => `    real_server ${a} ${RS_PORT} {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }`,
  ).join('\n');
  return `global_defs {
    router_id LVS_SOAK
    lvs_timeouts tcp 30 tcpfin 2 udp 30
}
virtual_server ${VIP} 80 {
    delay_loop 1
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
${servers}
}
`;
}

/** One sample of lvsd's footprint. */
interface Sample {
  t: number;
  rssKiB: number;
  fds: number;
  conns: number;
}

function sample(ns: Netns, pid: number, socket: string, t0: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const r = ns.exec('soak', [process.execPath, 'bin/lvsadm', '--socket', socket, '-Lnc'], 20_000);
  const conns = Math.max(0, (r.stdout.trim().split('\n').length ?? 2) - 2);
  return { t: Date.now() - t0, rssKiB, fds, conns };
}

/** Worst relative deviation from the median, ignoring deviations within `slack` absolute. */
function spread(xs: number[], slack: number): { median: number; min: number; max: number; worst: number } {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)] ?? 0;
  const min = s[0] ?? 0;
  const max = s.at(-1) ?? 0;
  const dev = (v: number): number =>
    Math.abs(v - median) <= slack ? 0 : Math.abs(v - median) / Math.max(1, median);
  return { median, min, max, worst: Math.max(dev(min), dev(max)) };
}

/** The mem-probe lines, in KiB (t in ms since lvsd started). */
function readMemProbe(file: string): Record<string, number>[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = JSON.parse(l) as Record<string, number>;
      const kib: Record<string, number> = {};
      for (const [k, v] of Object.entries(m)) kib[k] = k === 't' ? v : Math.round(v / 1024);
      return kib;
    });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const skip = netnsSkipReason();
  if (skip) {
    process.stdout.write(`soak: skipped: ${skip}\n`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lvs-soak-'));
  const ns = createNetns({ namespaces: ['soak'] });
  try {
    ns.ip('soak', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    for (const a of RS) ns.ip('soak', 'addr', 'add', `${a}/32`, 'dev', 'lo');
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, keepalivedConf());
    const socket = join(dir, 'lvsd.sock');
    let lvsdLog = '';
    const memFile = join(dir, 'mem.jsonl');
    const probe = values['mem-probe'] || values['heap-snapshots'] !== '';
    const lvsd = ns.spawn(
      'soak',
      [
        process.execPath,
        ...(probe ? ['--import', new URL('./lib/mem-probe.mjs', import.meta.url).href] : []),
        'bin/lvsd',
        '--sysctl-files',
        'none',
        '--socket',
        socket,
        '--dataplane',
        'proxy',
        '--config',
        conf,
      ],
      probe
        ? {
            env: {
              ...process.env,
              LVS_MEM_PROBE: memFile,
              LVS_MEM_SNAPSHOTS: values['heap-snapshots'],
              LVS_MEM_SNAPSHOT_DIR: values['snapshot-dir'],
            },
          }
        : {},
    );
    lvsd.stdout?.on('data', (d) => (lvsdLog += d));
    lvsd.stderr?.on('data', (d) => (lvsdLog += d));
    const servers = new Map<string, ChildProcess>();
    const startServer = (a: string): void => {
      servers.set(a, ns.spawn('soak', [process.execPath, '-e', SERVER, a, String(RS_PORT)]));
    };
    for (const a of RS) startServer(a);
    // Ready: lvsadm answers and every real server is in the table.
    const ready = Date.now() + 30_000;
    for (;;) {
      const r = ns.exec('soak', [process.execPath, 'bin/lvsadm', '--socket', socket, '-Ln'], 10_000);
      if (r.status === 0 && RS.every((a) => r.stdout.includes(`${a}:${RS_PORT}`))) break;
      if (Date.now() > ready) throw new Error(`lvsd not ready in 30 s:\n${lvsdLog.slice(-2000)}`);
      await sleep(250);
    }

    const t0 = Date.now();
    const kills: number[] = [];
    const samples: Sample[] = [];
    let reloads = 0;
    const reloadAt: number[] = [];
    let edits = 0;
    let editsRefused = 0;
    let ok = 0;
    let fail = 0;
    const failAt: number[] = [];
    const errs: Record<string, number> = {};
    const client = ns.spawn('soak', [process.execPath, '-e', CLIENT, VIP, String(rate)]);
    let buf = '';
    client.stdout?.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const r = JSON.parse(line) as {
            ok: number;
            fail: number;
            failAt: number[];
            errs: Record<string, number>;
          };
          ok = r.ok;
          fail = r.fail;
          failAt.push(...r.failAt);
          Object.assign(errs, r.errs);
        } catch {}
      }
    });

    const end = t0 + minutes * 60_000;
    let nextKill = t0 + killEvery;
    let nextReload = t0 + reloadEvery;
    let nextEdit = t0 + editEvery;
    let nextSample = t0;
    let victim = 0;
    const restarts: { at: number; addr: string }[] = [];
    while (Date.now() < end) {
      const now = Date.now();
      if (now >= nextKill) {
        const a = RS[victim++ % RS.length] as string;
        servers.get(a)?.kill('SIGKILL');
        kills.push(Date.now());
        restarts.push({ at: now + restartAfter, addr: a });
        nextKill += killEvery;
      }
      for (const r of restarts.filter((x) => x.at <= now)) {
        startServer(r.addr);
        restarts.splice(restarts.indexOf(r), 1);
      }
      if (now >= nextReload) {
        lvsd.kill('SIGHUP');
        reloads++;
        reloadAt.push(Date.now());
        nextReload += reloadEvery;
      }
      if (now >= nextEdit) {
        const a = RS[(edits + 2) % RS.length] as string;
        const w = String(1 + (edits % 3));
        const r = ns.exec(
          'soak',
          [
            process.execPath,
            'bin/lvsadm',
            '--socket',
            socket,
            '-e',
            '-t',
            `${VIP}:80`,
            '-r',
            `${a}:${RS_PORT}`,
            '-m',
            '-w',
            w,
          ],
          10_000,
        );
        edits++;
        // A server the health check has taken out cannot be edited: ipvsadm's "No such destination".
        if (r.status !== 0) editsRefused++;
        nextEdit += editEvery;
      }
      if (now >= nextSample && lvsd.pid !== undefined) {
        samples.push(sample(ns, lvsd.pid, socket, t0));
        nextSample += 2000;
      }
      await sleep(100);
    }
    for (const r of restarts) startServer(r.addr);
    client.kill('SIGTERM');
    await new Promise((r) => client.once('exit', r));
    const stoppedAt = Date.now();
    // Drain: every conn expires (TIME_WAIT's 2 min at most).
    let drainedMs = -1;
    while (Date.now() - stoppedAt < drainSeconds * 1000 && lvsd.pid !== undefined) {
      const s = sample(ns, lvsd.pid, socket, t0);
      if (s.conns === 0) {
        drainedMs = Date.now() - stoppedAt;
        break;
      }
      await sleep(500);
    }

    if (drainedMs < 0 && drainSeconds > 0) {
      const r = ns.exec('soak', [process.execPath, 'bin/lvsadm', '--socket', socket, '-Lnc'], 20_000);
      const states: Record<string, number> = {};
      for (const l of r.stdout.split('\n').slice(2)) {
        const st = l.trim().split(/\s+/)[2];
        if (st) states[st] = (states[st] ?? 0) + 1;
      }
      process.stdout.write(
        `not drained: conns by state ${JSON.stringify(states)}\n${r.stdout.split('\n').slice(0, 6).join('\n')}\n`,
      );
    }
    const inFlight = failAt.filter((f) => kills.some((k) => f >= k && f - k <= 1000)).length;
    const beyond = fail - inFlight;
    const warmFrom = Math.max(warmup * minutes * 60_000, TIME_WAIT_MS + 10_000);
    const warm = samples.filter((s) => s.t >= warmFrom);
    const judged = warm.length >= 5;
    const rss = spread(
      warm.map((s) => s.rssKiB),
      0,
    );
    const fds = spread(
      warm.map((s) => s.fds),
      20,
    );
    const conns = spread(
      warm.map((s) => s.conns),
      20,
    );
    const verdicts: Record<string, boolean | undefined> = {
      'no failure beyond in-flight': beyond === 0,
      'RSS flat (±10%)': judged ? rss.worst <= 0.1 : undefined,
      'fds flat (±10%)': judged ? fds.worst <= 0.1 : undefined,
      'conns flat (±10%)': judged ? conns.worst <= 0.1 : undefined,
      'drained to zero': drainSeconds > 0 ? drainedMs >= 0 : undefined,
    };
    const row = (k: string, v: string | number): string => `${k.padEnd(34)}${String(v).padStart(16)}\n`;
    process.stdout.write(
      `\nsoak: ${minutes} min, ${rate} new conns/s offered, ${RS.length} real servers (proxy plane, NAT)\n` +
        row('requests ok', ok) +
        row('requests failed', fail) +
        row('  of which in flight on a kill', inFlight) +
        row('  beyond in-flight', beyond) +
        row('real-server kills', kills.length) +
        row('reloads (SIGHUP)', reloads) +
        row('lvsadm edits (refused)', `${edits} (${editsRefused})`) +
        row('warm samples (from s)', `${warm.length} (${Math.round(warmFrom / 1000)})`) +
        row('RSS KiB median [min, max]', judged ? `${rss.median} [${rss.min}, ${rss.max}]` : '-') +
        row('fds median [min, max]', judged ? `${fds.median} [${fds.min}, ${fds.max}]` : '-') +
        row('conns median [min, max]', judged ? `${conns.median} [${conns.min}, ${conns.max}]` : '-') +
        row('drained to zero after (ms)', drainedMs) +
        Object.entries(verdicts)
          .map(([k, v]) => row(k, v === undefined ? 'not judged' : v ? 'yes' : 'NO'))
          .join('') +
        (Object.keys(errs).length > 0 ? `client errors: ${JSON.stringify(errs)}\n` : ''),
    );
    writeFileSync(
      new URL(`./results/${values.out || (minutes < 5 ? 'soak-smoke.json' : 'soak.json')}`, import.meta.url),
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          minutes,
          rate,
          ok,
          fail,
          inFlight,
          beyond,
          kills: kills.length,
          reloads,
          edits,
          editsRefused,
          rss,
          fds,
          conns,
          drainedMs,
          verdicts,
          errs,
          samples,
          // When things happened, in ms from the start: to place each failure against the kills,
          // restarts and reloads around it.
          timeline: {
            kills: kills.map((k) => k - t0),
            reloads: reloadAt.map((k) => k - t0),
            failures: failAt.map((f) => f - t0),
          },
          // process.memoryUsage() of lvsd every 2 s (--mem-probe), t in ms since lvsd started.
          memory: probe ? readMemProbe(memFile) : undefined,
          load: spawnSync('uptime', { encoding: 'utf8' }).stdout.trim(),
        },
        null,
        1,
      )}\n`,
    );
    return Object.values(verdicts).some((v) => v === false) ? 1 : 0;
  } finally {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
