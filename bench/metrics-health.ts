/**
 * The cost of the health and availability families in a /metrics scrape
 * (`node --import tsx bench/metrics-health.ts --runs 10`): the health and availability views of
 * 1,000 services × 10 real servers (one TCP_CHECK each with a result, one real server in ten
 * down with a failure, so every family has lines), built as src/health/views.ts builds them
 * (new objects at every scrape), written two ways side by side:
 *   - strings: health-families.ts writeHealthFamilies / writeAvailabilityFamilies, the lines built
 *     as strings at every scrape (what /metrics did before health-writer.ts);
 *   - kept body: health-writer.ts HealthWriter, the lines kept and only changed values rewritten.
 * Each is timed as CPU per scrape (process.cpuUsage) with the views built (standing in for
 * HealthRunner's `healthView()` and `availabilityView()`, which both pay) measured apart, for a scrape at the same moment as the
 * last (only the clock-free values equal) and one a second later (every up/down time changed).
 * Then a new layout (a checker's first result, a reload), written in steps: its CPU in all and
 * the longest hold of the event loop. Results in bench/results/metrics-health.json.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { AvailabilityRow, AvailabilityView, HealthView } from '../src/control/health-views.js';
import { Exposition } from '../src/daemon/metrics/exposition.js';
import { writeAvailabilityFamilies, writeHealthFamilies } from '../src/daemon/metrics/health-families.js';
import { HealthWriter } from '../src/daemon/metrics/health-writer.js';
import { concatChunks } from '../src/daemon/metrics/table-writer.js';
import { loopGap, threadCpuMs } from '../test/helpers/loop-gap.js';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 10);
const SERVICES = 1000;
const REALS = 10;

/**
 * The views as src/health/views.ts builds them (new objects each time) at time `now`: one TCP
 * checker per real server with a last result, one real server in ten down with one failure.
 */
function makeViews(now: number): { h: HealthView; a: AvailabilityView } {
  const t = now - 1_000_000;
  const row = (subject: string, down: boolean): AvailabilityRow => ({
    subject,
    up: !down,
    since: 1_000_000,
    observedMs: t,
    upMs: down ? 5000 : t,
    downMs: down ? t - 5000 : 0,
    failures: down ? 1 : 0,
    uptimePct: down ? 500000 / t : 100,
    mtbfMs: down ? 5000 : 0,
    mttrMs: down ? t - 5000 : 0,
    availability: down ? 5000 / t : Number.NaN,
  });
  const hs: HealthView['services'][number][] = [];
  const as: AvailabilityView['services'][number][] = [];
  for (let s = 0; s < SERVICES; s++) {
    const id = `TCP 192.0.2.${1 + (s % 250)}:${1000 + s}`;
    const reals = [];
    const rows = [];
    for (let r = 0; r < REALS; r++) {
      const down = r === 0 && s % 10 === 0;
      const addr = `198.51.100.${1 + r}`;
      reals.push({
        addr,
        port: 8000 + s,
        up: !down,
        since: 1_000_000,
        weight: down ? 0 : 1,
        configuredWeight: 1,
        message: down ? 'connect failed' : 'ok',
        checkers: [
          {
            type: 'tcp',
            up: !down,
            since: 1_000_000,
            last: {
              ok: !down,
              message: down ? 'fake failure' : 'fake ok',
              durationMs: down ? 3000 : 1.25,
              at: now,
            },
            nextAt: now + 2000,
          },
        ],
      });
      rows.push(row(`${addr}:${8000 + s}`, down));
    }
    hs.push({ id, quorumUp: true, since: 1_000_000, weightSum: 9, quorum: 1, hysteresis: 0, reals });
    as.push({ service: row(id, false), reals: rows });
  }
  return { h: { now, services: hs }, a: { now, services: as } };
}
let now = 2_000_000;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? Number.NaN;

const views = () => makeViews(now);
const strings = (v: ReturnType<typeof views>) => {
  const out = new Exposition();
  writeHealthFamilies(out, v.h);
  writeAvailabilityFamilies(out, v.a);
  return Buffer.from(out.text());
};
const writer = new HealthWriter();
const kept = (v: ReturnType<typeof views>) => concatChunks(writer.prepareNow(writer.read(v.h, v.a)));

const first = views();
const body = strings(first);
if (!kept(first).equals(body)) throw new Error('the kept body differs from the strings');
const lines = body
  .toString()
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#')).length;

type Row = { viewsMs: number[]; stringsMs: number[]; keptMs: number[] };
const rows: Record<string, Row> = {
  'same moment': { viewsMs: [], stringsMs: [], keptMs: [] },
  'a second later': { viewsMs: [], stringsMs: [], keptMs: [] },
};
for (let i = 0; i < runs; i++)
  for (const [name, row] of Object.entries(rows)) {
    if (name === 'a second later') now += 1000;
    let c0 = cpuMs();
    const v = views();
    row.viewsMs.push(cpuMs() - c0);
    c0 = cpuMs();
    strings(v);
    row.stringsMs.push(cpuMs() - c0);
    c0 = cpuMs();
    kept(v);
    row.keptMs.push(cpuMs() - c0);
  }

// A new layout (a checker's first result, a reload): the labels are worked out and the body
// written afresh, in steps; the longest CPU time between two loop turns is what others waited.
const layoutCpu: number[] = [];
const layoutHold: number[] = [];
for (let i = 0; i < Math.min(runs, 5); i++) {
  const w = new HealthWriter();
  const v = views();
  const c0 = cpuMs();
  let hold = 0;
  const g = await loopGap(async () => {
    const t0 = threadCpuMs();
    const sc = w.read(v.h, v.a);
    hold = threadCpuMs() - t0;
    concatChunks(await w.prepare(sc));
  });
  layoutCpu.push(cpuMs() - c0);
  layoutHold.push(Math.max(hold, g.cpuMs));
}

const load = loadavg().map((x) => x.toFixed(2));
console.log(
  `health + availability families, ${SERVICES} x ${REALS} real servers, ${lines} lines, ${(body.length / 1e6).toFixed(1)} MB; ${runs} runs, load ${load.join(' ')}`,
);
console.log('scrape           views ms  strings ms  kept body ms  strings/kept');
const out: Record<string, unknown> = {};
for (const [name, r] of Object.entries(rows)) {
  const v = median(r.viewsMs);
  const s = median(r.stringsMs);
  const k = median(r.keptMs);
  console.log(
    `${name.padEnd(16)} ${v.toFixed(1).padStart(8)}  ${s.toFixed(1).padStart(10)}  ${k.toFixed(1).padStart(12)}  ${(s / k).toFixed(1).padStart(12)}`,
  );
  out[name] = { viewsMs: v, stringsMs: s, keptMs: k, ratio: s / k };
}
console.log(
  `new layout, kept body: CPU ${median(layoutCpu).toFixed(1)} ms in all, longest hold of the loop ${median(layoutHold).toFixed(1)} ms (medians of ${layoutCpu.length})`,
);
out['new layout'] = { cpuMs: median(layoutCpu), longestHoldMs: median(layoutHold) };
writeFileSync(
  new URL('results/metrics-health.json', import.meta.url),
  `${JSON.stringify({ services: SERVICES, reals: REALS, lines, bytes: body.length, runs, loadavg: load, medians: out }, null, 2)}\n`,
);
