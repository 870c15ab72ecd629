/**
 * `npm run bench:core`: the IPVS core's numbers against issue 2's targets.
 * - ns per pick for every scheduler at 10, 100, 1,000 and 10,000 real servers, with connections
 *   created and expired around every pick (bench/core-schedulers.ts, run on the compiled dist/);
 * - the connection table at 1 M and 10 M live entries: bytes per entry, inserts/s, lookups/s and
 *   expiries/s on one core (bench/core-conntab.ts).
 * Each measurement runs BENCH_RUNS times (default 3) and the median is reported, because this
 * machine is shared and noisy. Prints tables and writes bench/results/core.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchConnTable, type ConnTabResult } from './core-conntab.js';
import { benchSchedulersCompiled, type SchedulerBenchRow } from './core-schedulers.js';
import { applyLvsdV8Flags } from './v8-flags.js';

// Before any hot code is optimized, as lvsd does at start.
const V8_LINE = applyLvsdV8Flags();

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SIZES = (process.env.BENCH_CONNTAB_SIZES ?? '1000000,10000000').split(',').map(Number);
/** Issue 2's targets. */
const TARGET = { nsPerPickAt1000: 200, bytesPerEntryAt10M: 100, lookupsPerSec: 5_000_000 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function schedulers(): Promise<SchedulerBenchRow[]> {
  const runs: SchedulerBenchRow[][] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await benchSchedulersCompiled());
  const first = runs[0] ?? [];
  return first.map((row, i) => ({
    ...row,
    nsPerPick: median(runs.map((x) => x[i]?.nsPerPick ?? Number.NaN)),
  }));
}

function connTable(): ConnTabResult[] {
  return SIZES.map((n) => {
    const runs: ConnTabResult[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(benchConnTable(n));
    const pick = (k: keyof ConnTabResult) => median(runs.map((x) => x[k]));
    return {
      entries: n,
      bytesPerEntry: pick('bytesPerEntry'),
      arrayBytesPerEntry: pick('arrayBytesPerEntry'),
      heapBytesPerEntry: pick('heapBytesPerEntry'),
      insertsPerSec: pick('insertsPerSec'),
      lookupsPerSec: pick('lookupsPerSec'),
      expiriesPerSec: pick('expiriesPerSec'),
    };
  });
}

const fmt = (x: number) => Math.round(x).toLocaleString('en');

async function main(): Promise<void> {
  console.log(
    `bench:core — ${RUNS} runs per figure, medians; ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${V8_LINE}`,
  );
  const sched = await schedulers();
  const sizes = [...new Set(sched.map((r) => r.servers))];
  const names = [...new Set(sched.map((r) => r.scheduler))];
  const table: Record<string, Record<string, string>> = {};
  for (const n of names) {
    const row: Record<string, string> = {};
    for (const s of sizes)
      row[`${s} RS`] = (sched.find((r) => r.scheduler === n && r.servers === s)?.nsPerPick ?? 0).toFixed(0);
    const at1000 =
      sched.find((r) => r.scheduler === n && r.servers === 1000)?.nsPerPick ?? Number.POSITIVE_INFINITY;
    row[`≤${TARGET.nsPerPickAt1000} ns @1000`] = verdict(at1000 <= TARGET.nsPerPickAt1000);
    table[n] = row;
  }
  console.log('\nns per pick (pick + bind + unbind, compiled build):');
  console.table(table);

  const ct = connTable();
  console.log('\nconnection table (IPv4 entries, one core):');
  console.table(
    ct.map((r) => ({
      entries: fmt(r.entries),
      'B/entry': r.bytesPerEntry.toFixed(1),
      'inserts/s': fmt(r.insertsPerSec),
      'lookups/s': fmt(r.lookupsPerSec),
      'expiries/s': fmt(r.expiriesPerSec),
      [`≤${TARGET.bytesPerEntryAt10M} B`]: verdict(r.bytesPerEntry <= TARGET.bytesPerEntryAt10M),
      '≥5 M lookups/s': verdict(r.lookupsPerSec >= TARGET.lookupsPerSec),
    })),
  );

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    v8: V8_LINE,
    runs: RUNS,
    targets: TARGET,
    schedulers: sched,
    connTable: ct,
  };
  writeFileSync(new URL('./results/core.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nwrote bench/results/core.json');
}

await main();
