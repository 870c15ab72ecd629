/**
 * One spoofed-source SYN flood against a lab director (issue #16 point 2), shared by
 * bench/flood-packet.ts and test/e2e/packet-synflood.test.ts: the lab client sends `syns` SYNs,
 * each from a distinct spoofed (address, port) of 198.51.100.0/24 and 203.0.113.0/24 (the lab's
 * own addresses excluded), at the generator's best rate, while a legitimate client fetches the
 * VIP over HTTP one request at a time. The director is sampled every 250 ms: its connection
 * table (lvsd: the status query's defense block; the kernel stand-in: nf_conntrack_count), its
 * RSS, and lvsd's defense counters.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefenseStatus, StatusView } from '../../src/control/protocol.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { labNamespace, labPlan } from '../../src/tools/lab/plan.js';
import { type LabState, labExec } from '../../src/tools/lab/topology.js';
import { macOf, resolveNeighbour } from './packet-lab.js';

/** The documentation ranges the spoofed sources come from. */
export const FLOOD_SOURCES = ['198.51.100.0/24', '203.0.113.0/24'] as const;

/** How one flood runs. */
export interface SynFloodOptions {
  /** SYNs to send (each a distinct flow), at most 2 M in the run. */
  readonly syns: number;
  /** Upper bound on the flood's duration, s. */
  readonly maxSecs: number;
  /** Seconds the legitimate client and the sampler go on after the flood. */
  readonly settleSecs: number;
  /** The repository root (for the generator's path). */
  readonly root: string;
  /** The legitimate client's patience per request, s (curl -m): 10 lets a SYN be retransmitted at 1, 3 and 7 s. */
  readonly legitTimeoutSecs?: number;
  /**
   * Legitimate clients fetching side by side, each one request after another (default 1). More
   * give a sample during a flood of a few seconds large enough for a percentage to mean something.
   */
  readonly legitClients?: number;
}

/** One sample of the director. */
export interface FloodSample {
  readonly t: number;
  readonly conns: number;
  readonly rssKiB: number;
  readonly active: readonly string[];
}

/** What the flood did and what the director and the legitimate client saw. */
export interface SynFloodResult {
  readonly sent: number;
  readonly floodSecs: number;
  /** Frames lvsd received on the client-facing interface during the run (the rest were dropped before it). */
  readonly rxByLvsd?: number;
  readonly legit: { readonly ok: number; readonly failed: number; readonly ms: number[] };
  readonly samples: FloodSample[];
  readonly peakConns: number;
  readonly baselineRssKiB: number;
  readonly peakRssKiB: number;
  /** lvsd's defense block at the end (undefined for the kernel stand-in). */
  readonly defense?: DefenseStatus;
  /** Every defense seen in force during the run. */
  readonly engaged: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** lvsd's status, through its control socket. */
export async function statusOf(socket: string): Promise<StatusView | undefined> {
  const c = await connectClient(socket, 5000);
  try {
    const r = await c.request({ query: { q: 'status' } });
    return r.ok && 'result' in r && r.result.q === 'status' ? r.result.status : undefined;
  } finally {
    c.close();
  }
}

/** lvsd's defense block, through its control socket. */
export async function defenseOf(socket: string): Promise<DefenseStatus | undefined> {
  return (await statusOf(socket))?.defense;
}

/** Frames lvsd's packet plane received on interface `name` (0 when it does not say). */
async function rxFrames(socket: string, name: string): Promise<number> {
  const st = await statusOf(socket).catch(() => undefined);
  return st?.plane?.interfaces?.find((i) => i.name === name)?.rxFrames ?? 0;
}

function conntrackCount(st: LabState): number {
  const r = labExec(st.mode, 'director', ['cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
  return r.status === 0 ? Number(r.stdout.trim()) : 0;
}

/** One HTTP fetch through the VIP from the lab client: served or not, and how long it took. */
function fetchAsync(
  st: LabState,
  vip: string,
  port: number,
  secs: number,
): Promise<{ ok: boolean; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(
      'ip',
      [
        'netns',
        'exec',
        labNamespace(st.mode, 'client'),
        'curl',
        '-s',
        '-m',
        String(secs),
        `http://${vip}:${port}/`,
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) => resolve({ ok: code === 0 && /this is rs[12]/.test(out), ms: Date.now() - t0 }));
  });
}

/** Runs the flood against the lab `st` (already up, service configured) and returns what it saw. */
export async function runSynFlood(st: LabState, o: SynFloodOptions): Promise<SynFloodResult> {
  const plan = labPlan(st.mode);
  const lvsd = st.director === 'lvsd';
  const pid = lvsd ? st.pids.lvsd : undefined;
  const dstMac = resolveNeighbour(st.mode, plan.vip, plan.clientIf);
  const baselineRssKiB = rssKiB(pid);
  const rx0 = lvsd ? await rxFrames(st.socket, plan.directorIfs[0] as string) : 0;
  const samples: FloodSample[] = [];
  const engaged = new Set<string>();
  const t0 = Date.now();
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      const d = lvsd ? await defenseOf(st.socket).catch(() => undefined) : undefined;
      const conns = lvsd ? (d?.conns ?? -1) : conntrackCount(st);
      for (const a of d?.active ?? []) engaged.add(a);
      samples.push({ t: Date.now() - t0, conns, rssKiB: rssKiB(pid), active: d?.active ?? [] });
      await sleep(250);
    }
  })();
  const legit = { ok: 0, failed: 0, ms: [] as number[] };
  const oneClient = async () => {
    while (!stop) {
      const r = await fetchAsync(st, plan.vip, plan.port, o.legitTimeoutSecs ?? 10);
      if (r.ok) legit.ok++;
      else legit.failed++;
      legit.ms.push(r.ms);
      await sleep(100);
    }
  };
  const client = Promise.all(Array.from({ length: Math.max(1, o.legitClients ?? 1) }, oneClient));
  // The lab's own addresses are left out: a real server answering the real client would not be spoofing.
  const exclude = [
    plan.vip,
    ...(plan.lip ? [plan.lip] : []),
    ...plan.links.flatMap((l) => [...l.a.addrs, ...l.b.addrs]).map((a) => a.split('/')[0] as string),
  ];
  const gen = [
    ...['--import', 'tsx', join(o.root, 'bench/lib/packet-gen.ts'), '--method', 'sendmmsg'],
    ...['--if', plan.clientIf, '--src-mac', macOf(st.mode, 'client', plan.clientIf), '--dst-mac', dstMac],
    ...['--syn-sources', FLOOD_SOURCES.join(','), '--syn-exclude', exclude.join(',')],
    ...['--dst-ip', plan.vip, '--dport', String(plan.port), '--flows', String(o.syns)],
    ...['--secs', String(o.maxSecs), '--max-packets', String(o.syns)],
  ];
  await sleep(1000); // a baseline before the flood
  const g = spawn('ip', ['netns', 'exec', labNamespace(st.mode, 'client'), process.execPath, ...gen], {
    cwd: o.root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let genOut = '';
  let genErr = '';
  g.stdout.on('data', (d) => {
    genOut += d;
  });
  g.stderr.on('data', (d) => {
    genErr += d;
  });
  const code = await new Promise<number | null>((r) => g.on('exit', (c) => r(c)));
  await sleep(o.settleSecs * 1000);
  stop = true;
  await Promise.all([sampler, client]);
  const last = JSON.parse(genOut.trim().split('\n').pop() || '{}') as { sent?: number; secs?: number };
  if (code !== 0 || last.sent === undefined)
    throw new Error(`SYN generator exited ${code}: ${genErr.slice(-400)}`);
  const rx1 = lvsd ? await rxFrames(st.socket, plan.directorIfs[0] as string) : 0;
  return {
    sent: last.sent,
    floodSecs: last.secs ?? 0,
    ...(lvsd ? { rxByLvsd: rx1 - rx0 } : {}),
    legit,
    samples,
    peakConns: Math.max(0, ...samples.map((s) => s.conns)),
    baselineRssKiB,
    peakRssKiB: Math.max(baselineRssKiB, ...samples.map((s) => s.rssKiB)),
    defense: lvsd ? await defenseOf(st.socket).catch(() => undefined) : undefined,
    engaged: [...engaged],
  };
}

/** Whether the lab's kernel stand-in has conntrack (nf_conntrack_count readable in its namespace). */
export function kernelHasConntrack(st: LabState): boolean {
  return (
    spawnSync('ip', [
      'netns',
      'exec',
      labNamespace(st.mode, 'director'),
      'test',
      '-r',
      '/proc/sys/net/netfilter/nf_conntrack_count',
    ]).status === 0
  );
}
