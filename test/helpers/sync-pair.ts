/**
 * One takeover of a two-director lvsd pair (root only), shared by test/e2e/sync-failover-*.test.ts
 * and bench/failover-flows.ts: the namespaces of sync-pair-net.ts, d1 MASTER and d2 BACKUP on the
 * packet plane with or without `lvs_sync_daemon eth0 inst VI_1` (keepalived.conf(5)), a real
 * server, and a client holding long-lived connections and one paced download through the VIP
 * (sync-pair-scripts.ts). Once the backup's `lvsadm -Lnc` lists every connection (with sync) or
 * after 3 s (without), d1 is SIGKILLed; VRRP moves the VIP to d2, and the client reports what
 * each connection and the download saw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lvsadm, until } from '../e2e/config-helpers.js';
import { type Lvsd, startLvsd } from './lvsd-in-netns.js';
import {
  fullnatRules,
  PAIR_ADDRS,
  pairConf,
  pairSegment,
  type SyncPairMethod,
  twoLegged,
} from './sync-pair-net.js';
import { CLIENT_JS, type ClientReport, RS_JS } from './sync-pair-scripts.js';
import { vrrpNetnsSkipReason } from './vrrp-netns-skip.js';

/** Why the pair cannot run here (not root, no `ip`, no VRRP addon), or undefined. */
export const syncPairSkipReason = vrrpNetnsSkipReason;

/**
 * How long a director may take to start and reach its first VRRP state: lvsd compiles eagerly
 * (bin/lvsd, --no-lazy), which on two cores shared with other test files took over 10 s.
 */
const START_MS = 40_000;

/** The client's load. */
export interface PairLoad {
  /** Long-lived connections, each sending a request every 100 ms. */
  readonly conns: number;
  /** How long the connections keep sending after the kill. */
  readonly afterKillMs: number;
  /** An answer (or download data) this late counts the connection (or download) as lost. */
  readonly hangMs: number;
  /** The download's size (a multiple of 64 KiB). */
  readonly dlBytes: number;
  /** 64 KiB blocks the server writes every 25 ms (1: about 2.5 MB/s). */
  readonly dlPer: number;
}

/** What one run saw. */
export interface PairOutcome {
  readonly report: ClientReport;
  /** Client ports the backup listed as ESTABLISHED before the kill. */
  readonly listedBeforeKill: number;
  /** All client ports (connections, then the download). */
  readonly ports: readonly number[];
  /** Kill → the backup's `lvsadm --vrrp` shows MASTER (polled every 100 ms). */
  readonly takeoverMs: number;
  /** Client start → its report. */
  readonly clientMs: number;
  /** Client start → the kill. */
  readonly killAfterMs: number;
}

/** VI_1's state in `lvsadm --vrrp`, or undefined while lvsd is not answering. */
async function vrrpState(d: Lvsd): Promise<string | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  if (r.code !== 0) return undefined;
  return r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/)[4];
}

/** The client ports `lvsadm -Lnc` lists as ESTABLISHED TCP conns from the client to the VIP. */
async function listedPorts(method: SyncPairMethod, d: Lvsd): Promise<Set<number>> {
  const { client, vip } = PAIR_ADDRS[method];
  const r = await lvsadm(d.socket, '-L', '-n', '-c');
  const ports = new Set<number>();
  if (r.code !== 0) return ports;
  for (const l of r.stdout.split('\n')) {
    const [pro, , st, src, v] = l.trim().split(/\s+/);
    if (pro !== 'TCP' || st !== 'ESTABLISHED' || v !== `${vip}:80`) continue;
    const [addr, port] = (src ?? '').split(':');
    if (addr === client) ports.add(Number(port));
  }
  return ports;
}

/** FULLNAT: loads the service into `d` with lvsadm (see fullnatRules). */
async function loadFullnat(d: Lvsd): Promise<void> {
  for (const rule of fullnatRules()) {
    const r = await lvsadm(d.socket, ...rule);
    if (r.code !== 0) throw new Error(`lvsadm ${rule.join(' ')}: ${r.stderr.trim()} (${d.log()})`);
  }
}

/** Runs the real server (and for TUN its decapsulating agent) and waits until both are up. */
async function startRealServer(ns: ReturnType<typeof pairSegment>, method: SyncPairMethod): Promise<void> {
  const started = (argv: string[], stream: 'stdout' | 'stderr', what: string) => {
    const p = ns.spawn('rs', argv, { cwd: process.cwd() });
    return new Promise<void>((resolve, reject) => {
      p[stream]?.once('data', () => resolve());
      p.once('exit', (c) => reject(new Error(`${what} exited ${c}`)));
    });
  };
  await started([process.execPath, '-e', RS_JS], 'stderr', 'real server');
  // No ipip module here: the real server decapsulates in user space (src/tools/rs-agent.ts).
  if (method === 'TUN')
    await started(
      [
        process.execPath,
        'bin/lvsd',
        'rs-agent',
        '--decap',
        '--vip',
        PAIR_ADDRS.TUN.vip,
        '--interface',
        'eth0',
      ],
      'stdout',
      'rs-agent',
    );
}

/**
 * One run: d1 MASTER, d2 BACKUP (with or without the sync daemon), the client's load, d1
 * SIGKILLed once the backup lists every client port (with sync) or after 3 s (without).
 */
export async function runSyncPair(
  method: SyncPairMethod,
  sync: boolean,
  load: PairLoad,
): Promise<PairOutcome> {
  const ns = pairSegment(method);
  const dir = mkdtempSync(join(tmpdir(), 'lvs-sync-pair-'));
  let d1: Lvsd | undefined;
  let d2: Lvsd | undefined;
  const spawnIn = (label: string, text: string): Lvsd =>
    startLvsd(ns, label, dir, label, text, [
      '--dataplane',
      'packet',
      '--interface',
      'eth0',
      ...(twoLegged(method) ? ['--interface', 'eth1'] : []),
    ]);
  try {
    await startRealServer(ns, method);
    // d2 joins once d1 is MASTER (see vrrp-continuity.test.ts).
    const m = (d1 = spawnIn('d1', pairConf(method, 'd1', 'MASTER', 150, sync)));
    await until(async () => (await vrrpState(m)) === 'MASTER', START_MS, `d1 MASTER (${m.log()})`);
    const b = (d2 = spawnIn('d2', pairConf(method, 'd2', 'BACKUP', 100, sync)));
    await until(async () => (await vrrpState(b)) === 'BACKUP', START_MS, `d2 BACKUP (${b.log()})`);
    if (method === 'FULLNAT') for (const d of [m, b]) await loadFullnat(d);
    if (sync) {
      await until(
        async () => (await lvsadm(b.socket, '-L', '--daemon')).stdout.startsWith('backup sync daemon'),
        START_MS,
        `d2's backup sync daemon (${b.log()})`,
      );
    }

    const clientAt = Date.now();
    const client = ns.spawn('c', [
      process.execPath,
      '-e',
      CLIENT_JS,
      PAIR_ADDRS[method].vip,
      `${load.conns}`,
      `${load.hangMs}`,
      `${load.dlBytes}`,
      `${load.dlPer}`,
    ]);
    let out = '';
    let err = '';
    client.stdout?.on('data', (d) => (out += d));
    client.stderr?.on('data', (d) => (err += d));
    const done = new Promise((r) => client.once('exit', r));
    await until(async () => /ports [\d,]+\n/.test(err), START_MS, `the client's connections (${err})`);
    const ports = (/ports ([\d,]+)\n/.exec(err)?.[1] ?? '').split(',').map(Number);

    // With sync: the master's daemon sends a conn at its 3rd packet (sync_threshold 3 50) and a
    // partly filled message within 2 s; wait until the backup lists all of them.
    let listed = new Set<number>();
    if (sync)
      await until(
        async () => {
          listed = await listedPorts(method, b);
          return ports.every((p) => listed.has(p));
        },
        15_000,
        `d2 listing the client's conns (has ${listed.size} of ${ports.length})`,
      );
    else {
      await new Promise((r) => setTimeout(r, 3000));
      listed = await listedPorts(method, b);
    }
    const listedBeforeKill = ports.filter((p) => listed.has(p)).length;

    const killedAt = Date.now();
    m.proc.kill('SIGKILL');
    client.stdin?.write(`stop ${load.afterKillMs}\n`);
    await m.exited;
    await until(async () => (await vrrpState(b)) === 'MASTER', 20_000, `d2 MASTER (${b.log()})`);
    const takeoverMs = Date.now() - killedAt;

    // Unref'd: a pending timer would keep the test file's process alive after the last test. A
    // client still running then is asked for its report as it stands (the download not done).
    const wait = (ms: number) => Promise.race([done, new Promise((r) => setTimeout(r, ms).unref())]);
    await wait(load.afterKillMs + load.hangMs + 60_000);
    if (out.trim() === '') {
      client.stdin?.write('report\n');
      await wait(5000);
    }
    if (out.trim() === '') throw new Error(`the client reported nothing: ${err}`);
    const report = JSON.parse(out) as ClientReport;
    return {
      report,
      listedBeforeKill,
      ports,
      takeoverMs,
      clientMs: Date.now() - clientAt,
      killAfterMs: killedAt - clientAt,
    };
  } finally {
    for (const d of [d1, d2]) d?.proc.kill('SIGKILL');
    await Promise.race([Promise.all([d1?.exited, d2?.exited]), new Promise((r) => setTimeout(r, 3000))]);
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
