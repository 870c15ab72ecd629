/**
 * lvsd and real keepalived (Debian's 2.2.7) as the two VRRP routers of one segment (root only):
 * each director in its own namespace, `lvsd --config keepalived.conf` on one side and keepalived
 * on the other, every case with advert_int 1 so each takes a few seconds. Election, takeover after
 * a SIGKILL (RFC 3768 §6.4.2 / RFC 5798 §6.4.2: Master_Down_Interval = 3 × Advertisement_Interval
 * + Skew_Time), the priority-0 advert of a clean stop (RFC 5798 §6.4.3, "Skew_Time" only) and the
 * rejection of a mismatched VRID or password on both sides (keepalived/vrrp/vrrp.c
 * vrrp_check_packet(), vrrp_scheduler.c vrrp_dispatcher_read()).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';

function reason(): string | undefined {
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

const skip = reason();
if (skip) console.log(`# skipping lvsd/keepalived VRRP interop tests: ${skip}`);

const LV = '198.51.100.1';
const KA = '198.51.100.2';
const VIP = '192.0.2.100';
/** Master_Down_Interval of a priority-100 backup at advert_int 1 (3 s + (256 - 100) / 256 s). */
const DOWN_MS = 3000 + ((256 - 100) * 1000) / 256;
/** Process start, the 100 ms polls and lvsadm's own run time. */
const SLACK_MS = 1500;

/** One side's `vrrp_instance VI_1` (lvsd reads the same keepalived.conf syntax). */
interface Side {
  state: 'MASTER' | 'BACKUP';
  priority: number;
  version: 2 | 3;
  vrid?: number;
  pass?: string;
}

/**
 * keepalived.conf text of one side; `log_unknown_vrids` makes keepalived log a foreign VRID
 * (vrrp_scheduler.c vrrp_dispatcher_read() drops it silently otherwise).
 */
function conf(id: string, s: Side): string {
  const auth = s.pass ? `  authentication {\n    auth_type PASS\n    auth_pass ${s.pass}\n  }\n` : '';
  return `global_defs {
  router_id ${id}
  log_unknown_vrids
}
vrrp_instance VI_1 {
  state ${s.state}
  interface eth0
  version ${s.version}
  virtual_router_id ${s.vrid ?? 51}
  priority ${s.priority}
  advert_int 1
${auth}  virtual_ipaddress {
    ${VIP}/32
  }
}
`;
}

/** A running keepalived, its console log, and the two ways it dies. */
interface Keepalived {
  log(): string;
  /** Dies without a word: no priority-0 advert (its VRRP child is killed, its parent frozen first). */
  crash(): void;
  /** SIGTERM, then anything left is killed. */
  stop(): Promise<void>;
}

function startKeepalived(ns: Netns, dir: string, s: Side): Keepalived {
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf('lvsts-ka', s));
  const [parent, vrrp, checkers, bfd] = ['parent', 'vrrp', 'checkers', 'bfd'].map((n) =>
    join(dir, `${n}.pid`),
  ) as [string, string, string, string];
  const k = ns.spawn('ka', [
    'keepalived',
    '--dont-fork',
    '--log-console',
    '--log-detail',
    '--no-syslog',
    '--vrrp',
    '-f',
    file,
    '-p',
    parent,
    '-r',
    vrrp,
    '-c',
    checkers,
    '-b',
    bfd,
  ]);
  let log = '';
  k.stdout?.on('data', (d) => (log += d));
  k.stderr?.on('data', (d) => (log += d));
  const exited = new Promise((r) => k.once('exit', r));
  const pidOf = (p: string): number => (existsSync(p) ? Number(readFileSync(p, 'utf8').trim()) : 0);
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      if (pid > 0) process.kill(pid, sig);
    } catch {}
  };
  return {
    log: () => log,
    crash() {
      // The parent would restart its VRRP child, and its death makes the child stop cleanly
      // (PR_SET_PDEATHSIG): freeze it, kill the child, then the parent.
      const p = pidOf(parent);
      signal(p, 'SIGSTOP');
      signal(pidOf(vrrp), 'SIGKILL');
      signal(p, 'SIGKILL');
    },
    async stop() {
      k.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      for (const p of [vrrp, parent]) signal(pidOf(p), 'SIGKILL');
    },
  };
}

/** A running lvsd on a keepalived.conf, with its control socket and its log. */
interface Lvsd {
  readonly proc: ChildProcess;
  readonly socket: string;
  log(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<unknown>;
}

function startLvsd(ns: Netns, dir: string, s: Side): Lvsd {
  const file = join(dir, 'lvsd-keepalived.conf');
  writeFileSync(file, conf('lvsts-lv', s));
  const socket = join(dir, 'lvsd.sock');
  const proc = ns.spawn(
    'lv',
    [process.execPath, 'bin/lvsd', '--socket', socket, '--dataplane', 'proxy', '--config', file],
    { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, socket, log: () => log, exited };
}

/** VI_1's row of `lvsadm --vrrp`, or undefined while lvsd is not answering. */
interface Row {
  state: string;
  master: string;
  received: number;
  rxErrors: string;
}

async function row(d: Lvsd): Promise<Row | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  if (r.code !== 0) return undefined;
  const cols = r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/);
  if (!cols || cols.length < 14) return undefined;
  return { state: cols[4]!, master: cols[7]!, received: Number(cols[12]), rxErrors: cols[13]! };
}

async function lvsdState(d: Lvsd, want: string, ms: number): Promise<Row> {
  let last: Row | undefined;
  await until(
    async () => (last = await row(d))?.state === want,
    ms,
    `lvsd ${want} (last ${JSON.stringify(last)}; lvsd said:\n${d.log()})`,
  );
  return last!;
}

/** Waits for `text` in keepalived's log after offset `from`; resolves with the time it took. */
async function kaSays(ka: Keepalived, text: string, ms: number, from = 0): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (ka.log().indexOf(text, from) >= 0) return Date.now() - t0;
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms waiting for "${text}"; keepalived said:\n${ka.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether the VIP is on eth0 in a namespace (`ip -j addr`). */
function hasVip(ns: Netns, label: string): boolean {
  const addrs = JSON.parse(ns.ip(label, '-j', 'addr', 'show', 'dev', 'eth0')) as {
    addr_info: { local: string }[];
  }[];
  return addrs.some((a) => a.addr_info.some((i) => i.local === VIP));
}

/** keepalived's complaints about a peer's adverts, none of which a matching lvsd may cause. */
const KA_COMPLAINTS = /invalid|bogus|mismatch|unknown vrid|wrong|error|bad |not matching|checksum|ttl/i;

describe('lvsd and keepalived 2.2.7 as the two routers of one VRRP segment', { skip }, () => {
  let ns: Netns;
  let dir: string;
  const running: { ka?: Keepalived; lv?: Lvsd } = {};

  before(() => {
    ns = createNetns({
      namespaces: ['lv', 'ka'],
      links: [{ a: 'lv', b: 'ka', aIf: 'eth0', bIf: 'eth0', aAddrs: [`${LV}/24`], bAddrs: [`${KA}/24`] }],
    });
  });
  after(() => {
    ns?.destroy();
  });

  /** Runs one case with fresh processes; both are stopped (and the VIP gone) in finally. */
  async function scenario(
    sides: { ka: Side; lv: Side; lvFirst?: boolean },
    fn: (ka: () => Keepalived, lv: () => Lvsd) => Promise<void>,
  ): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-ka-'));
    const ka = () => (running.ka ??= startKeepalived(ns, dir, sides.ka));
    const lv = () => (running.lv ??= startLvsd(ns, dir, sides.lv));
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
      for (const label of ['lv', 'ka'])
        if (hasVip(ns, label)) ns.ip(label, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0');
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keepalived MASTER (150) and lvsd BACKUP (100), v2 PASS: lvsd is BACKUP under keepalived; SIGKILL of keepalived and lvsd takes over within the down interval', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, pass: 'secret1' },
        lv: { state: 'BACKUP', priority: 100, version: 2, pass: 'secret1' },
      },
      async (ka, lv) => {
        await kaSays(ka(), '(VI_1) Entering MASTER STATE', 10_000);
        const d = lv();
        await lvsdState(d, 'BACKUP', 10_000);
        // A few adverts later it is still BACKUP, with keepalived as the master it heard.
        await until(async () => ((await row(d))?.received ?? 0) >= 3, 6000, 'three adverts');
        const b = (await row(d))!;
        assert.equal(b.state, 'BACKUP', JSON.stringify(b));
        assert.equal(b.master, KA, JSON.stringify(b));
        assert.equal(b.rxErrors, '-', JSON.stringify(b));
        assert.equal(hasVip(ns, 'lv'), false, 'a BACKUP lvsd must not hold the VIP');
        assert.equal(hasVip(ns, 'ka'), true, 'keepalived MASTER holds the VIP');

        ka().crash();
        const t = await until(async () => (await row(d))?.state === 'MASTER', 10_000, 'lvsd MASTER');
        assert.ok(t <= DOWN_MS + SLACK_MS, `lvsd took ${t} ms to take over`);
        await until(async () => hasVip(ns, 'lv'), 2000, 'the VIP on lvsd');
        assert.doesNotMatch(ka().log(), KA_COMPLAINTS, ka().log());
      },
    );
  });

  it('lvsd MASTER (150) and keepalived BACKUP (100), v3 multicast: keepalived stays BACKUP, only lvsd holds the VIP; SIGKILL of lvsd and keepalived takes over within the down interval', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3 },
        lv: { state: 'MASTER', priority: 150, version: 3 },
      },
      async (ka, lv) => {
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        await until(async () => hasVip(ns, 'lv'), 3000, 'the VIP on lvsd');
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        // Longer than keepalived's down interval: it must have heard lvsd all along.
        await new Promise((r) => setTimeout(r, DOWN_MS + 1000));
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());
        assert.equal(hasVip(ns, 'lv'), true, 'lvsd MASTER holds the VIP');
        assert.equal(hasVip(ns, 'ka'), false, 'keepalived BACKUP must not hold the VIP');
        assert.equal((await row(d))?.state, 'MASTER');

        const from = k.log().length;
        d.proc.kill('SIGKILL');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000, from);
        assert.ok(t <= DOWN_MS + SLACK_MS, `keepalived took ${t} ms to take over`);
        // Not at once either: a SIGKILLed lvsd sent no priority 0. The down timer runs from the
        // last advert, 0 to 1 s before the kill, so the takeover comes 2.6 to 3.6 s after it.
        assert.ok(t >= 2000, `keepalived took over after ${t} ms, before its down interval`);
      },
    );
  });

  it('a clean stop (SIGTERM) of an lvsd MASTER sends priority 0 and keepalived takes over at once', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3 },
        lv: { state: 'MASTER', priority: 150, version: 3 },
      },
      async (ka, lv) => {
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        await new Promise((r) => setTimeout(r, 1500));
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        const from = k.log().length;
        d.proc.kill('SIGTERM');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 5000, from);
        // Skew_Time of priority 100 is 0.61 s; the down interval would be 3.61 s.
        assert.ok(t < 1500, `keepalived took ${t} ms after lvsd's priority 0`);
        await d.exited;
        assert.equal(hasVip(ns, 'lv'), false, 'lvsd releases the VIP on a clean stop');
      },
    );
  });

  it('a mismatched VRID: keepalived logs the unknown VRID and lvsd counts it', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, vrid: 51 },
        lv: { state: 'MASTER', priority: 100, version: 2, vrid: 52 },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(k, 'Unknown VRID(52) received on interface(eth0). ignoring...', 10_000);
        await until(
          async () => /UNKNOWN_VRID=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's VRID 51 (${d.log()})`,
        );
      },
    );
  });

  it('a mismatched password: keepalived logs the bad password and lvsd counts an auth failure', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, pass: 'secret1' },
        lv: { state: 'MASTER', priority: 100, version: 2, pass: 'other12' },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(k, '(VI_1) received an invalid passwd!', 10_000);
        await until(
          async () => /AUTH_FAILURE=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's password (${d.log()})`,
        );
      },
    );
  });
});
