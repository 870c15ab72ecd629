/**
 * `node --import tsx bench/flood-packet.ts [--syns 2000000] [--modes dr,nat] [--peers lvsd,kernel]`:
 * a spoofed-source SYN flood against the packet plane (issue #16 point 2), in the DR and NAT labs
 * (`lvsadm lab up`, under a prefix of its own), lvsd side by side with the kernel's own answer
 * where one exists: in the NAT lab the kernel stand-in is nftables DNAT with conntrack (its table
 * is nf_conntrack, bounded by nf_conntrack_max with early drop, net/netfilter/nf_conntrack_core.c
 * early_drop()); in the DR lab it is a stateless netdev `fwd` (no table to fill, so only the
 * legitimate client's figure compares). bench/lib/syn-flood.ts does one run.
 *
 * lvsd runs with the kernel's defenses set as an operator under a flood would set them:
 * `conn_max` (--conn-max), `drop_entry 1`, `secure_tcp 1`, and `amemthresh` (--amemthresh; `auto`
 * = 25% above the available memory measured at start, so the memory-driven defenses engage as on
 * a director short of memory: this host has 24 GB free, which no 2 M-SYN flood dents). Printed as a
 * table and written to bench/results/flood-packet.json. Needs root; prints a skip line otherwise.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { labPlan } from '../src/tools/lab/plan.js';
import { type LabState, labDown, labUp } from '../src/tools/lab/topology.js';
import { netnsSkipReason } from '../test/helpers/netns.js';
import { lvsadmAt } from './lib/packet-lab.js';
import { runSynFlood, type SynFloodResult } from './lib/syn-flood.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    syns: { type: 'string', default: '2000000' },
    modes: { type: 'string', default: 'dr,nat' },
    peers: { type: 'string', default: 'lvsd,kernel' },
    'conn-max': { type: 'string', default: '100000' },
    amemthresh: { type: 'string', default: 'auto' },
    'drop-packet': { type: 'string', default: '0' },
    xdp: { type: 'string', default: 'off' },
    'max-secs': { type: 'string', default: '60' },
    settle: { type: 'string', default: '5' },
    out: { type: 'string', default: 'flood-packet.json' },
  },
});
process.env.LVS_LAB_PREFIX ??= `lvsfp${process.pid}`;
const stateRoot = `/run/lvs-ts/flood-packet-${process.pid}`;

/** Sets lvsd's defenses; returns the amemthresh used (pages). */
async function setDefenses(st: LabState): Promise<number> {
  // The host's free + buffer memory (what lvsd measures, daemon io/meminfo.ts), in 4 KiB pages.
  const mi = readFileSync('/proc/meminfo', 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mi)?.[1] ?? 0);
  const availPages = Math.floor((kib('MemFree') + kib('Buffers')) / 4);
  const thresh = values.amemthresh === 'auto' ? Math.ceil(availPages * 1.25) : Number(values.amemthresh);
  for (const kv of [
    `conn_max=${values['conn-max']}`,
    'drop_entry=1',
    'secure_tcp=1',
    `drop_packet=${values['drop-packet']}`,
    `amemthresh=${thresh}`,
  ])
    await lvsadmAt(st.socket, ['--sysctl', kv]);
  return thresh;
}

interface Row {
  mode: string;
  peer: string;
  amemthresh?: number;
  result: SynFloodResult;
}

async function main(): Promise<number> {
  const skip = netnsSkipReason();
  if (skip) {
    process.stdout.write(`flood-packet: skipped (${skip})\n`);
    return 0;
  }
  const rows: Row[] = [];
  for (const mode of values.modes.split(',') as ('dr' | 'nat')[]) {
    for (const peer of values.peers.split(',')) {
      labDown(mode, stateRoot);
      const st = labUp(mode, {
        stateRoot,
        director: peer === 'kernel' ? 'kernel' : 'lvsd',
        lvsdArgs: ['--xdp', values.xdp],
      });
      try {
        const amemthresh = peer === 'lvsd' ? await setDefenses(st) : undefined;
        const result = await runSynFlood(st, {
          syns: Number(values.syns),
          maxSecs: Number(values['max-secs']),
          settleSecs: Number(values.settle),
          root,
        });
        rows.push({ mode, peer, amemthresh, result });
        process.stdout.write(`${line(mode, peer, result)}\n`);
      } finally {
        labDown(mode, stateRoot);
      }
    }
  }
  const out = join(root, 'bench/results', values.out);
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), settings: values, labs: Object.fromEntries(rows.map((r) => [r.mode, labPlan(r.mode as 'dr').vip])), rows }, null, 2)}\n`,
  );
  process.stdout.write(`\n${table(rows)}\nwritten: ${out}\n`);
  return 0;
}

function line(mode: string, peer: string, r: SynFloodResult): string {
  return `${mode}/${peer}: sent ${r.sent} SYNs in ${r.floodSecs.toFixed(1)} s; legit ${r.legit.ok}/${r.legit.ok + r.legit.failed}; peak conns ${r.peakConns}; RSS ${Math.round(r.baselineRssKiB / 1024)} -> ${Math.round(r.peakRssKiB / 1024)} MB`;
}

function table(rows: readonly Row[]): string {
  const head =
    '| lab | director | SYNs sent (s, kpps) | legit ok | legit p50 / max ms | received by lvsd | peak table | RSS MB base -> peak | defenses engaged | half-open evicted at conn_max | conn_max refused | drop_entry removed |';
  const sep = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |';
  const body = rows.map(({ mode, peer, result: r }) => {
    const ms = [...r.legit.ms].sort((a, b) => a - b);
    const n = r.legit.ok + r.legit.failed;
    const pct = n ? ((100 * r.legit.ok) / n).toFixed(1) : '-';
    const rss =
      peer === 'lvsd' ? `${Math.round(r.baselineRssKiB / 1024)} -> ${Math.round(r.peakRssKiB / 1024)}` : '-';
    const d = r.defense;
    return `| ${mode} | ${peer === 'kernel' ? (mode === 'nat' ? 'kernel (nft DNAT + conntrack)' : 'kernel (netdev fwd, stateless)') : 'lvsd'} | ${r.sent.toLocaleString('en')} (${r.floodSecs.toFixed(1)}, ${Math.round(r.sent / Math.max(r.floodSecs, 0.001) / 1000)}) | ${r.legit.ok}/${n} (${pct}%) | ${ms[Math.floor(ms.length / 2)] ?? '-'} / ${ms[ms.length - 1] ?? '-'} | ${r.rxByLvsd?.toLocaleString('en') ?? '-'} | ${r.peakConns.toLocaleString('en')} | ${rss} | ${r.engaged.join(',') || '-'} | ${d ? (d.evictedConnMax ?? 0).toLocaleString('en') : '-'} | ${d ? d.refusedConnMax.toLocaleString('en') : '-'} | ${d ? d.droppedEntries.toLocaleString('en') : '-'} |`;
  });
  return [head, sep, ...body].join('\n');
}

main().then(
  (c) => {
    rmSync(stateRoot, { recursive: true, force: true });
    process.exit(c);
  },
  (e) => {
    process.stderr.write(`flood-packet: ${e instanceof Error ? e.stack : String(e)}\n`);
    labDown('dr', stateRoot);
    labDown('nat', stateRoot);
    process.exit(1);
  },
);
