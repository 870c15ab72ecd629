/**
 * The VRRP failover race (`npm run bench:failover`, root: network namespaces, and Debian's
 * keepalived 2.2.7 and HAProxy installed): takeover time, from the SIGKILL of the master to the
 * first client request answered through the new master, on one topology (bench/lib/failover-lab.ts)
 * in one run, at VRRPv2 `advert_int 1` and VRRPv3 `advert_int 0.1`. The baseline that does lvsd's
 * job is keepalived+haproxy ("kh"): this kernel has no IPVS, so a keepalived director balances
 * through HAProxy (`mode tcp` on the VIP → the director-local HTTP server lvsd's virtual_server
 * proxies to). The pairs are lvsd/lvsd, kh/kh, lvsd master + kh backup and kh master + lvsd backup,
 * plus keepalived/keepalived, keepalived alone serving HTTP on the VIP itself (balancing nothing:
 * the floor of a takeover, as earlier versions of this bench measured it). The master (priority
 * 150) is d1, the backup (priority 100) d2; the client sends a request every 10 ms and each
 * director's server answers with its name. The kill waits until the backup is ready to serve (its
 * server listening and, for kh, HAProxy bound to the VIP): at 0.1 s a backup is BACKUP long
 * before a node server started beside it listens, and the hand-over would time that start-up. The backup's down timer runs from the last advert it
 * heard (RFC 5798 §6.4.2, Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time), so a
 * takeover varies by up to one interval with where the kill falls between two adverts: the
 * client's namespace watches the adverts (bench/lib/failover-adverts.ts) and each run kills the
 * master a different fraction of the interval after one of its adverts (the same for every pair),
 * and the pairs take turns within each run so a shared machine's load hits them alike. Each
 * takeover is also split (bench/lib/failover-split.ts) into the election (kill → the new
 * master's first advert on the wire; its "Entering MASTER STATE" log line is recorded too) and
 * the hand-over (that advert → the first answered request), so the table shows where the time
 * goes. Medians; ratios to kh/kh; results in bench/results/failover.json.
 *
 * Options: --runs N (default 10); --only SETTING or PAIR[,...] (e.g. `--only v3-100ms,kh/kh,lvsd/kh`)
 * keeps only those settings and pairs (a quick look; the recorded race runs them all).
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
import { splitTakeover, type TakeoverSplit } from './lib/failover-split.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 10);

const ALL_PAIRS = [
  ['kh', 'kh'],
  ['lvsd', 'lvsd'],
  ['lvsd', 'kh'],
  ['kh', 'lvsd'],
  ['keepalived', 'keepalived'],
] as const satisfies readonly (readonly [Impl, Impl])[];
const only = process.argv.includes('--only')
  ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',')
  : [];
const pick = <T>(all: readonly T[], key: (t: T) => string) => {
  const kept = all.filter((t) => only.includes(key(t)));
  return kept.length > 0 ? kept : all;
};
/** The pair every ratio is taken to: the keepalived director that does lvsd's job. */
const BASE = 'kh/kh';
const ALL_SETTINGS = [
  { key: 'v2-1s', version: 2, advertInt: 1 },
  { key: 'v3-100ms', version: 3, advertInt: 0.1 },
] as const;
const pairKey = (p: readonly [Impl, Impl]) => `${p[0]}/${p[1]}`;
const PAIRS = pick(ALL_PAIRS, pairKey);
const SETTINGS = pick(ALL_SETTINGS, (s) => s.key);

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
): Promise<TakeoverSplit & { masterLog: number }> {
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
    await waitFor(`${pair[1]} d2 ready to serve (${b.log()})`, 20_000, () => b.ready());
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
    return { ...splitTakeover(killedAt, t, watch.adverts(), ADDR.d2), masterLog: mastered - killedAt };
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
if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0)
  throw new Error('bench:failover needs haproxy installed (the keepalived+haproxy baseline)');
const haproxyVersion = spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim();
const lab = buildFailoverLab();
const watch = watchAdverts(lab, RUNS * SETTINGS.length * PAIRS.length * 60_000);
/** Per setting, per pair, per measure (answered, election, handover, masterLog): ms samples. */
const MEASURES = ['answered', 'election', 'handover', 'masterLog'] as const;
type Measure = (typeof MEASURES)[number];
const samples: Record<string, Record<string, Record<Measure, number[]>>> = {};
for (const s of SETTINGS)
  samples[s.key] = Object.fromEntries(
    PAIRS.map((p) => [pairKey(p), Object.fromEntries(MEASURES.map((m) => [m, [] as number[]]))]),
  ) as Record<string, Record<Measure, number[]>>;
try {
  for (let run = 0; run < RUNS; run++) {
    const phase = (run + 0.5) / RUNS;
    for (const s of SETTINGS)
      for (const p of PAIRS) {
        const r = await takeover(p, s, phase);
        for (const m of MEASURES) samples[s.key]?.[pairKey(p)]?.[m].push(r[m]);
        console.log(
          `run ${run + 1}/${RUNS} ${s.key} ${pairKey(p)}: answered ${r.answered} ms = election ${r.election} + hand-over ${r.handover} (MASTER logged ${r.masterLog} ms)`,
        );
      }
  }
} finally {
  await watch.stop();
  lab.destroy();
}

const med = (s: string, p: string, m: Measure = 'answered') => median(samples[s]?.[p]?.[m] ?? []);
const medians = (m: Measure) =>
  Object.fromEntries(
    SETTINGS.map((s) => [
      s.key,
      Object.fromEntries(PAIRS.map((p) => [pairKey(p), med(s.key, pairKey(p), m)])),
    ]),
  );
const cell = (v: number, w: number, digits = 0) => (Number.isNaN(v) ? '-' : v.toFixed(digits)).padStart(w);
console.log(
  `\nVRRP takeover after SIGKILL of the master (ms, median of ${RUNS}; ratio to ${BASE}; kh = keepalived+haproxy)`,
);
console.log('answered = kill → first request answered through the new master = election + hand-over;');
console.log("election = kill → new master's first advert; hand-over = that advert → first answer\n");
console.log(
  `${''.padEnd(24)}${SETTINGS.map((s) => ` ${s.key} `.padStart(20, '-').padEnd(40, '-')).join('')}\n${'pair (master/backup)'.padEnd(24)}${SETTINGS.map(() => ['answered', 'ratio', 'election', 'hand-over'].map((h) => h.padStart(10)).join('')).join('')}`,
);
for (const p of PAIRS) {
  const k = pairKey(p);
  const cells = SETTINGS.map(
    (s) =>
      cell(med(s.key, k), 10) +
      cell(med(s.key, k) / med(s.key, BASE), 10, 2) +
      cell(med(s.key, k, 'election'), 10) +
      cell(med(s.key, k, 'handover'), 10),
  );
  console.log(`${k.padEnd(24)}${cells.join('')}`);
}
const v3 = med('v3-100ms', 'lvsd/lvsd');
console.log(
  `\ntargets: lvsd/lvsd ≤ ${BASE}: ${SETTINGS.map((s) => `${s.key} ${med(s.key, 'lvsd/lvsd') <= med(s.key, BASE) ? 'met' : 'missed'}`).join(', ')}; lvsd/lvsd v3 0.1 s ≤ 500 ms: ${v3 <= 500 ? 'met' : 'missed'} (${v3.toFixed(0)} ms)`,
);

if (only.length > 0) {
  console.log('\n--only: a partial race, bench/results/failover.json left as it was');
  process.exit(0);
}
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
      haproxy: haproxyVersion,
      pairs: {
        kh: 'keepalived --vrrp moving the VIP + HAProxy mode tcp on the VIP → director-local HTTP server',
        lvsd: 'lvsd --dataplane proxy, virtual_server on the VIP → director-local HTTP server',
        keepalived: 'keepalived --vrrp alone, HTTP server listening on the VIP (no balancing)',
      },
      baseline: BASE,
      samplesMs: samples,
      mediansMs: medians('answered'),
      electionMediansMs: medians('election'),
      handoverMediansMs: medians('handover'),
      toMasterLogMediansMs: medians('masterLog'),
      ratiosToBaseline: Object.fromEntries(
        SETTINGS.map((s) => [
          s.key,
          Object.fromEntries(PAIRS.map((p) => [pairKey(p), med(s.key, pairKey(p)) / med(s.key, BASE)])),
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
console.log('\nwrote bench/results/failover.json');
