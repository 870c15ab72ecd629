/**
 * `npm run fuzz`: the fuzzers at scale, outside `npm test`. Each target runs in a worker thread
 * watched from here: an input that runs longer than --hang-ms is a hang (the worker is terminated
 * and the input in hand reported). Prints a table, writes fuzz/results/fuzz.json, exits 1 when
 * anything was found. `--smoke` runs small counts for CI.
 *
 *   npm run fuzz                         frames 10^7, configs 10^5, control 10^5, argv 10^4
 *   npm run fuzz -- --smoke              a bounded run of each (seconds), as .ci/run does
 *   npm run fuzz -- --only frames --count 1000000 --seed 7
 *   npm run fuzz -- --only frames --save-corpus 300   refresh test/fixtures/fuzz/*.pcap
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type Finding, INPUT_BYTES, type TargetResult } from './target.js';

const FULL: Record<string, number> = { frames: 10_000_000, configs: 100_000, control: 100_000, argv: 10_000 };
const SMOKE: Record<string, number> = { frames: 200_000, configs: 2_000, control: 5_000, argv: 100 };

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'hang-ms': { type: 'string', default: '10000' },
    'max-findings': { type: 'string', default: '20' },
    'save-corpus': { type: 'string', default: '0' },
  },
});

/** How long a worker may take to load its target (tsx compiles it) before the first input. */
const STARTUP_MS = 180_000;

const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
const hangMs = Number(values['hang-ms']);
const counts = values.smoke ? SMOKE : FULL;
const names = values.only ? values.only.split(',') : Object.keys(counts);

/** One target's outcome as the table shows it. */
interface Row {
  target: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  findings: number;
  hangs: number;
  counts: Record<string, number>;
  examples: Finding[];
  notes: Finding[];
}

function runTarget(name: string, count: number): Promise<Row> {
  const shared = new SharedArrayBuffer(8 + INPUT_BYTES);
  const head = new Int32Array(shared, 0, 2);
  head[0] = -1;
  const start = performance.now();
  // Node 20 does not start a worker from a .ts file even with tsx loaded: the worker registers
  // tsx itself, then imports the real entry.
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, {
    eval: true,
    workerData: {
      target: name,
      seed,
      count,
      maxFindings: Number(values['max-findings']),
      saveCorpus: Number(values['save-corpus']),
      shared,
    },
  });
  return new Promise((resolve) => {
    let last = -1;
    let lastAt = performance.now();
    const finish = (r: TargetResult | undefined, hang?: Finding, error?: string): void => {
      clearInterval(watch);
      const seconds = (performance.now() - start) / 1000;
      const examples = [...(r?.findings ?? [])];
      if (hang) examples.push(hang);
      if (error) examples.push({ index: Atomics.load(head, 0), what: error, input: '' });
      const inputs = r?.inputs ?? Math.max(0, Atomics.load(head, 0));
      resolve({
        target: name,
        inputs,
        seconds,
        perSecond: Math.round(inputs / seconds),
        findings: (r?.counts.findings ?? r?.findings.length ?? 0) + (error ? 1 : 0),
        hangs: hang ? 1 : 0,
        counts: r?.counts ?? {},
        examples,
        notes: [...(r?.notes ?? [])],
      });
    };
    const watch = setInterval(() => {
      const now = Atomics.load(head, 0);
      if (now !== last) {
        last = now;
        lastAt = performance.now();
      } else if (performance.now() - lastAt > (now < 0 ? STARTUP_MS : hangMs)) {
        const n = Atomics.load(head, 1);
        const input = Buffer.from(new Uint8Array(shared, 8, n)).toString('hex');
        void worker.terminate();
        const what =
          now < 0 ? `the target did not start in ${STARTUP_MS} ms` : `hang: no progress for ${hangMs} ms`;
        finish(undefined, { index: now, what, input });
      }
    }, 250);
    worker.once('message', (r: TargetResult) => finish(r));
    worker.once('error', (e) => finish(undefined, undefined, `worker died: ${e.message}`));
  });
}

const rows: Row[] = [];
for (const name of names) {
  const count = values.count !== undefined ? Number(values.count) : (counts[name] ?? 1000);
  process.stdout.write(`# ${name}: ${count} inputs, seed ${seed}\n`);
  const row = await runTarget(name, count);
  rows.push(row);
  for (const ex of row.examples.slice(0, 5))
    process.stdout.write(`  FOUND #${ex.index}: ${ex.what}\n    input ${ex.input.slice(0, 400)}\n`);
  for (const ex of row.notes.slice(0, 5))
    process.stdout.write(`  note #${ex.index}: ${ex.what}\n    input ${ex.input.slice(0, 400)}\n`);
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
process.stdout.write(
  `\n${'target'.padEnd(9)}${pad('inputs', 12)}${pad('seconds', 9)}${pad('per s', 10)}${pad('found', 7)}${pad('hangs', 7)}\n`,
);
for (const r of rows)
  process.stdout.write(
    `${r.target.padEnd(9)}${pad(r.inputs, 12)}${pad(r.seconds.toFixed(1), 9)}${pad(r.perSecond, 10)}${pad(r.findings, 7)}${pad(r.hangs, 7)}\n`,
  );
for (const r of rows) {
  const top = Object.entries(r.counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  process.stdout.write(`  ${r.target}: ${top}\n`);
}

const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL(values.smoke ? 'fuzz-smoke.json' : 'fuzz.json', dir),
  `${JSON.stringify({ at: new Date().toISOString(), seed, smoke: values.smoke, rows }, null, 1)}\n`,
);
process.exitCode = rows.some((r) => r.findings > 0 || r.hangs > 0) ? 1 : 0;
