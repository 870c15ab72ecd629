/**
 * The VRRP failover race (`npm run bench:failover`, root: network namespaces, and Debian's
 * keepalived 2.2.7 installed): takeover time, from the SIGKILL of the master to the first client
 * request answered through the new master, for the pairs lvsd/lvsd, keepalived/keepalived,
 * lvsd master + keepalived backup and keepalived master + lvsd backup, at VRRPv2 `advert_int 1`
 * and VRRPv3 `advert_int 0.1`, on one topology (bench/lib/failover-lab.ts) in one run. The master
 * (priority 150) is d1, the backup (priority 100) d2; the client sends a request every 10 ms and
 * each director's server answers with its name. The backup's down timer runs from the last
 * advert it heard (RFC 5798 §6.4.2, Master_Down_Interval = 3 × Master_Adver_Interval +
 * Skew_Time), so a takeover varies by up to one interval with where the kill falls between two
 * adverts: the client's namespace watches the adverts (bench/lib/failover-adverts.ts) and each
 * run kills the master a different fraction of the interval after one of its adverts (the same
 * for every pair), and the pairs take turns within each run so a shared machine's load hits them
 * alike. Medians; ratios to keepalived/keepalived; results in
 * bench/results/failover.json.
 *
 * Options: --runs N (default 10).
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADDR,
  buildFailoverLab,
  type Director,
  dropVip,
  type Impl,
  startClient,
  startDirector,
  type VrrpSettings,
  watchAdverts,
} from './lib/failover-lab.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 10);

const PAIRS = [
  ['keepalived', 'keepalived'],
  ['lvsd', 'lvsd'],
  ['lvsd', 'keepalived'],
  ['keepalived', 'lvsd'],
] as const satisfies readonly (readonly [Impl, Impl])[];
const SETTINGS = [
  { key: 'v2-1s', version: 2, advertInt: 1 },
  { key: 'v3-100ms', version: 3, advertInt: 0.1 },
] as const;
const pairKey = (p: readonly [Impl, Impl]) => `${p[0]}/${p[1]}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function waitFor(what: string, ms: number, ok: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** One takeover: fresh directors and client, kill at `phase` (0..1) of an advert interval. */
async function takeover(
  pair: readonly [Impl, Impl],
  set: (typeof SETTINGS)[number],
  phase: number,
): Promise<{ answered: number; master: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-bench-failover-'));
  const base = { version: set.version, advertInt: set.advertInt } as const;
  const master: VrrpSettings = { ...base, state: 'MASTER', priority: 150 };
  const backup: VrrpSettings = { ...base, state: 'BACKUP', priority: 100 };
  const started: Director[] = [];
  const client = startClient(lab, 120_000);
  try {
    const m = startDirector(lab, dir, 'd1', pair[0], master);
    started.push(m);
    await waitFor(`${pair[0]} d1 answering through the VIP (${m.log()})`, 20_000, () =>
      client.answers().some(([, n]) => n === 'd1'),
    );
    const b = startDirector(lab, dir, 'd2', pair[1], backup);
    started.push(b);
    await waitFor(`${pair[1]} d2 BACKUP`, 20_000, () => b.log().includes('(VI_1) Entering BACKUP STATE'));
    // A few adverts heard, then the kill at this run's phase after one of the master's adverts.
    await sleep(3 * set.advertInt * 1000);
    const t0 = Date.now();
    let advertAt = 0;
    await waitFor('an advert from d1', 5000, () => {
      advertAt = watch.adverts().find(([at, src]) => at >= t0 && src === ADDR.d1)?.[0] ?? 0;
      return advertAt > 0;
    });
    await sleep(Math.max(0, advertAt + phase * set.advertInt * 1000 - Date.now()));
    if (b.log().includes('Entering MASTER STATE')) throw new Error(`d2 became MASTER early:\n${b.log()}`);
    const logFrom = b.log().length;
    const killedAt = Date.now();
    m.crash();
    let t = 0;
    await waitFor(`d2 answering after the kill (${b.log()})`, 20_000, () => {
      const a = client.answers().find(([at, n]) => n === 'd2' && at >= killedAt);
      if (a) t = a[0];
      return a !== undefined;
    });
    const mastered = await b.seenAt('(VI_1) Entering MASTER STATE', logFrom);
    return { answered: t - killedAt, master: mastered - killedAt };
  } finally {
    await client.stop();
    for (const d of started) await d.stop();
    dropVip(lab, 'd1');
    dropVip(lab, 'd2');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync('keepalived', ['--version'], { stdio: 'ignore' }).status !== 0)
  throw new Error('bench:failover needs keepalived installed');
const kaVersion = spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).stderr.split('\n')[0]?.trim();
const lab = buildFailoverLab();
const watch = watchAdverts(lab, RUNS * SETTINGS.length * PAIRS.length * 60_000);
const samples: Record<string, Record<string, number[]>> = {};
/** Kill to the backup's `(VI_1) Entering MASTER STATE` line: the election part of the takeover. */
const toMaster: Record<string, Record<string, number[]>> = {};
for (const s of SETTINGS) {
  samples[s.key] = Object.fromEntries(PAIRS.map((p) => [pairKey(p), []]));
  toMaster[s.key] = Object.fromEntries(PAIRS.map((p) => [pairKey(p), []]));
}
try {
  for (let run = 0; run < RUNS; run++) {
    const phase = (run + 0.5) / RUNS;
    for (const s of SETTINGS)
      for (const p of PAIRS) {
        const r = await takeover(p, s, phase);
        samples[s.key]?.[pairKey(p)]?.push(r.answered);
        toMaster[s.key]?.[pairKey(p)]?.push(r.master);
        console.log(
          `run ${run + 1}/${RUNS} ${s.key} ${pairKey(p)}: answered ${r.answered} ms (MASTER logged ${r.master} ms)`,
        );
      }
  }
} finally {
  await watch.stop();
  lab.destroy();
}

const med = (s: string, p: string) => median(samples[s]?.[p] ?? []);
console.log(
  `\nVRRP takeover after SIGKILL of the master (ms, median of ${RUNS}; ratio to keepalived/keepalived)\n`,
);
console.log(
  `${'pair (master/backup)'.padEnd(24)}${SETTINGS.map((s) => s.key.padStart(12) + 'ratio'.padStart(8)).join('')}`,
);
for (const p of PAIRS) {
  const k = pairKey(p);
  const cells = SETTINGS.map((s) => {
    const v = med(s.key, k);
    const r = v / med(s.key, 'keepalived/keepalived');
    return v.toFixed(0).padStart(12) + r.toFixed(2).padStart(8);
  });
  console.log(`${k.padEnd(24)}${cells.join('')}`);
}
console.log('\nof which kill → backup logs "Entering MASTER STATE" (ms, median)\n');
for (const p of PAIRS) {
  const k = pairKey(p);
  const cells = SETTINGS.map(
    (s) =>
      median(toMaster[s.key]?.[k] ?? [])
        .toFixed(0)
        .padStart(12) + ''.padStart(8),
  );
  console.log(`${k.padEnd(24)}${cells.join('')}`);
}
const v3 = med('v3-100ms', 'lvsd/lvsd');
console.log(
  `\ntargets: lvsd/lvsd ≤ keepalived/keepalived: ${SETTINGS.map((s) => `${s.key} ${med(s.key, 'lvsd/lvsd') <= med(s.key, 'keepalived/keepalived') ? 'met' : 'missed'}`).join(', ')}; lvsd/lvsd v3 0.1 s ≤ 500 ms: ${v3 <= 500 ? 'met' : 'missed'} (${v3.toFixed(0)} ms)`,
);

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/failover.json',
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      kernel: release(),
      node: process.version,
      keepalived: kaVersion,
      runs: RUNS,
      samplesMs: samples,
      toMasterLogMs: toMaster,
      mediansMs: Object.fromEntries(
        SETTINGS.map((s) => [
          s.key,
          Object.fromEntries(PAIRS.map((p) => [pairKey(p), med(s.key, pairKey(p))])),
        ]),
      ),
      ratiosToKeepalived: Object.fromEntries(
        SETTINGS.map((s) => [
          s.key,
          Object.fromEntries(
            PAIRS.map((p) => [pairKey(p), med(s.key, pairKey(p)) / med(s.key, 'keepalived/keepalived')]),
          ),
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
console.log('\nwrote bench/results/failover.json');
