/**
 * Flows lost at a VRRP failover, per forwarding method, with and without connection sync
 * (`npm run bench:failover-flows`, root: network namespaces). Each run is one takeover of the
 * two-director lvsd pair of test/helpers/sync-pair.ts on the packet plane: the client holds
 * `--flows` long-lived TCP connections through the VIP (a request every 100 ms, every answer
 * checked) plus one paced download (its SHA-256 checked), the master is SIGKILLed once the
 * backup's `lvsadm -Lnc` lists every flow (with `lvs_sync_daemon eth0 inst VI_1`) or after 3 s
 * (without), and VRRP moves the VIP. A flow is lost when it is reset, answers out of order, or
 * waits more than 25 s for an answer (the takeover plus TCP's retransmission back-off). This is a
 * correctness count, not a timing race: target 0 lost with sync for every method. Writes
 * bench/results/failover-flows.json.
 *
 * Options: --flows N (connections, default 50; the download makes N+1 flows), --runs N (default
 * 1), --methods DR,NAT,TUN,FULLNAT (default all).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import {
  type PairLoad,
  type PairOutcome,
  runSyncPair,
  syncPairSkipReason,
} from '../test/helpers/sync-pair.js';
import { SYNC_PAIR_METHODS, type SyncPairMethod } from '../test/helpers/sync-pair-net.js';
import { kept } from '../test/helpers/sync-pair-scripts.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const FLOWS = Number(arg('flows') ?? 50);
const RUNS = Number(arg('runs') ?? 1);
const METHODS = (arg('methods') ?? SYNC_PAIR_METHODS.join(','))
  .split(',')
  .map((m) => m.toUpperCase()) as SyncPairMethod[];
if (
  !(Number.isInteger(FLOWS) && FLOWS >= 1 && FLOWS <= 1000) ||
  !(Number.isInteger(RUNS) && RUNS >= 1) ||
  METHODS.some((m) => !(SYNC_PAIR_METHODS as readonly string[]).includes(m))
) {
  console.error('usage: bench:failover-flows [--flows 1..1000] [--runs N] [--methods DR,NAT,TUN,FULLNAT]');
  process.exit(2);
}
const skip = syncPairSkipReason();
if (skip) {
  console.error(`bench:failover-flows: ${skip}`);
  process.exit(1);
}

/** The connections go on 12 s after the kill; a 20 MB download paced at about 2.5 MB/s spans the takeover. */
const LOAD: PairLoad = {
  conns: FLOWS,
  afterKillMs: 12_000,
  hangMs: 25_000,
  dlBytes: 20 * 1024 * 1024,
  dlPer: 1,
};

/** One run's count. */
interface Count {
  flows: number;
  lost: number;
  listedBeforeKill: number;
  takeoverMs: number;
  longestAnswerMs: number;
  downloadDigestOk: boolean;
}

function count(o: PairOutcome): Count {
  const dl = o.report.dl;
  const dlKept = dl.done && !dl.err && !dl.hung && dl.digestOk;
  const lostConns = o.report.conns.filter((c) => !kept(c)).length;
  return {
    flows: o.report.conns.length + 1,
    lost: lostConns + (dlKept ? 0 : 1),
    listedBeforeKill: o.listedBeforeKill,
    takeoverMs: o.takeoverMs,
    longestAnswerMs: Math.max(0, ...o.report.conns.filter(kept).map((c) => c.maxLatMs)),
    downloadDigestOk: dl.digestOk,
  };
}

const results: Record<string, { sync: Count[]; noSync: Count[] }> = {};
for (let r = 0; r < RUNS; r++) {
  for (const method of METHODS) {
    const slot = (results[method] ??= { sync: [], noSync: [] });
    for (const sync of [true, false]) {
      const c = count(await runSyncPair(method, sync, LOAD));
      (sync ? slot.sync : slot.noSync).push(c);
      console.log(
        `run ${r + 1} ${method} sync ${sync ? 'on ' : 'off'}: ${c.lost} of ${c.flows} lost, backup listed ${c.listedBeforeKill} before the kill, takeover ${c.takeoverMs} ms`,
      );
    }
  }
}

const sum = (cs: Count[], k: 'lost' | 'flows') => cs.reduce((a, c) => a + c[k], 0);
console.log(
  `\nbench:failover-flows — ${FLOWS} connections + 1 download per run, ${RUNS} run(s); ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`,
);
console.log(
  '| method | flows in flight | lost with sync | lost without sync | takeover with / without (ms) | longest answer kept, with sync (ms) |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const m of METHODS) {
  const s = results[m]!;
  console.log(
    `| ${m} | ${sum(s.sync, 'flows')} | ${sum(s.sync, 'lost')} | ${sum(s.noSync, 'lost')} of ${sum(s.noSync, 'flows')} | ${s.sync.map((c) => c.takeoverMs).join(', ')} / ${s.noSync.map((c) => c.takeoverMs).join(', ')} | ${Math.max(...s.sync.map((c) => c.longestAnswerMs))} |`,
  );
}
const met = METHODS.every((m) => sum(results[m]!.sync, 'lost') === 0);
console.log(`\ntarget: 0 flows lost with sync for every method: ${met ? 'met' : 'missed'}`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/failover-flows.json', import.meta.url),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      kernel: release(),
      node: process.version,
      cpu: cpus()[0]?.model,
      runs: RUNS,
      load: LOAD,
      lostDefinition:
        'reset, an answer out of order, or an answer (download data) more than hangMs late; the download also by its SHA-256',
      results,
      targetMet: met,
    },
    null,
    2,
  )}\n`,
);
console.log('wrote bench/results/failover-flows.json');
