/**
 * The packet data plane benchmark (`npm run bench:packet`, root only). One script, the lab
 * topologies of `lvsadm lab` (src/tools/lab), the same run:
 *  - packets/s: 64-byte UDP over many flows (source ports vary) from an AF_PACKET batch
 *    generator in the client namespace, counted at the real servers' interfaces (which drop it
 *    at ingress), for lvsd DR, lvsd NAT, and the director namespace's kernel doing the same job
 *    (nftables netdev fwd for DR, nftables DNAT for NAT: kernel IPVS is not built here);
 *  - HTTP requests/s through the VIP (wrk keep-alive from the client, nginx real servers) for
 *    lvsd DR, lvsd NAT and HAProxy (mode tcp, 1 thread, in the director namespace).
 * The director (lvsd or HAProxy, every thread) is pinned to the last CPU and the director
 * interfaces' receive work runs there too, so "director" means one core in every case: by
 * default (--napi 1) their veth NAPI polling runs in kernel threads (threaded NAPI) pinned to
 * that core and charged to the director, the same for the kernel, AF_PACKET and AF_XDP cases
 * (XDP runs in that poll, before RPS could move it); --napi 0 steers with RPS only. Generator,
 * wrk and nginx run on CPU 0. By default (--sweep 1) each pps run is a search for the highest
 * offered rate the director forwards ≥ 95% of (bench/lib/packet-sweep.ts, paced generator), so
 * no director is judged drowned in overload; --sweep 0 measures unpaced only. Medians of --runs
 * runs; table on stdout, raw runs and medians in bench/results/packet.json. Labs are always torn
 * down, on failure and on Ctrl-C too.
 *
 * Overload (--overload 1, the default with --sweep 1): after each sweep the judged rate is offered
 * 2x and 4x and what is still forwarded is reported (bench/lib/packet-overload.ts); a point that
 * forwarded nothing is reported as such and the run carries on.
 *
 * Options: --rounds N (3) --runs N (1 per case per round) --secs S (5; HTTP and --sweep 0 runs) --step-secs S (3; one sweep point)
 *   --flows N (4096) --warm S (1) --only pps|http --rps 0|1 --napi 0|1 --sweep 0|1 --overload 0|1 --napi-sched fifo|other --out FILE
 *   --rates R1,R2 (fixed offered rates per run instead of the search; 0 = unpaced)
 *   --cases lvsd-dr,lvsd-nat,lvsd-dr-xdp,lvsd-nat-xdp,kernel-dr,kernel-nat --bypass 0|1
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packetAddonUnavailableReason } from '../src/io/packet-socket/index.js';
import { type LabMode, labNamespace, labPlan } from '../src/tools/lab/plan.js';
import {
  type DirectorKind,
  type LabState,
  labDown,
  labNamespacesPresent,
  labUp,
  readLabState,
  tail,
} from '../src/tools/lab/topology.js';
import { ensureBenchAddon } from './lib/bench-addon.js';
import {
  anchor,
  backlogDrops,
  cpuJiffies,
  dedicate,
  ensureTools,
  haproxyConf,
  ifCounters,
  lvsadmAt,
  macOf,
  napiOnDirector,
  nginxConf,
  nsRun,
  procJiffies,
  quietBridge,
  resolveNeighbour,
  type Started,
  sinkUdp,
  startIn,
  steerRx,
  toolVersions,
  waitBypass,
  waitHttp,
} from './lib/packet-lab.js';
import {
  formatOverload,
  judgeOverload,
  OVERLOAD_FACTORS,
  type OverloadResult,
  overloadRates,
} from './lib/packet-overload.js';
import {
  formatReport,
  type HttpCase,
  judgeTargets,
  type Medians,
  median,
  type PpsCase,
  parseWrk,
} from './lib/packet-report.js';
import { bestPass, generatorLimited, nextRate, SWEEP_POLICY, type SweepPoint } from './lib/packet-sweep.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
// Its own namespace names, so a concurrent `lvsadm lab` or lab test never shares them.
process.env.LVS_LAB_PREFIX ??= 'lvsbench';
const RUNS = Number(arg('runs', '1'));
/**
 * Rounds over the case list: each round runs every case --runs times, so with the defaults
 * (3 rounds x 1 run) the cases interleave in time and a burst of other people's load on this
 * shared machine lands on one run of each case rather than on all runs of one.
 */
const ROUNDS = Number(arg('rounds', '3'));
const SECS = Number(arg('secs', '5'));
const FLOWS = Number(arg('flows', '4096'));
const WARM = Number(arg('warm', '1'));
const ONLY = arg('only', 'all');
/**
 * Comma-separated subset of the pps cases to run (default: all six). lvsd-dr and lvsd-nat run
 * lvsd with `--xdp off` (AF_PACKET only), the -xdp cases with `--xdp on` (the AF_XDP path).
 */
const CASES = arg('cases', 'lvsd-dr,lvsd-nat,lvsd-dr-xdp,lvsd-nat-xdp,kernel-dr,kernel-nat').split(',');
/** Steer the director's receive processing to its core (--rps 0: leave it where packets arrive). */
const RPS = arg('rps', '1') !== '0';
/**
 * --bypass 1: lvsd runs with its own `--ingress-bypass`: nftables netdev ingress drops for the
 * traffic it takes (the hook runs after AF_PACKET taps, so lvsd still gets every frame), so the
 * director's kernel no longer routes each one only to discard it (ip_forward is off). The
 * kernel baselines are unchanged. Results go to packet-bypass.json instead of packet.json.
 */
const BYPASS = arg('bypass', '0') === '1';
/** Threaded NAPI for the director's interfaces, pinned to its core and charged to it (all cases). */
const NAPI = arg('napi', '1') !== '0';
/** Search each run for the highest rate forwarded ≥ 95% (paced generator) instead of unpaced only. */
const SWEEP = arg('sweep', '1') !== '0';
/** Seconds measured per sweep point (after --warm). */
const STEP_SECS = Number(arg('step-secs', '3'));
/** --rates R1,R2,...: measure these offered rates (0 = unpaced) instead of searching (profiling). */
const RATES = arg('rates', '').split(',').filter(Boolean).map(Number);
/**
 * --overload 1 (default with --sweep 1): after each sweep, offer 2× and 4× the judged rate and
 * record what is still forwarded (bench/lib/packet-overload.ts).
 */
const OVERLOAD = arg('overload', '1') !== '0';
/**
 * --napi-sched fifo|other: the policy of the director's threaded NAPI kernel threads. fifo
 * (default) runs the receive work ahead of any process, as softirq does on a real host before
 * ksoftirqd takes over; other leaves them SCHED_OTHER at nice 0 beside lvsd (nice -19), the
 * "receive work below the director process" deployment (README, Deploying under overload).
 */
const NAPI_SCHED = arg('napi-sched', 'fifo') === 'other' ? 'other' : 'fifo';
const UDP_PORT = 9;
/** Paced rate of the warm-up before each case's sweeps (frames/s). */
const WARMUP_RATE = 2000;
/** Bound on generated traffic per run, whatever the rate. */
const MAX_PACKETS_PER_RUN = 50_000_000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATE_ROOT = '/run/lvs-ts/bench-lab';
const NCPU = cpus().length;
const DIRECTOR_CPU = NCPU - 1;
const LOAD_CPU = 0;

const log = (s: string) => process.stderr.write(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let current: LabMode | undefined;
/** Threaded-NAPI kernel threads of the director's interfaces, charged to the director. */
let napiPids: number[] = [];
const children: ChildProcess[] = [];

function cleanup(): void {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (current) labDown(current, STATE_ROOT);
  current = undefined;
}

// Last resort: whatever ends the process, no namespace stays behind.
process.on('exit', () => cleanup());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`\n${sig}: tearing the lab down\n`);
    cleanup();
    process.exit(130);
  });
}

/**
 * Removes a lab this benchmark left behind (killed hard). A lab someone else runs (the e2e
 * tests use the same fixed namespace names) is never touched: wait up to 3 minutes for it.
 */
async function clearStale(mode: LabMode): Promise<void> {
  const until = Date.now() + 180_000;
  while (labNamespacesPresent(mode).length > 0) {
    if (readLabState(mode, STATE_ROOT)) {
      labDown(mode, STATE_ROOT);
      return;
    }
    if (Date.now() > until) {
      throw new Error(`lab ${mode} is up (not the benchmark's); run \`lvsadm lab down ${mode}\` first`);
    }
    log(`  lab ${mode} is in use by someone else; waiting\n`);
    await sleep(5000);
  }
}

async function withLab<T>(
  mode: LabMode,
  director: DirectorKind,
  fn: (st: LabState) => Promise<T>,
  xdp = false,
): Promise<T> {
  await clearStale(mode);
  current = mode;
  try {
    const st = labUp(mode, {
      director,
      stateRoot: STATE_ROOT,
      ...(director === 'lvsd'
        ? { lvsdArgs: [...(BYPASS ? ['--ingress-bypass'] : []), '--xdp', xdp ? 'on' : 'off'] }
        : {}),
    });
    const plan = labPlan(mode);
    napiPids = [];
    // Same receive accounting for every director: the veth NAPI of each director interface in a
    // kernel thread on the director core (then RPS would only re-queue to the same core).
    if (NAPI)
      for (const i of plan.directorIfs) {
        const pids = napiOnDirector(mode, i, DIRECTOR_CPU, NAPI_SCHED === 'fifo');
        if (pids.length === 0) throw new Error(`no threaded NAPI on the director's ${i}`);
        napiPids.push(...pids);
      }
    if (RPS) {
      if (!NAPI) for (const i of plan.directorIfs) steerRx(mode, 'director', i, DIRECTOR_CPU);
      // What the director transmits is the switch's and the real servers' work, as it would be
      // on real wires: steer the switch port facing the director to the load CPU, so the
      // director core does not also run the bridge and the real servers' receive path.
      steerRx(mode, 'sw', 'director', LOAD_CPU);
    }
    // The lab switch is a plain bridge: without this it runs every frame through the
    // iptables hooks (br_netfilter), a cost of the lab, not of either director.
    quietBridge(mode);
    if (director === 'lvsd' && st.pids.lvsd && !dedicate(st.pids.lvsd, DIRECTOR_CPU))
      log('could not pin lvsd\n');
    return await fn(st);
  } finally {
    cleanup();
  }
}

interface PpsRun {
  /** Rate asked of the generator (frames/s), 0 = unpaced. */
  target: number;
  offered: number;
  forwarded: number;
  /** Packets/s the director's interface received (offered minus what the path dropped). */
  atDirector: number;
  perRs: [number, number];
  /** Busy fraction of the director's CPU during the window (everything on it, 0..1). */
  directorBusy: number;
  /**
   * CPU the lvsd process (user + system, in cores) and the director interfaces' NAPI threads
   * used; the NAPI threads alone for the kernel director.
   */
  procCpu: number;
  /** Softirq fraction of the director's CPU (receive processing steered there by RPS). */
  softirq: number;
  /**
   * Frames/s the load CPU's backlog dropped (softnet_stat, system-wide for that CPU): what the
   * switch and real servers lost after the director forwarded them, when CPU 0 (shared with the
   * generator and other people's work) fell behind. Counted against the director all the same.
   */
  loadCpuBacklogDrops?: number;
}

/** Runs the generator in the client namespace on the load CPU; resolves when it is done. */
function runGenerator(
  mode: LabMode,
  dstMac: string,
  secs: number,
  rate: number,
): Promise<{ sent: number; secs: number }> {
  const plan = labPlan(mode);
  const ns = labNamespace(mode, 'client');
  const srcMac = macOf(mode, 'client', plan.clientIf);
  const srcIp = mode === 'nat' ? '203.0.113.10' : '192.0.2.10';
  const c = spawn(
    'taskset',
    [
      '-c',
      String(LOAD_CPU),
      'ip',
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      join(root, 'bench/lib/packet-gen.ts'),
      ...['--if', plan.clientIf, '--src-mac', srcMac, '--dst-mac', dstMac, '--src-ip', srcIp],
      ...['--dst-ip', plan.vip, '--dport', String(UDP_PORT), '--flows', String(FLOWS)],
      ...['--secs', String(secs), '--max-packets', String(MAX_PACKETS_PER_RUN), '--rate', String(rate)],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(c);
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => {
    out += d;
  });
  c.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`generator exited ${code}: ${err.trim()}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as { sent: number; secs: number });
    });
  });
}

/** One pps run: the sweep's points and the one it settled on. */
interface PpsSweep {
  points: PpsRun[];
  /** Index of the point the run is judged at: the best pass, else the most forwarded. */
  chosen: number;
  /** The unpaced probe passed: the generator, not the director, limited the run. */
  generatorLimited: boolean;
  /** No point reached the pass ratio. */
  noPass: boolean;
  /** The overload points (2× and 4× the chosen point's offered rate), when measured. */
  overload?: PpsRun[];
  /** Their verdict against the chosen point. */
  overloadResult?: OverloadResult;
}

/** Everything one measurement point needs to sample. */
interface Probe {
  mode: LabMode;
  st: LabState;
  dstMac: string;
  anchors: [number, number, number, number];
}

/** One point: the generator at `rate` (0 = unpaced) for warm-up + `secs`, sampled over `secs`. */
async function measurePoint(p: Probe, rate: number, secs: number): Promise<PpsRun> {
  const { mode, st } = p;
  const plan = labPlan(mode);
  const [a1, a2, ad, ac] = p.anchors;
  const gen = runGenerator(mode, p.dstMac, WARM + secs + 0.5, rate);
  gen.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  await sleep(WARM * 1000);
  const dirIf = plan.directorIfs[0] as string;
  // One sample: packets at each real server, at the director, and sent by the client.
  const sample = () => ({
    t: process.hrtime.bigint(),
    rs1: ifCounters(a1, 'eth0').rx,
    rs2: ifCounters(a2, 'eth0').rx,
    dir: ifCounters(ad, dirIf).rx,
    cli: ifCounters(ac, plan.clientIf).tx,
    cpu: cpuJiffies(DIRECTOR_CPU),
    proc: procJiffies(st.pids.lvsd) + napiPids.reduce((a, q) => a + procJiffies(q), 0),
    backlogDrops: backlogDrops(LOAD_CPU),
  });
  const s0 = sample();
  await sleep(secs * 1000);
  const s1 = sample();
  await gen;
  const dt = Number(s1.t - s0.t) / 1e9;
  const ticks = Math.max(1, s1.cpu.total - s0.cpu.total);
  const busy = (s1.cpu.busy - s0.cpu.busy) / ticks;
  const run: PpsRun = {
    target: rate,
    directorBusy: busy,
    procCpu: (s1.proc - s0.proc) / ticks,
    softirq: (s1.cpu.softirq - s0.cpu.softirq) / ticks,
    offered: (s1.cli - s0.cli) / dt,
    atDirector: (s1.dir - s0.dir) / dt,
    forwarded: (s1.rs1 - s0.rs1 + s1.rs2 - s0.rs2) / dt,
    perRs: [(s1.rs1 - s0.rs1) / dt, (s1.rs2 - s0.rs2) / dt],
    loadCpuBacklogDrops: (s1.backlogDrops - s0.backlogDrops) / dt,
  };
  // Forwarding nothing is a result (receive livelock under overload), not an abort: say so and
  // carry on with the sweep.
  if (run.forwarded < 0.01 * run.offered) {
    const why =
      st.director === 'lvsd'
        ? `; lvsd log: ${tail(st, 'lvsd', Number(process.env.LVS_BENCH_LOG_TAIL ?? 2))}`
        : '';
    log(`    the director forwarded nothing (${Math.round(run.offered)} pps offered)${why}\n`);
  }
  // LVS_BENCH_LOG_TAIL=N: the last N lines of lvsd's log after every point (with
  // LVS_PACKET_STATS_MS set, its per-second frame and drop counters).
  if (process.env.LVS_BENCH_LOG_TAIL && st.director === 'lvsd')
    log(`${tail(st, 'lvsd', Number(process.env.LVS_BENCH_LOG_TAIL))}\n`);
  log(
    `    ${rate ? `rate ${Math.round(rate)}` : 'unpaced'}: offered ${Math.round(run.offered)} pps, forwarded ${Math.round(run.forwarded)} pps, director CPU ${Math.round(busy * 100)}% busy (lvsd+napi ${Math.round(run.procCpu * 100)}%, softirq ${Math.round(run.softirq * 100)}%)${run.loadCpuBacklogDrops ? `, CPU ${LOAD_CPU} backlog drops ${Math.round(run.loadCpuBacklogDrops)}/s` : ''}\n`,
  );
  await sleep(300);
  return run;
}

async function measurePps(mode: LabMode, st: LabState): Promise<PpsSweep[]> {
  const plan = labPlan(mode);
  if (st.director === 'lvsd') {
    const fwd = mode === 'dr' ? '-g' : '-m';
    await lvsadmAt(st.socket, ['-A', '-u', `${plan.vip}:${UDP_PORT}`, '-s', 'rr']);
    for (const r of plan.rips)
      await lvsadmAt(st.socket, ['-a', '-u', `${plan.vip}:${UDP_PORT}`, '-r', `${r}:${UDP_PORT}`, fwd]);
  }
  for (const h of ['rs1', 'rs2'] as const) sinkUdp(mode, h, UDP_PORT);
  // lvsd follows the new service into its bypass table asynchronously: measure once it is there.
  if (BYPASS && st.director === 'lvsd')
    await waitBypass(mode, plan.directorIfs[0] as string, plan.vip, UDP_PORT);
  const anchors = (['rs1', 'rs2', 'director', 'client'] as const).map((h) => anchor(mode, h));
  children.push(...anchors);
  await sleep(200);
  const dstMac = resolveNeighbour(mode, plan.vip, plan.clientIf);
  const dirMac = macOf(mode, 'director', plan.directorIfs[0] as string);
  if (dstMac !== dirMac) throw new Error(`the VIP resolves to ${dstMac}, not the director (${dirMac})`);
  const probe: Probe = {
    mode,
    st,
    dstMac,
    anchors: anchors.map((a) => a.pid as number) as [number, number, number, number],
  };
  // Warm-up, not measured: lvsd resolves the real servers' MACs itself when the first frames
  // arrive, and until then its neighbour queue overflows (neigh_queue_full drops). The sweep's
  // first point is the unpaced probe: landing on a director still resolving (lvsd scheduled late
  // on a loaded machine), it read as "forwarded nothing" and judged the director collapsed.
  // A low paced rate until one second is forwarded (at most 5 tries) takes that out of every point.
  for (let k = 0; k < 5; k++) {
    const w = await measurePoint(probe, WARMUP_RATE, 1);
    if (w.forwarded >= 0.9 * w.offered && w.offered > 0) break;
  }
  const runs: PpsSweep[] = [];
  for (let i = 0; i < RUNS; i++) {
    const points: PpsRun[] = [];
    if (RATES.length) {
      for (const rate of RATES) points.push(await measurePoint(probe, rate, STEP_SECS));
    } else if (SWEEP) {
      for (let rate = nextRate(points); rate !== undefined; rate = nextRate(points))
        points.push(await measurePoint(probe, rate, STEP_SECS));
    } else points.push(await measurePoint(probe, 0, SECS));
    const best = SWEEP || RATES.length ? bestPass(points) : 0;
    let chosen = best;
    if (chosen < 0) {
      chosen = 0;
      points.forEach((p, k) => {
        if (p.forwarded > (points[chosen] as PpsRun).forwarded) chosen = k;
      });
    }
    const sweep: PpsSweep = {
      points,
      chosen,
      generatorLimited: generatorLimited(points as SweepPoint[]),
      noPass: SWEEP && best < 0,
    };
    if (OVERLOAD && SWEEP && !RATES.length) {
      // Overload: 2× and 4× the judged rate, paced (the generator offers what it can beyond).
      const why = sweep.generatorLimited
        ? 'generator-limited: the director forwarded the unpaced probe'
        : sweep.noPass
          ? 'no rate passed'
          : undefined;
      const judged = points[chosen] as PpsRun;
      const over: PpsRun[] = [];
      if (!why) {
        log(`  overload: ${OVERLOAD_FACTORS.join('x and ')}x the judged ${Math.round(judged.offered)} pps\n`);
        for (const rate of overloadRates(judged.offered))
          over.push(await measurePoint(probe, rate, STEP_SECS));
      }
      sweep.overload = over;
      sweep.overloadResult = judgeOverload(judged, over, why);
      log(`  ${formatOverload(mode, sweep.overloadResult)}\n`);
    }
    const c = points[chosen] as PpsRun;
    log(
      `  run ${i + 1}: ${SWEEP ? (sweep.generatorLimited ? 'generator-limited at' : sweep.noPass ? 'no rate passed; best' : `max rate forwarded >= ${SWEEP_POLICY.passRatio * 100}%:`) : ''} offered ${Math.round(c.offered)} pps, forwarded ${Math.round(c.forwarded)} pps\n`,
    );
    runs.push(sweep);
    await sleep(500);
  }
  return runs;
}

async function measureHttp(mode: LabMode, st: LabState, dir: string, haproxy: boolean): Promise<number[]> {
  const plan = labPlan(mode);
  // The lab's own Node HTTP servers make way for nginx (same port, same answers).
  for (const h of ['rs1', 'rs2'] as const) {
    const pid = st.pids[h];
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  await sleep(200);
  const started: Started[] = [];
  for (const h of ['rs1', 'rs2'] as const) {
    const conf = nginxConf(dir, h, plan.port);
    const argv = ['nginx', '-c', conf, '-p', dir, '-g', 'daemon off;'];
    started.push(startIn(mode, h, ['taskset', '-c', String(LOAD_CPU), ...argv]));
  }
  if (haproxy) {
    // The kernel stand-in's DNAT would steal the VIP's traffic from HAProxy: remove it.
    nsRun(mode, 'director', ['nft', 'delete', 'table', 'ip', 'lab']);
    const conf = haproxyConf(dir, plan.vip, plan.port, plan.rips);
    const argv = ['haproxy', '-f', conf, '-db'];
    const hp = startIn(mode, 'director', ['taskset', '-c', String(DIRECTOR_CPU), ...argv]);
    started.push(hp);
    await sleep(300);
    if (hp.proc.pid) dedicate(hp.proc.pid, DIRECTOR_CPU);
  }
  children.push(...started.map((x) => x.proc));
  const url = `http://${plan.vip}:${plan.port}/`;
  let first: string;
  try {
    first = waitHttp(mode, url);
  } catch (e) {
    const logs = started.map((x) => x.output()).filter(Boolean);
    throw new Error(`${(e as Error).message}${logs.length ? `; daemon output: ${logs.join(' | ')}` : ''}`);
  }
  if (!first.startsWith('this is rs')) throw new Error(`unexpected answer through the VIP: ${first}`);
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = nsRun(mode, 'client', [
      'taskset',
      '-c',
      String(LOAD_CPU),
      'wrk',
      '-t1',
      '-c50',
      `-d${SECS}s`,
      url,
    ]);
    const w = parseWrk(r);
    log(`  run ${i + 1}: ${Math.round(w.rps)} requests/s, ${w.errors} errors\n`);
    out.push(w.errors > 0 && w.rps === 0 ? Number.NaN : w.rps);
  }
  return out;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    log('bench:packet needs root (network namespaces); skipped\n');
    return;
  }
  const why = packetAddonUnavailableReason();
  if (why) throw new Error(`the packet plane cannot run: ${why}`);
  // The generator's TX ring lives in a separate addon that install does not build; without it
  // the generator falls back to sendmmsg and paced (--sweep) runs fail.
  const noRing = ensureBenchAddon();
  if (noRing) log(`load generator: no TX-ring addon (${noRing}); unpaced sendmmsg only\n`);
  ensureTools(log);
  mkdirSync(STATE_ROOT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'lvs-bench-packet-'));
  const raw: { pps: Partial<Record<PpsCase, PpsSweep[]>>; rps: Partial<Record<HttpCase, number[]>> } = {
    pps: {},
    rps: {},
  };
  const errors: Record<string, string> = {};
  const load0 = loadavg();
  const cases: { name: PpsCase; mode: LabMode; director: DirectorKind; http?: HttpCase; xdp?: boolean }[] = [
    { name: 'lvsd-dr', mode: 'dr', director: 'lvsd', http: 'lvsd-dr' },
    { name: 'lvsd-dr-xdp', mode: 'dr', director: 'lvsd', xdp: true },
    { name: 'lvsd-nat', mode: 'nat', director: 'lvsd', http: 'lvsd-nat' },
    { name: 'lvsd-nat-xdp', mode: 'nat', director: 'lvsd', xdp: true },
    { name: 'kernel-dr', mode: 'dr', director: 'kernel' },
    { name: 'kernel-nat', mode: 'nat', director: 'kernel', http: 'haproxy' },
  ];
  try {
    for (let round = 1; round <= ROUNDS; round++)
      for (const c of cases) {
        if (!CASES.includes(c.name)) continue;
        log(`${c.name}: building the ${c.mode} lab (director: ${c.director}), round ${round}/${ROUNDS}\n`);
        // One retry: a failure is usually the lab being disturbed, not the director.
        for (let attempt = 1; attempt <= 2; attempt++) {
          try {
            await withLab(
              c.mode,
              c.director,
              async (st) => {
                if (ONLY !== 'http') (raw.pps[c.name] ??= []).push(...(await measurePps(c.mode, st)));
                if (c.http && ONLY !== 'pps') {
                  log(`${c.http}: HTTP through the VIP\n`);
                  (raw.rps[c.http] ??= []).push(
                    ...(await measureHttp(c.mode, st, dir, c.http === 'haproxy')),
                  );
                }
              },
              c.xdp === true,
            );
            delete errors[c.name];
            break;
          } catch (e) {
            errors[c.name] = e instanceof Error ? e.message : String(e);
            log(`${c.name} failed (attempt ${attempt}): ${errors[c.name]}\n`);
          }
        }
      }
  } finally {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  const med: Medians = {
    pps: {},
    offered: {},
    perCore: {},
    rps: {},
    costUs: {},
    peakOffered: {},
    peakForwarded: {},
    limitedBy: {},
    directorCores: 1,
  };
  for (const [k, sweeps] of Object.entries(raw.pps) as [PpsCase, PpsSweep[]][]) {
    // Each run is judged at its chosen point; the medians are over runs.
    const runs = sweeps.map((w) => w.points[w.chosen] as PpsRun);
    med.peakOffered![k] = median(sweeps.map((w) => (w.points[0] as PpsRun).offered));
    med.peakForwarded![k] = median(sweeps.map((w) => Math.max(...w.points.map((p) => p.forwarded))));
    const genRuns = sweeps.filter((w) => w.generatorLimited).length;
    med.limitedBy![k] = 2 * genRuns > sweeps.length ? 'generator' : 'director';
    med.pps[k] = median(runs.map((r) => r.forwarded));
    med.offered[k] = median(runs.map((r) => r.offered));
    med.perCore[k] = median(runs.map((r) => r.forwarded / Math.max(r.directorBusy, 0.01)));
    // Tick accounting can count a tick in both (softirq run on lvsd's behalf); never more than
    // the core's busy time.
    med.costUs![k] = median(
      runs.map((r) => (Math.min(r.procCpu + r.softirq, r.directorBusy) * 1e6) / Math.max(r.forwarded, 1)),
    );
  }
  for (const [k, runs] of Object.entries(raw.rps) as [HttpCase, number[]][]) med.rps[k] = median(runs);
  const report = formatReport(med, RUNS * ROUNDS, SECS);
  process.stdout.write(`\n${report}`);
  const overloadLines = (Object.entries(raw.pps) as [PpsCase, PpsSweep[]][]).flatMap(([k, sweeps]) =>
    sweeps.flatMap((w) => (w.overloadResult ? [`  ${formatOverload(k, w.overloadResult)}`] : [])),
  );
  if (overloadLines.length)
    process.stdout.write(
      `Overload (forwarded at 2x and 4x the judged rate vs at 1x; target >= 0.9x; NAPI threads ${NAPI_SCHED}):\n${overloadLines.join('\n')}\n`,
    );
  if (Object.keys(errors).length)
    process.stdout.write(
      `Failures:\n${Object.entries(errors)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}\n`,
    );
  const resultsDir = join(root, 'bench/results');
  if (!existsSync(resultsDir)) mkdirSync(resultsDir, { recursive: true });
  // --out NAME: another results file (partial runs must not overwrite the full one).
  const file = join(resultsDir, arg('out', BYPASS ? 'packet-bypass.json' : 'packet.json'));
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        host: {
          cpus: NCPU,
          model: cpus()[0]?.model,
          kernel: release(),
          node: process.version,
          loadavgBefore: load0,
          loadavgAfter: loadavg(),
        },
        settings: {
          rps: RPS,
          threadedNapi: NAPI,
          napiSched: NAPI_SCHED,
          overload: OVERLOAD && SWEEP && !RATES.length ? OVERLOAD_FACTORS : false,
          sweep: SWEEP ? { ...SWEEP_POLICY, stepSecs: STEP_SECS } : false,
          lvsdIngressBypass: BYPASS,
          directorNice: -19,
          runs: RUNS,
          rounds: ROUNDS,
          secs: SECS,
          warm: WARM,
          flows: FLOWS,
          frameBytes: 64,
          directorCpu: DIRECTOR_CPU,
          loadCpu: LOAD_CPU,
        },
        versions: toolVersions(),
        medians: med,
        targets: judgeTargets(med),
        raw,
        errors,
      },
      null,
      2,
    )}\n`,
  );
  log(`results written to ${file}\n`);
}

main().catch((e: unknown) => {
  cleanup();
  log(`bench:packet: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
