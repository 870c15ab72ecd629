/**
 * The XDP flow offload benchmark (`npm run bench:xdp-offload`, root only): the DR lab with its
 * links prepared for the offload (tools/lab/offload-links.ts), lvsd on the AF_XDP path, raced
 * with the offload off (`lvsd-dr-xdp`) and on (`lvsd-dr-xdp-offload`), the same links for both.
 *
 * Each run: wrk keep-alive (1 thread, --conns conns, --secs s) through the VIP against the real
 * servers' rs-http, then one --mb MB transfer with curl. Measured: requests/s, the transfer's
 * MB/s, lvsd's CPU time (/proc/PID/stat, all threads) per 1,000 client frames, and how many of
 * the client's frames lvsd's socket got (rx_queue_0_xdp_redirect) against those the program
 * forwarded itself (rx_queue_0_xdp_tx). Cases alternate within each round; medians over rounds.
 * In DR the client's side is requests and ACKs only (the replies go from the real servers
 * straight to the client), so the offload shows in lvsd's CPU more than in the rates, which the
 * real servers' Node HTTP server and the shared CPUs bound.
 *
 * Options: --rounds N (3) --secs S (5) --conns N (16) --mb N (200) --out FILE
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { labPlan } from '../src/tools/lab/plan.js';
import { type LabState, labDown, labExec, labUp } from '../src/tools/lab/topology.js';
import { procJiffies } from './lib/packet-lab.js';
import { median, table } from './lib/packet-report.js';

const argv = process.argv.slice(2);
const arg = (k: string, d: string): string => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? (argv[i + 1] ?? d) : d;
};
const ROUNDS = Number(arg('rounds', '3'));
const SECS = Number(arg('secs', '5'));
const CONNS = Number(arg('conns', '16'));
const MB = Number(arg('mb', '200'));
const OUT = arg('out', join(import.meta.dirname, 'results', 'xdp-offload.json'));
const mode = 'dr';
const plan = labPlan(mode);
const root = `/run/lvs-ts/bench-xdp-offload-${process.pid}`;
process.env.LVS_LAB_PREFIX ??= `lvsbo${process.pid}`;

const CASES = [
  { name: 'lvsd-dr-xdp', offload: 'off' },
  { name: 'lvsd-dr-xdp-offload', offload: 'on' },
] as const;
type CaseName = (typeof CASES)[number]['name'];

interface Run {
  rps: number;
  mbps: number;
  /** lvsd CPU ms per 1,000 client frames (wrk and transfer together). */
  cpuMsPerKFrames: number;
  clientFrames: number;
  handed: number;
  forwarded: number;
}

const hz = 100; // USER_HZ of /proc/PID/stat on Linux

function xdpCounters(): { tx: number; redirect: number } {
  const out = labExec(mode, 'director', ['ethtool', '-S', 'eth0']).stdout;
  const n = (k: string): number => Number(new RegExp(`rx_queue_0_xdp_${k}: (\\d+)`).exec(out)?.[1] ?? 0);
  return { tx: n('tx'), redirect: n('redirect') };
}

function clientTx(): number {
  return Number(
    labExec(mode, 'client', ['cat', `/sys/class/net/${plan.clientIf}/statistics/tx_packets`]).stdout,
  );
}

function runOnce(st: LabState): Run {
  const pid = st.pids.lvsd;
  const j0 = procJiffies(pid);
  const x0 = xdpCounters();
  const c0 = clientTx();
  const url = `http://${plan.vip}:${plan.port}/`;
  const w = labExec(
    mode,
    'client',
    ['wrk', '-t1', `-c${CONNS}`, `-d${SECS}s`, '--timeout', '5s', url],
    (SECS + 30) * 1000,
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(w.stdout)?.[1] ?? Number.NaN);
  const bytes = MB * 1_000_000;
  const t = labExec(
    mode,
    'client',
    [
      'curl',
      '-s',
      '-m',
      '120',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download} %{time_total}',
      `${url}bytes/${bytes}`,
    ],
    150_000,
  );
  const [size, secs] = t.stdout.trim().split(' ').map(Number) as [number, number];
  if (size !== bytes) throw new Error(`transfer: ${size} of ${bytes} bytes (${t.stderr})`);
  const x1 = xdpCounters();
  const frames = clientTx() - c0;
  const cpuMs = ((procJiffies(pid) - j0) * 1000) / hz;
  return {
    rps,
    mbps: bytes / 1e6 / secs,
    cpuMsPerKFrames: (cpuMs * 1000) / Math.max(frames, 1),
    clientFrames: frames,
    handed: x1.redirect - x0.redirect,
    forwarded: x1.tx - x0.tx,
  };
}

const raw: Record<CaseName, Run[]> = { 'lvsd-dr-xdp': [], 'lvsd-dr-xdp-offload': [] };
const load0 = loadavg();
try {
  for (let r = 1; r <= ROUNDS; r++) {
    for (const c of CASES) {
      process.stderr.write(`${c.name}: round ${r}/${ROUNDS}\n`);
      labDown(mode, root);
      const st = labUp(mode, {
        stateRoot: root,
        lvsdArgs: ['--xdp', 'on', '--xdp-offload', c.offload],
        offloadLinks: true,
      });
      try {
        raw[c.name].push(runOnce(st));
      } finally {
        labDown(mode, root);
      }
    }
  }
} finally {
  labDown(mode, root);
}
const load1 = loadavg();
const med = (c: CaseName, k: keyof Run): number => median(raw[c].map((x) => x[k]));
const fmt = (n: number, d = 0): string => n.toFixed(d);
const rows = CASES.map((c) => [
  c.name,
  fmt(med(c.name, 'rps')),
  fmt(med(c.name, 'mbps')),
  fmt(med(c.name, 'cpuMsPerKFrames'), 2),
  fmt(med(c.name, 'clientFrames')),
  fmt(med(c.name, 'handed')),
  fmt(med(c.name, 'forwarded')),
]);
const ratio = (k: keyof Run): string =>
  (med('lvsd-dr-xdp-offload', k) / Math.max(med('lvsd-dr-xdp', k), 1e-9)).toFixed(2);
process.stdout.write(
  `${table(['case', 'req/s', 'MB/s', 'lvsd CPU ms/1k frames', 'client frames', 'to lvsd', 'in XDP'], rows)}\n` +
    `offload/off ratios: req/s ${ratio('rps')}x, MB/s ${ratio('mbps')}x, lvsd CPU per frame ${ratio('cpuMsPerKFrames')}x\n` +
    `medians of ${ROUNDS} rounds, wrk -t1 -c${CONNS} -d${SECS}s and one ${MB} MB transfer per run; ` +
    `load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${load1.map((x) => x.toFixed(2)).join(' ')} after\n`,
);
writeFileSync(
  OUT,
  `${JSON.stringify({ rounds: ROUNDS, secs: SECS, conns: CONNS, mb: MB, loadBefore: load0, loadAfter: load1, raw }, null, 2)}\n`,
);
