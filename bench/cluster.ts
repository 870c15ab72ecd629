/**
 * Flows broken per director failure and per director join in the cluster lab (`npm run
 * bench:cluster`, root: network namespaces, BIRD 2). Per configuration, `lvsadm lab up cluster`
 * (three DR directors behind a BIRD router with ECMP, hold time 3 s) then, per run, director2
 * crashes (silenced by nftables, SIGKILLed) while 60 long-lived connections (a request every
 * 100 ms) and a fresh connection every 100 ms run, and later joins again under the same load
 * (src/tools/lab/cluster-flows.ts). A long-lived connection is broken when it errored, was closed
 * or had no answer in its last 3 s. Also the health-failure convergence: director3's checks fail
 * (blackhole routes) and the router's next hops are timed. Configurations race side by side:
 * mh without sync, mh with sync, rr without sync, rr with sync (every director runs a sync master
 * and a sync backup, `lvsadm --start-daemon`). Writes bench/results/cluster.json.
 *
 * The Maglev paper's claim (NSDI 2016 §3.4 and §5): consistent hashing alone keeps most moved
 * flows on their backend, connection tracking keeps the rest. Options: --runs N (default 1; the
 * table gives medians), --conns N (default 60), --configs mh,mh-sync,rr,rr-sync.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { clusterFailChecks } from '../src/tools/lab/cluster-fail.js';
import {
  birdAvailable,
  type ClusterFlowsResult,
  runClusterFlows,
  waitNextHops,
} from '../src/tools/lab/cluster-flows.js';
import { type ClusterLabState, clusterUp } from '../src/tools/lab/cluster-lab.js';
import { CLUSTER_MODE } from '../src/tools/lab/plan.js';
import { labDown } from '../src/tools/lab/topology.js';
import { netnsSkipReason } from '../test/helpers/netns.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const CONFIGS = {
  mh: { sched: 'mh', sync: false },
  'mh-sync': { sched: 'mh', sync: true },
  rr: { sched: 'rr', sync: false },
  'rr-sync': { sched: 'rr', sync: true },
} as const;
type ConfigName = keyof typeof CONFIGS;
const RUNS = Number(arg('runs') ?? 1);
const CONNS = Number(arg('conns') ?? 60);
const NAMES = (arg('configs') ?? Object.keys(CONFIGS).join(',')).split(',') as ConfigName[];
if (
  !(Number.isInteger(RUNS) && RUNS >= 1 && RUNS <= 9) ||
  !(Number.isInteger(CONNS) && CONNS >= 1 && CONNS <= 300) ||
  NAMES.some((n) => !(n in CONFIGS))
) {
  console.error('usage: bench:cluster [--runs 1..9] [--conns 1..300] [--configs mh,mh-sync,rr,rr-sync]');
  process.exit(2);
}
const skip = netnsSkipReason() ?? (birdAvailable() ? undefined : 'bird2 is not installed');
if (skip) {
  console.error(`bench:cluster: ${skip}`);
  process.exit(1);
}
process.env.LVS_LAB_PREFIX ??= `lvsbc${process.pid}`;
process.on('SIGINT', () => {
  labDown(CLUSTER_MODE);
  process.exit(130);
});

interface ConfigResult {
  fail: ClusterFlowsResult[];
  join: ClusterFlowsResult[];
  /** Health failure of every real server on director3 -> withdrawn (ms). */
  healthWithdrawMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const load0 = loadavg();
const results: Partial<Record<ConfigName, ConfigResult>> = {};
for (const name of NAMES) {
  const cfg = CONFIGS[name];
  let st: ClusterLabState | undefined;
  try {
    st = clusterUp({ directors: 3, method: 'dr', sched: cfg.sched, sync: cfg.sync });
    const res: ConfigResult = { fail: [], join: [], healthWithdrawMs: -1 };
    clusterFailChecks(st, 2, true);
    res.healthWithdrawMs = await waitNextHops(st, 2, 20_000);
    clusterFailChecks(st, 2, false);
    await waitNextHops(st, 3, 20_000);
    for (let r = 0; r < RUNS; r++) {
      for (const event of ['fail', 'join'] as const) {
        const x = await runClusterFlows(st, { event, director: 1, conns: CONNS });
        (event === 'fail' ? res.fail : res.join).push(x);
        console.log(
          `${name} run ${r + 1} ${event}: ${x.broken} of ${x.conns} broken, ${x.moved ?? '?'} moved, fresh ${x.freshFailed} failed / ${x.freshSlow} slow of ${x.fresh}, next hops changed after ${x.convergenceMs} ms`,
        );
      }
    }
    results[name] = res;
  } finally {
    labDown(CLUSTER_MODE);
  }
}
const load1 = loadavg();

const med = (xs: ClusterFlowsResult[], k: 'broken' | 'convergenceMs' | 'freshFailed') =>
  median(xs.map((x) => x[k]));
const moved = (xs: ClusterFlowsResult[]) => {
  const m = xs.map((x) => x.moved).filter((v): v is number => v !== undefined);
  return m.length ? String(median(m)) : 'n/a (sync lists copies)';
};
console.log(
  `\nbench:cluster — 3 DR directors, BGP hold 3 s, ${CONNS} long-lived conns + 10 fresh/s, ${RUNS} run(s), medians; ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}; load average ${load0.map((x) => x.toFixed(1)).join(' ')} at start, ${load1.map((x) => x.toFixed(1)).join(' ')} at end\n`,
);
console.log(
  '| config | broken per failure | moved by the router | fresh failed | broken per join | moved | failure -> 2 next hops (ms) | join -> 3 next hops (ms) | health fail -> withdrawn (ms) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of NAMES) {
  const r = results[n]!;
  console.log(
    `| ${n} | ${med(r.fail, 'broken')} of ${CONNS} | ${moved(r.fail)} | ${med(r.fail, 'freshFailed')} | ${med(r.join, 'broken')} of ${CONNS} | ${moved(r.join)} | ${med(r.fail, 'convergenceMs')} | ${med(r.join, 'convergenceMs')} | ${r.healthWithdrawMs} |`,
  );
}
const base = results.rr ? med(results.rr.fail, 'broken') : undefined;
if (base !== undefined && results.mh)
  console.log(`\nbroken per failure, mh / rr: ${med(results.mh.fail, 'broken')} / ${base}`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/cluster.json', import.meta.url),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      kernel: release(),
      node: process.version,
      cpu: cpus()[0]?.model,
      loadavg: { start: load0, end: load1 },
      runs: RUNS,
      conns: CONNS,
      topology:
        'client - router (BIRD 2, kernel merge paths, fib_multipath_hash_policy=1) - 3 directors (BIRD + lvsd --bgp, packet plane, DR, sloppy_tcp=1) - 4 real servers; BGP hold 3 s, keepalive 1 s',
      brokenDefinition: 'errored, closed, or no answer in the last 3 s of the run (12 s after the event)',
      results,
    },
    null,
    2,
  )}\n`,
);
console.log('wrote bench/results/cluster.json');
