/**
 * Benchmark piece for `npm run bench:core`: nanoseconds per pick for every scheduler at 10, 100,
 * 1,000 and 10,000 real servers while connections are created and expired. Each iteration picks
 * a dest for a packet from a pool (varied client and destination addresses), binds a new
 * connection to it and, once the live set is full (4 per server), expires the oldest one, so the
 * load indexes of the dynamic schedulers change on every pick. The timed work is the whole
 * iteration (pick + bind + unbind), so the figure is an upper bound on the pick alone. Time is
 * the process's CPU time (process.cpuUsage), which stays meaningful on a busy machine.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CONN_COUNT, type Dest } from '../src/core/dest.js';
import { BUILTIN_SCHEDULERS } from '../src/core/schedulers/all.js';
import { findScheduler } from '../src/core/schedulers/index.js';
import type { SchedPacket } from '../src/core/schedulers/scheduler.js';
import { ServiceTable } from '../src/core/service-table.js';
import { FWD, PROTO, type ServiceKey } from '../src/core/types.js';

/** One result row. */
export interface SchedulerBenchRow {
  scheduler: string;
  servers: number;
  nsPerPick: number;
}

/** Knobs (defaults give stable numbers in a few seconds per scheduler). */
export interface SchedulerBenchOptions {
  schedulers?: string[];
  servers?: number[];
  /** Timed iterations per (scheduler, servers) cell. */
  iterations?: number;
  /** Untimed warm-up iterations per cell. */
  warmup?: number;
  /** The timed iterations are split in this many rounds; the fastest round is reported. */
  rounds?: number;
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function packets(count: number): SchedPacket[] {
  const r = xorshift(7);
  const out: SchedPacket[] = [];
  for (let i = 0; i < count; i++) {
    const s = r();
    out.push({
      srcAddr: new Uint8Array([10, (s >>> 16) & 255, (s >>> 8) & 255, s & 255]),
      srcPort: 1024 + (r() % 60000),
      // 1024 destination addresses, so dh/lblc/lblcr see many keys.
      dstAddr: new Uint8Array([198, 51, 100 + ((i >> 8) & 3), i & 255]),
      dstPort: 80,
      protocol: PROTO.TCP,
    });
  }
  return out;
}

/** The modules the benchmark drives: the TypeScript sources, or the compiled dist/ build. */
interface Deps {
  ServiceTable: typeof ServiceTable;
  findScheduler: typeof findScheduler;
  names: string[];
}

const SRC: Deps = { ServiceTable, findScheduler, names: Object.keys(BUILTIN_SCHEDULERS) };

/** Builds a service with `n` dests already in place, then binds the scheduler once (as -E would). */
function service(deps: Deps, name: string, n: number) {
  const table = new deps.ServiceTable({
    schedulers: deps.findScheduler,
    schedulerOptions: { random: xorshift(42) },
  });
  const key: ServiceKey = { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.1', port: 80 };
  const base = { scheduler: 'none', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' };
  table.addService(key, base);
  for (let i = 0; i < n; i++) {
    const addr = `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255 || 254}`;
    table.addDest(key, {
      addr: i & 255 ? addr : `10.${200 + (i >> 16)}.${(i >> 8) & 255}.1`,
      port: 80,
      af: 4,
      fwd: FWD.DROUTE,
      weight: 1 + (i % 10),
      uThreshold: 0,
      lThreshold: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    });
  }
  // mh needs a table larger than the dest count: the kernel default 4093 refuses 10,000 dests.
  const mhTableSize = name === 'mh' && n > 4093 ? 16381 : 0;
  const svc = table.editService(key, { ...base, scheduler: name, ...(mhTableSize ? { mhTableSize } : {}) });
  return svc;
}

/** Runs the scheduler benchmark on the TypeScript sources; one row per (scheduler, servers). */
export function benchSchedulers(opts: SchedulerBenchOptions = {}): SchedulerBenchRow[] {
  return run(SRC, opts);
}

/**
 * The same benchmark on the compiled dist/ build (run `npm run build` first), which is what lvsd
 * executes. Prefer it for published numbers: under `node --import tsx` the transpiled sources run
 * the hot path about twice as slowly as tsc's output.
 */
export async function benchSchedulersCompiled(
  opts: SchedulerBenchOptions = {},
  distDir?: string,
): Promise<SchedulerBenchRow[]> {
  // BENCH_DIST (or distDir) points at another build output, e.g. a private --outDir of an older
  // commit to race before against after in one session.
  const alt = distDir ?? process.env.BENCH_DIST;
  const dist = alt
    ? pathToFileURL(`${resolve(alt)}/core/`).href
    : new URL('../dist/core/', import.meta.url).href;
  const st = (await import(`${dist}service-table.js`)) as { ServiceTable: typeof ServiceTable };
  const ix = (await import(`${dist}schedulers/index.js`)) as { findScheduler: typeof findScheduler };
  const all = (await import(`${dist}schedulers/all.js`)) as { BUILTIN_SCHEDULERS: typeof BUILTIN_SCHEDULERS };
  return run(
    {
      ServiceTable: st.ServiceTable,
      findScheduler: ix.findScheduler,
      names: Object.keys(all.BUILTIN_SCHEDULERS),
    },
    opts,
  );
}

function run(deps: Deps, opts: SchedulerBenchOptions): SchedulerBenchRow[] {
  const names = opts.schedulers ?? deps.names;
  const sizes = opts.servers ?? [10, 100, 1000, 10000];
  const iterations = opts.iterations ?? 300_000;
  const warmup = opts.warmup ?? 100_000;
  const rounds = opts.rounds ?? 5;
  const pool = packets(4096);
  const rows: SchedulerBenchRow[] = [];
  for (const name of names) {
    for (const n of sizes) {
      const svc = service(deps, name, n);
      const sched = svc.sched;
      if (!sched) throw new Error(`no scheduler ${name}`);
      const live: (Dest | null)[] = new Array(4 * n).fill(null);
      const kinds = new Uint8Array(4 * n);
      let head = 0;
      let now = 1;
      const step = (i: number) => {
        const p = pool[i & 4095] as SchedPacket;
        const d = sched.schedule(svc, p, now);
        const old = live[head];
        if (old) old.unbind(kinds[head] === 0 ? CONN_COUNT.ACTIVE : CONN_COUNT.INACTIVE);
        if (d) {
          // One connection in four is counted inactive, as a UDP or closing TCP conn would be.
          const kind = (i & 3) === 3 ? CONN_COUNT.INACTIVE : CONN_COUNT.ACTIVE;
          d.bind(kind);
          kinds[head] = kind === CONN_COUNT.ACTIVE ? 0 : 1;
        }
        live[head] = d;
        head = head + 1 === live.length ? 0 : head + 1;
        if ((i & 1023) === 0) {
          now += 1;
          sched.tick?.(svc, now);
        }
      };
      for (let i = 0; i < warmup; i++) step(i);
      // CPU time of this process, not wall time: on a shared machine wall time mostly measures
      // the neighbours (it includes GC threads, so it errs on the slow side). The best of a few
      // rounds is kept, the usual way to filter out interference.
      const per = Math.ceil(iterations / rounds);
      let ns = Number.POSITIVE_INFINITY;
      for (let r = 0, i = warmup; r < rounds; r++) {
        const c0 = process.cpuUsage();
        for (const end = i + per; i < end; i++) step(i);
        const c = process.cpuUsage(c0);
        ns = Math.min(ns, ((c.user + c.system) * 1e3) / per);
      }
      rows.push({ scheduler: name, servers: n, nsPerPick: Math.round(ns) });
    }
  }
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // lvsd's V8 flags first, before any scheduler code is optimized (LVS_V8_DEFAULTS=1: defaults).
  console.log((await import('./v8-flags.js')).applyLvsdV8Flags());
  // Standalone: `npm run build && node --import tsx bench/core-schedulers.ts [--src]
  //   [--only lc,wlc] [--servers 10,1000,10000] [--runs 5] [--dist DIR[,DIR2...]]`.
  // Several --dist outputs (e.g. an older commit's build and this one) run interleaved, run by
  // run, so before and after see the same machine; each cell is the median of --runs.
  const { values } = parseArgs({
    options: {
      src: { type: 'boolean', default: false },
      only: { type: 'string' },
      servers: { type: 'string' },
      runs: { type: 'string', default: '1' },
      dist: { type: 'string' },
    },
  });
  const opts: SchedulerBenchOptions = {
    ...(values.only ? { schedulers: values.only.split(',') } : {}),
    ...(values.servers ? { servers: values.servers.split(',').map(Number) } : {}),
  };
  const dists: (string | undefined)[] = values.dist ? values.dist.split(',') : [undefined];
  const runs = Math.max(1, Number(values.runs));
  const all: SchedulerBenchRow[][][] = dists.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < dists.length; k++) {
      const rows = values.src ? benchSchedulers(opts) : await benchSchedulersCompiled(opts, dists[k]);
      all[k]?.push(rows);
    }
  }
  for (let k = 0; k < dists.length; k++) {
    const per = all[k] ?? [];
    const rows = (per[0] ?? []).map((row, i) => ({
      ...row,
      nsPerPick: median(per.map((x) => x[i]?.nsPerPick ?? Number.NaN)),
      all: per.map((x) => x[i]?.nsPerPick ?? Number.NaN),
    }));
    const sizes = [...new Set(rows.map((r) => r.servers))];
    console.log(`\n${dists[k] ?? (values.src ? 'src' : 'dist')}: median of ${runs} (ns per pick)`);
    console.log(['scheduler', ...sizes.map((s) => `${s} srv`)].map((c) => c.padStart(10)).join(''));
    for (const name of new Set(rows.map((r) => r.scheduler))) {
      const cells = sizes.map(
        (s) => `${rows.find((r) => r.scheduler === name && r.servers === s)?.nsPerPick} ns`,
      );
      console.log([name, ...cells].map((c) => c.padStart(10)).join(''));
    }
    if (runs > 1) console.log(JSON.stringify(rows.map((r) => [r.scheduler, r.servers, r.all])));
  }
}
