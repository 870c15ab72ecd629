/**
 * `node --import tsx bench/flood-proxy.ts [--idle 10000 --slow 1000 ...]`: idle and slowloris
 * connection floods against lvsd's proxy plane while a legitimate client keeps fetching (issue
 * #16 point 2), in a namespace of its own (test/helpers/proxy-flood.ts). Phases: a baseline with
 * the legitimate client alone; the flood ramp (--rate new connections/s until --idle idle and
 * --slow slowloris connections are open); a hold until lvsd's idle timeout (the tcp timeout set
 * with `lvsadm --set`, --tcp-timeout) has closed the idle ones; then the flood client stops.
 * lvsd is sampled every second: RSS, open fds, `lvsadm -Ln` answer time (in-process client, so
 * the daemon's time, not a node start), and its connection count.
 *
 * Printed and written to bench/results/flood-proxy.json: the legitimate client's success rate
 * and latency p50/p99 per phase, lvsadm's answer time, RSS per held connection, the fd peak
 * against the plane's budget, how many flood connections lvsd refused at the budget, and the age
 * at which lvsd closed the idle ones. With --stall-ms, lvsd is SIGSTOPped as the flood starts (an
 * event loop that does not accept: the listen queue fills) and the namespace's ListenOverflows,
 * ListenDrops and SYN-cookie counters (nstat) say what the kernel did with the rest. Needs root (namespaces); prints a skip line otherwise.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { netnsSkipReason } from '../test/helpers/netns.js';
import { type LegitSecond, type LvsdSample, quantile, startFloodRig } from '../test/helpers/proxy-flood.js';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '10000' },
    slow: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    'trickle-ms': { type: 'string', default: '5000' },
    'tcp-timeout': { type: 'string', default: '30' },
    'legit-rate': { type: 'string', default: '20' },
    baseline: { type: 'string', default: '5' },
    // RLIMIT_NOFILE for lvsd and the flood client (prlimit, needs CAP_SYS_RESOURCE to raise the
    // hard limit); 0 (default) keeps the inherited limit.
    nofile: { type: 'string', default: '0' },
    out: { type: 'string', default: 'flood-proxy.json' },
    // Accept-queue overflow: lvsd SIGSTOPped for this long as the flood starts (a stalled event
    // loop: the kernel completes handshakes, nobody accepts), with this listen backlog and
    // net.ipv4.tcp_abort_on_overflow.
    'stall-ms': { type: 'string', default: '0' },
    backlog: { type: 'string', default: '' },
    'abort-on-overflow': { type: 'boolean', default: false },
  },
});
const idle = Number(values.idle);
const slow = Number(values.slow);
const rate = Number(values.rate);
const trickleMs = Number(values['trickle-ms']);
const tcpTimeout = Number(values['tcp-timeout']);
const legitRate = Number(values['legit-rate']);
const baselineS = Number(values.baseline);
const nofile = Number(values.nofile);
const stallMs = Number(values['stall-ms']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Success count, failures and latency quantiles of the legitimate client's seconds in [from, to). */
function legitPhase(secs: readonly LegitSecond[], from: number, to: number) {
  const inside = secs.filter((s) => s.t >= from && s.t < to);
  const lat = inside.flatMap((s) => s.lat);
  const fail = inside.reduce((a, s) => a + s.fail, 0);
  const errs: Record<string, number> = {};
  for (const s of inside) for (const [k, v] of Object.entries(s.errs)) errs[k] = (errs[k] ?? 0) + v;
  const n = lat.length + fail;
  return {
    ok: lat.length,
    fail,
    successPct: n > 0 ? Math.round((lat.length / n) * 10000) / 100 : Number.NaN,
    p50ms: round(quantile(lat, 0.5)),
    p99ms: round(quantile(lat, 0.99)),
    maxMs: round(quantile(lat, 1)),
    errs,
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

async function main(): Promise<number> {
  const skip = netnsSkipReason();
  if (skip) {
    process.stdout.write(`flood-proxy: skipped: ${skip}\n`);
    return 0;
  }
  const rig = await startFloodRig({
    tcpTimeout,
    ...(nofile > 0 ? { nofile } : {}),
    ...(values.backlog ? { lvsdArgs: ['--listen-backlog', values.backlog] } : {}),
    ...(values['abort-on-overflow'] ? { sysctls: ['net.ipv4.tcp_abort_on_overflow=1'] } : {}),
  });
  try {
    const t0 = Date.now();
    const samples: LvsdSample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await rig.sample(t0));
        await sleep(1000);
      }
    })();
    rig.startLegit(legitRate);
    await sleep(baselineS * 1000);
    const counters0 = rig.listenCounters();
    const floodAt = Date.now();
    if (stallMs > 0) process.kill(rig.lvsd.pid as number, 'SIGSTOP');
    rig.startFlood(idle, slow, rate, trickleMs);
    if (stallMs > 0) {
      await sleep(stallMs);
      process.kill(rig.lvsd.pid as number, 'SIGCONT');
    }
    // Ramp: until every flood connection was attempted and has connected, failed or been refused.
    const total = idle + slow;
    const rampLimit = floodAt + (total / rate) * 1000 + 60_000;
    for (;;) {
      const f = rig.flood();
      if (f && f.made >= total && f.opened + f.connectFailed >= total) break;
      if (Date.now() > rampLimit) break;
      await sleep(250);
    }
    const rampedAt = Date.now();
    const atRamp = rig.flood();
    // Hold: until lvsd closed the idle connections it held (timeout + 2 sweeps), or 20 s past it.
    const holdLimit = rampedAt + (tcpTimeout + 20) * 1000;
    for (;;) {
      const f = rig.flood();
      if (f && f.openIdle === 0 && Date.now() - floodAt > tcpTimeout * 1000) break;
      if (Date.now() > holdLimit) break;
      await sleep(500);
    }
    const idleGoneAt = Date.now();
    const atIdleGone = rig.flood();
    await rig.stopFlood();
    const stoppedAt = Date.now();
    await sleep(5000);
    sampling = false;
    await sampler;
    await rig.stopLegit();
    const endAt = Date.now();
    const counters1 = rig.listenCounters();
    const listenQueue: Record<string, number> = {};
    for (const [k, v] of Object.entries(counters1)) listenQueue[k] = v - (counters0[k] ?? 0);

    const rel = (x: number): number => x - t0;
    const base = samples.filter((s) => s.t < rel(floodAt));
    const during = samples.filter((s) => s.t >= rel(floodAt) && s.t < rel(stoppedAt));
    const after = samples.filter((s) => s.t >= rel(stoppedAt) + 3000);
    const rss0 = quantile(
      base.map((s) => s.rssKiB),
      0.5,
    );
    const peakRss = Math.max(...during.map((s) => s.rssKiB));
    const peakConns = Math.max(...during.map((s) => s.conns));
    const peakFds = Math.max(...during.map((s) => s.fds));
    const lvsadmMs = during.map((s) => s.lvsadmMs);
    const budget = rig.budget();
    const held = (atRamp?.opened ?? 0) - (atRamp?.refused ?? 0);
    const secs = rig.legit();
    const idleAges = atIdleGone?.idleClosedAges ?? [];
    const result = {
      at: new Date().toISOString(),
      params: {
        idle,
        slow,
        rate,
        trickleMs,
        tcpTimeout,
        legitRate,
        nofile,
        stallMs,
        backlog: values.backlog || 'default',
        abortOnOverflow: values['abort-on-overflow'],
      },
      listenQueue,
      budget,
      legit: {
        baseline: legitPhase(secs, floodAt - baselineS * 1000, floodAt),
        ramp: legitPhase(secs, floodAt, rampedAt),
        hold: legitPhase(secs, rampedAt, idleGoneAt),
        afterTimeout: legitPhase(secs, idleGoneAt, endAt),
      },
      flood: {
        opened: atRamp?.opened ?? 0,
        connectFailed: atRamp?.connectFailed ?? 0,
        // Reset by lvsd at accept (the descriptor budget): within 1 s of the connect, or before
        // the client saw its connect complete.
        refusedAtAccept: (atIdleGone?.refused ?? 0) + (atIdleGone?.connectFailed ?? 0),
        idleClosed: idleAges.length,
        idleCloseAgeS: {
          min: round(quantile(idleAges, 0) / 1000),
          median: round(quantile(idleAges, 0.5) / 1000),
          max: round(quantile(idleAges, 1) / 1000),
        },
        slowOpenAtEnd: atIdleGone?.openSlow ?? 0,
        slowClosed: atIdleGone?.slowClosedAges.length ?? 0,
        errs: atIdleGone?.errs ?? {},
        rampS: round((rampedAt - floodAt) / 1000),
        idleGoneAfterS: round((idleGoneAt - floodAt) / 1000),
      },
      lvsd: {
        rssBaselineKiB: rss0,
        rssPeakKiB: peakRss,
        peakConns,
        // Per flood connection held at the end of the ramp (the conn count also holds the
        // legitimate client's TIME_WAIT entries).
        rssPerConnKiB: held > 0 ? round((peakRss - rss0) / held) : Number.NaN,
        fdsBaseline: quantile(
          base.map((s) => s.fds),
          0.5,
        ),
        fdsPeak: peakFds,
        fdsAfter: quantile(
          after.map((s) => s.fds),
          0.5,
        ),
        lvsadmMs: {
          p50: round(quantile(lvsadmMs, 0.5)),
          p99: round(quantile(lvsadmMs, 0.99)),
          max: round(quantile(lvsadmMs, 1)),
        },
        lvsadmFailures: during.filter((s) => !s.lvsadmOk).length,
      },
      samples,
      load: spawnSync('uptime', { encoding: 'utf8' }).stdout.trim(),
    };
    const row = (k: string, v: string | number): string => `${k.padEnd(40)}${String(v).padStart(30)}\n`;
    const lp = (p: ReturnType<typeof legitPhase>): string =>
      `${p.ok}/${p.ok + p.fail} (${p.successPct}%) ${p.p50ms}/${p.p99ms} ms`;
    process.stdout.write(
      `\nflood-proxy: ${idle} idle + ${slow} slowloris at ${rate}/s, tcp timeout ${tcpTimeout} s, nofile ${nofile || 'inherited'}\n` +
        row('plane fd budget (of limit)', `${budget.total} (of ${budget.limit})`) +
        row('lvsd stalled (SIGSTOP) at flood start, ms', stallMs) +
        row(
          'listen backlog (abort_on_overflow)',
          `${values.backlog || 'default'} (${values['abort-on-overflow'] ? 1 : 0})`,
        ) +
        row(
          'ListenOverflows / ListenDrops',
          `${listenQueue.ListenOverflows ?? '?'} / ${listenQueue.ListenDrops ?? '?'}`,
        ) +
        row(
          'SyncookiesSent / ReqQFullDrop',
          `${listenQueue.SyncookiesSent ?? '?'} / ${listenQueue.TCPReqQFullDrop ?? '?'}`,
        ) +
        row('legit baseline ok (p50/p99)', lp(result.legit.baseline)) +
        row('legit during ramp', lp(result.legit.ramp)) +
        row('legit during hold', lp(result.legit.hold)) +
        row('legit after idle timeout', lp(result.legit.afterTimeout)) +
        row('flood opened / refused at accept', `${result.flood.opened} / ${result.flood.refusedAtAccept}`) +
        row(
          'idle closed by lvsd, age min/med/max s',
          `${result.flood.idleClosed}, ${result.flood.idleCloseAgeS.min}/${result.flood.idleCloseAgeS.median}/${result.flood.idleCloseAgeS.max}`,
        ) +
        row('slowloris still open at the end', result.flood.slowOpenAtEnd) +
        row('lvsd conns peak', peakConns) +
        row('lvsd RSS baseline -> peak (KiB)', `${rss0} -> ${peakRss}`) +
        row('RSS per held conn (KiB)', result.lvsd.rssPerConnKiB) +
        row(
          'fds baseline / peak / after',
          `${result.lvsd.fdsBaseline} / ${peakFds} / ${result.lvsd.fdsAfter}`,
        ) +
        row(
          'lvsadm -Ln ms p50/p99/max (failures)',
          `${result.lvsd.lvsadmMs.p50}/${result.lvsd.lvsadmMs.p99}/${result.lvsd.lvsadmMs.max} (${result.lvsd.lvsadmFailures})`,
        ) +
        row('load', result.load.replace(/.*load average: /, '')),
    );
    writeFileSync(
      new URL(`./results/${values.out}`, import.meta.url),
      `${JSON.stringify(result, null, 1)}\n`,
    );
    return 0;
  } finally {
    rig.destroy();
  }
}

process.exitCode = await main();
