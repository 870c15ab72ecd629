/**
 * Shared harness of the lvsd/keepalived 2.2.7 VRRP interop tests (root only): one namespace per
 * director (`lv` runs `lvsd --config keepalived.conf`, `ka` runs Debian's keepalived), a veth
 * between them, keepalived.conf text for either side, and readers of each side's state.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { spawnKeepalived } from '../helpers/keepalived.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';

/** Why the interop tests must skip here, or undefined when they can run. */
export function vrrpInteropSkipReason(): string | undefined {
  const n = netnsSkipReason();
  if (n) return n;
  if (spawnSync('keepalived', ['--version'], { stdio: 'ignore' }).status !== 0)
    return 'keepalived is not installed';
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** lvsd's address on the segment. */
export const LV = '198.51.100.1';
/** keepalived's address on the segment. */
export const KA = '198.51.100.2';
/** lvsd's IPv6 address on the segment. */
export const LV6 = '2001:db8:1::1';
/** keepalived's IPv6 address on the segment. */
export const KA6 = '2001:db8:1::2';
/** The virtual address of the IPv4 cases. */
export const VIP = '192.0.2.100';
/** The virtual address of the IPv6 cases. */
export const VIP6 = '2001:db8::100';
/** Master_Down_Interval of a priority-100 backup at advert_int 1 (3 s + (256 - 100) / 256 s). */
export const DOWN_MS = 3000 + ((256 - 100) * 1000) / 256;
/** Process start, the 100 ms polls and lvsadm's own run time. */
export const SLACK_MS = 1500;

/** One side's `vrrp_instance VI_1` (lvsd reads the same keepalived.conf syntax). */
export interface Side {
  state: 'MASTER' | 'BACKUP';
  priority: number;
  version: 2 | 3;
  vrid?: number;
  pass?: string;
  /** With `pass`: `auth_type AH` (IPsec AH, HMAC-MD5-96) instead of PASS. */
  ah?: boolean;
  /** `advert_int` in seconds (default 1). */
  advertInt?: number;
  /** `virtual_ipaddress` entries without prefix (default the IPv4 VIP). */
  vips?: readonly string[];
  /** `unicast_src_ip` and the single `unicast_peer`. */
  unicast?: { src: string; peer: string };
  nopreempt?: boolean;
  /** Top-level blocks before the instance (track_file, vrrp_script, ...). */
  blocks?: string;
  /** Lines inside the instance block (track_file {...}, garp_*, ...). */
  inner?: string;
}

/**
 * keepalived.conf text of one side; `log_unknown_vrids` makes keepalived log a foreign VRID
 * (vrrp_scheduler.c vrrp_dispatcher_read() drops it silently otherwise).
 */
export function conf(id: string, s: Side): string {
  const type = s.ah ? 'AH' : 'PASS';
  const auth = s.pass ? `  authentication {\n    auth_type ${type}\n    auth_pass ${s.pass}\n  }\n` : '';
  const uni = s.unicast
    ? `  unicast_src_ip ${s.unicast.src}\n  unicast_peer {\n    ${s.unicast.peer}\n  }\n`
    : '';
  const vips = (s.vips ?? [VIP]).map((v) => `    ${v}/${v.includes(':') ? 128 : 32}\n`).join('');
  return `global_defs {
  router_id ${id}
  log_unknown_vrids
}
${s.blocks ?? ''}vrrp_instance VI_1 {
  state ${s.state}
  interface eth0
  version ${s.version}
  virtual_router_id ${s.vrid ?? 51}
  priority ${s.priority}
  advert_int ${s.advertInt ?? 1}
${s.nopreempt ? '  nopreempt\n' : ''}${s.inner ?? ''}${uni}${auth}  virtual_ipaddress {
${vips}  }
}
`;
}

/** A running keepalived, its console log, and the two ways it dies. */
export interface Keepalived {
  log(): string;
  /** Dies without a word: no priority-0 advert (its VRRP child is killed, its parent frozen first). */
  crash(): void;
  /** SIGTERM, then anything left is killed. */
  stop(): Promise<void>;
}

/** Starts keepalived (VRRP only, logging to its console) in namespace `ka`. */
export function startKeepalived(ns: Netns, dir: string, s: Side): Keepalived {
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf('lvsts-ka', s));
  const k = spawnKeepalived(ns, 'ka', file, join(dir, ''));
  return { log: k.log, crash: k.crash, stop: k.stop };
}

/** A running lvsd on a keepalived.conf, with its control socket and its log. */
export interface Lvsd {
  readonly proc: ChildProcess;
  readonly socket: string;
  log(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<unknown>;
}

/** Starts `lvsd --dataplane proxy --config keepalived.conf` in namespace `lv`. */
export function startLvsd(ns: Netns, dir: string, s: Side): Lvsd {
  const file = join(dir, 'lvsd-keepalived.conf');
  writeFileSync(file, conf('lvsts-lv', s));
  const socket = join(dir, 'lvsd.sock');
  const proc = ns.spawn(
    'lv',
    [
      process.execPath,
      'bin/lvsd',
      '--sysctl-files',
      'none',
      '--socket',
      socket,
      '--dataplane',
      'proxy',
      '--config',
      file,
    ],
    { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, socket, log: () => log, exited };
}

/** VI_1's row of `lvsadm --vrrp`. */
export interface Row {
  state: string;
  master: string;
  received: number;
  rxErrors: string;
}

/** VI_1's row of `lvsadm --vrrp`, or undefined while lvsd is not answering. */
export async function row(d: Lvsd): Promise<Row | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  if (r.code !== 0) return undefined;
  const cols = r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/);
  if (!cols || cols.length < 14) return undefined;
  return { state: cols[4]!, master: cols[7]!, received: Number(cols[12]), rxErrors: cols[13]! };
}

/** Waits until lvsd reports VI_1 in state `want`; resolves with that row. */
export async function lvsdState(d: Lvsd, want: string, ms: number): Promise<Row> {
  let last: Row | undefined;
  await until(
    async () => (last = await row(d))?.state === want,
    ms,
    `lvsd ${want} (last ${JSON.stringify(last)}; lvsd said:\n${d.log()})`,
  );
  return last!;
}

/** Waits for `text` in keepalived's log after offset `from`; resolves with the time it took. */
export async function kaSays(ka: Keepalived, text: string, ms: number, from = 0): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (ka.log().indexOf(text, from) >= 0) return Date.now() - t0;
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms waiting for "${text}"; keepalived said:\n${ka.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether `vip` (default the IPv4 VIP) is on eth0 in a namespace (`ip -j addr`). */
export function hasVip(ns: Netns, label: string, vip = VIP): boolean {
  const addrs = JSON.parse(ns.ip(label, '-j', 'addr', 'show', 'dev', 'eth0')) as {
    addr_info: { local: string }[];
  }[];
  return addrs.some((a) => a.addr_info.some((i) => i.local === vip));
}

/** keepalived's complaints about a peer's adverts, none of which a matching lvsd may cause. */
export const KA_COMPLAINTS =
  /invalid|bogus|mismatch|unknown vrid|wrong|error|bad |not matching|checksum|ttl/i;

/** The two-director segment and a runner of cases on it. */
export interface VrrpPair {
  /** Builds the namespaces (call from `before`). */
  setup(): void;
  /** Deletes them (call from `after`). */
  teardown(): void;
  /** The built namespaces. */
  ns(): Netns;
  /** Runs one case with fresh processes; both are stopped (and the VIPs gone) in finally. */
  scenario(
    sides: { ka: Side; lv: Side },
    fn: (ka: () => Keepalived, lv: () => Lvsd) => Promise<void>,
  ): Promise<void>;
}

/** A pair harness: namespaces `lv` and `ka` joined by eth0, with IPv4 and IPv6 addresses. */
export function vrrpPair(): VrrpPair {
  let ns: Netns | undefined;
  const running: { ka?: Keepalived; lv?: Lvsd } = {};
  const net = () => {
    if (!ns) throw new Error('vrrpPair: setup() was not called');
    return ns;
  };
  return {
    setup() {
      ns = createNetns({
        namespaces: ['lv', 'ka'],
        links: [
          {
            a: 'lv',
            b: 'ka',
            aIf: 'eth0',
            bIf: 'eth0',
            aAddrs: [`${LV}/24`, `${LV6}/64`],
            bAddrs: [`${KA}/24`, `${KA6}/64`],
          },
        ],
      });
    },
    teardown() {
      ns?.destroy();
    },
    ns: net,
    async scenario(sides, fn) {
      const n = net();
      const dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-ka-'));
      const ka = () => (running.ka ??= startKeepalived(n, dir, sides.ka));
      const lv = () => (running.lv ??= startLvsd(n, dir, sides.lv));
      try {
        await fn(ka, lv);
      } finally {
        const { ka: k, lv: l } = running;
        running.ka = running.lv = undefined;
        if (l) {
          l.proc.kill('SIGKILL');
          await Promise.race([l.exited, new Promise((r) => setTimeout(r, 3000))]);
        }
        await k?.stop();
        const vips = new Set([...(sides.ka.vips ?? [VIP]), ...(sides.lv.vips ?? [VIP])]);
        for (const label of ['lv', 'ka'])
          for (const v of vips)
            if (hasVip(n, label, v))
              n.ip(label, 'addr', 'del', `${v}/${v.includes(':') ? 128 : 32}`, 'dev', 'eth0');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Samples both sides every 100 ms for `ms` and fails if lvsd (`lvsadm --vrrp`) says MASTER while
 * keepalived holds `vip` for longer than `maxBothMs` in a row: no split brain after convergence.
 */
export async function assertNoSplitBrain(
  ns: Netns,
  d: Lvsd,
  ms: number,
  maxBothMs: number,
  vip = VIP,
): Promise<{ lvMaster: number; kaMaster: number; samples: number }> {
  const t0 = Date.now();
  let bothSince: number | undefined;
  let lvMaster = 0;
  let kaMaster = 0;
  let samples = 0;
  while (Date.now() - t0 < ms) {
    const lv = (await row(d))?.state === 'MASTER';
    const ka = hasVip(ns, 'ka', vip);
    const now = Date.now();
    samples++;
    if (lv) lvMaster++;
    if (ka) kaMaster++;
    if (lv && ka) {
      bothSince ??= now;
      if (now - bothSince > maxBothMs)
        throw new Error(`two masters for ${now - bothSince} ms (lvsd said:\n${d.log()})`);
    } else bothSince = undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Each sample runs lvsadm; a watch slower than one sample per allowed overlap sees nothing.
  if (samples < Math.floor(ms / maxBothMs))
    throw new Error(`only ${samples} samples in ${ms} ms: too sparse to bound a ${maxBothMs} ms overlap`);
  return { lvMaster, kaMaster, samples };
}
