/**
 * End-to-end checks of `lvsd --dataplane packet --ingress-bypass` in a DR, NAT or FULLNAT lab
 * (root): the lab's own director process is replaced by the real lvsd command line
 * (src/programs/lvsd/main.ts), run first without `nft` on its PATH (it warns and still forwards, and
 * the director's kernel still routes the VIP traffic: the control) and then with it (tables with
 * the expected rules, drops counted by nft, the kernel no longer routing, tables following
 * lvsadm changes and gone after SIGTERM).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run as lvsadm, processEnv } from '../../src/programs/lvsadm/main.js';
import { labNamespace, labPlan } from '../../src/tools/lab/plan.js';
import { type LabState, labDown, labExec, labUp } from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainTs = join(repo, 'src/programs/lvsd/main.ts');

/** One rule of an lvsd_bypass table, from `nft -j`. */
interface NftRule {
  comment: string;
  /** Set elements of the first match, as "a . b . c" texts. */
  elems: string[];
  /** Right side of a second (`!=`) match, when present. */
  except: string[];
  packets: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flat(v: unknown): string[] {
  const one = (x: unknown): string =>
    typeof x === 'object' && x !== null && 'concat' in x
      ? (x as { concat: unknown[] }).concat.join(' . ')
      : String(x);
  if (typeof v === 'object' && v !== null && 'set' in v) return (v as { set: unknown[] }).set.map(one).sort();
  return [one(v)];
}

/** A PATH without any directory holding `nft`, with `ip` still reachable. */
function pathWithoutNft(tmp: string): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !existsSync(join(d, 'nft')));
  if (!dirs.some((d) => existsSync(join(d, 'ip')))) {
    const ipBin = spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
    mkdirSync(tmp, { recursive: true });
    symlinkSync(ipBin, join(tmp, 'ip'));
    dirs.unshift(tmp);
  }
  return dirs.join(delimiter);
}

/** Registers the bypass tests of one lab mode. */
export function bypassSuite(mode: 'dr' | 'nat' | 'fullnat'): void {
  // Our own namespace names, so concurrent lab tests, `lvsadm lab` or bench:packet never clash.
  process.env.LVS_LAB_PREFIX ??= `lvsbp${process.pid}`;
  const skip = netnsSkipReason();
  if (skip) {
    test(`lab bypass ${mode}`, { skip }, () => {});
    return;
  }
  const plan = labPlan(mode);
  const root = `/run/lvs-ts/lab-bypass-test-${process.pid}`;
  let st: LabState | undefined;
  let lvsd: { proc: ChildProcess; out: () => string; exited: Promise<number | string> } | undefined;

  const inDirector = (argv: readonly string[]) => labExec(mode, 'director', argv);
  const tables = () => inDirector(['nft', 'list', 'tables']).stdout;
  const rules = (ifname: string): NftRule[] | undefined => {
    const r = inDirector(['nft', '-j', 'list', 'table', 'netdev', `lvsd_bypass_${ifname}`]);
    if (r.status !== 0) return undefined;
    const out: NftRule[] = [];
    for (const o of (JSON.parse(r.stdout) as { nftables: Record<string, Record<string, unknown>>[] })
      .nftables) {
      const rule = o.rule as { comment?: string; expr: Record<string, unknown>[] } | undefined;
      if (!rule) continue;
      const matches = rule.expr
        .filter((e) => 'match' in e)
        .map((e) => e.match as { op: string; right: unknown });
      const counter = rule.expr.find((e) => 'counter' in e)?.counter as { packets: number } | undefined;
      out.push({
        comment: rule.comment ?? '',
        elems: matches[0] ? flat(matches[0].right) : [],
        except: matches[1]?.op === '!=' ? flat(matches[1].right) : [],
        packets: counter?.packets ?? -1,
      });
    }
    return out;
  };
  const rule = (ifname: string, comment: string): NftRule | undefined =>
    rules(ifname)?.find((r) => r.comment === `lvsd: ${comment}`);
  const inAddrErrors = (): number => {
    // /proc/net/snmp "Ip:" header and value lines of the director's namespace.
    const lines = inDirector(['cat', '/proc/net/snmp'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('Ip:'));
    const keys = lines[0]?.split(/\s+/) ?? [];
    const vals = lines[1]?.split(/\s+/) ?? [];
    return Number(vals[keys.indexOf('InAddrErrors')]);
  };
  const curl4 = (): string[] =>
    [1, 2, 3, 4].map(() =>
      labExec(mode, 'client', ['curl', '-s', '-m', '5', `http://${plan.vip}:${plan.port}/`]).stdout.trim(),
    );
  const assertRoundRobin = (got: string[]): void => {
    assert.ok(
      got.every((g) => g === 'this is rs1' || g === 'this is rs2'),
      got.join(','),
    );
    assert.notEqual(got[0], got[1]);
    assert.deepEqual(got.slice(2), got.slice(0, 2));
  };
  const lvsadmIn = async (argv: string[]): Promise<void> => {
    let text = '';
    const code = await lvsadm(['--socket', st!.socket, ...argv], {
      ...processEnv(),
      stdout: (t) => {
        text += t;
      },
      stderr: (t) => {
        text += t;
      },
    });
    assert.equal(code, 0, text);
  };
  const waitUntil = async (what: string, cond: () => boolean, ms = 10_000): Promise<void> => {
    const until = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; lvsd output:\n${lvsd?.out()}`);
      await sleep(50);
    }
  };

  /** Starts the real lvsd command line in the director namespace, with --ingress-bypass. */
  const startLvsd = async (path: string): Promise<void> => {
    rmSync(st!.socket, { force: true });
    const script = `const m = await import(${JSON.stringify(mainTs)}); m.main(process.argv.slice(1));`;
    const args = [
      ...['--dataplane', 'packet', ...plan.directorIfs.flatMap((i) => ['--interface', i])],
      ...['--socket', st!.socket, '--restore', join(st!.stateDir, 'rules'), '--ingress-bypass'],
      // The AF_PACKET path, which is what the nft bypass is for: with the AF_XDP path (the CLI
      // default is --xdp auto) lvsd's traffic never reaches the kernel or its ingress hook.
      ...['--xdp', 'off'],
    ];
    const proc = spawn(
      'ip',
      [
        ...['netns', 'exec', labNamespace(mode, 'director'), 'env', `PATH=${path}`],
        ...[process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, '--', ...args],
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString('utf8');
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = new Promise<number | string>((r) => proc.once('exit', (c, s) => r(c ?? s ?? -1)));
    lvsd = { proc, out: () => out, exited };
    await waitUntil('lvsd ready', () => out.includes('lvsd ready') || proc.exitCode !== null, 20_000);
    assert.equal(proc.exitCode, null, out);
  };
  const stopLvsd = async (): Promise<number | string> => {
    const l = lvsd;
    if (!l) return 0;
    l.proc.kill('SIGTERM');
    const code = await Promise.race([l.exited, sleep(10_000).then(() => 'timeout')]);
    if (code === 'timeout') l.proc.kill('SIGKILL');
    lvsd = undefined;
    return code;
  };

  before(async () => {
    labDown(mode, root);
    st = labUp(mode, { stateRoot: root });
    // The lab's own director process makes way for the real lvsd command line.
    const pid = st.pids.lvsd as number;
    process.kill(pid, 'SIGTERM');
    const until = Date.now() + 10_000;
    while (spawnSync('kill', ['-0', String(pid)]).status === 0 && Date.now() < until) await sleep(50);
  });
  after(async () => {
    await stopLvsd();
    labDown(mode, root);
    rmSync(root, { recursive: true, force: true });
  });

  test(`${mode}: without nft on PATH, lvsd --ingress-bypass warns and forwards, and the kernel still routes the VIP traffic`, async () => {
    await startLvsd(pathWithoutNft(join(root, 'bin')));
    await waitUntil('the nft warning', () => lvsd!.out().includes('nft not found'));
    const before = inAddrErrors();
    assertRoundRobin(curl4());
    // The control of the next test: with forwarding off, the kernel routes each frame lvsd
    // took to an error route and counts it as an address error.
    assert.ok(inAddrErrors() - before >= 4, `InAddrErrors grew by ${inAddrErrors() - before}`);
    assert.doesNotMatch(tables(), /lvsd_bypass/);
    assert.equal(await stopLvsd(), 0);
  });

  test(`${mode}: with nft, the tables hold the expected rules, count the drops, follow lvsadm changes and go at SIGTERM`, async () => {
    // A crashed run's table, with a rule lvsd would never write: the start replaces it.
    const stale = `table netdev lvsd_bypass_eth0 {\n chain old {\n  type filter hook ingress device "eth0" priority 0;\n  ip daddr 192.0.2.99 drop\n }\n}\n`;
    assert.equal(inDirector(['sh', '-c', `printf '%s' '${stale}' | nft -f -`]).status, 0);
    await startLvsd(process.env.PATH ?? '');
    await waitUntil('the bypass tables', () =>
      plan.directorIfs.every((i) => rules(i)?.some((r) => r.comment === 'lvsd: VIP:port')),
    );
    assert.doesNotMatch(
      inDirector(['nft', 'list', 'table', 'netdev', 'lvsd_bypass_eth0']).stdout,
      /chain old|192\.0\.2\.99|arp/,
    );
    const extra = mode === 'nat' ? ['lvsd: NAT reply'] : mode === 'fullnat' ? ['lvsd: FULLNAT LIP'] : [];
    for (const i of plan.directorIfs) {
      assert.deepEqual(
        rules(i)!.map((r) => r.comment),
        ['lvsd: VIP:port', ...extra],
      );
      assert.deepEqual(rule(i, 'VIP:port')!.elems, [`${plan.vip} . tcp . 80`]);
      if (mode === 'nat') {
        const nat = rule(i, 'NAT reply')!;
        assert.deepEqual(nat.elems, plan.rips.map((r) => `${r} . tcp . 80`).sort());
        // The director's own addresses are spared (its health checks' replies).
        for (const a of ['192.0.2.1', '203.0.113.2']) assert.ok(nat.except.includes(a), nat.except.join());
      }
      if (mode === 'fullnat') assert.deepEqual(rule(i, 'FULLNAT LIP')!.elems, [`${plan.lip} . tcp`]);
    }
    const errs0 = inAddrErrors();
    assertRoundRobin(curl4());
    assert.equal(inAddrErrors() - errs0, 0, 'the kernel routed none of the frames lvsd took');
    const vipDrops = rule('eth0', 'VIP:port')!.packets;
    assert.ok(vipDrops >= 4 * 3, `VIP drops: ${vipDrops}`);
    // Replies come back on the real servers' side: to the director (NAT) or to the LIP (FULLNAT).
    const back = mode === 'nat' ? 'NAT reply' : mode === 'fullnat' ? 'FULLNAT LIP' : undefined;
    if (back) {
      const n = rule('eth1', back)!.packets;
      assert.ok(n >= 4 * 2, `${back} drops: ${n}`);
    }
    // Table changes reach the tables: a UDP service appears, then goes with its deletion.
    const fwd = mode === 'dr' ? '-g' : '-m';
    await lvsadmIn(['-A', '-u', `${plan.vip}:9`, '-s', 'rr']);
    await lvsadmIn(['-a', '-u', `${plan.vip}:9`, '-r', `${plan.rips[0]}:9`, fwd]);
    await waitUntil('the UDP service in the bypass', () =>
      (rule('eth0', 'VIP:port')?.elems ?? []).includes(`${plan.vip} . udp . 9`),
    );
    if (fwd === '-m')
      await waitUntil('the UDP NAT reply in the bypass', () =>
        (rule('eth0', 'NAT reply')?.elems ?? []).includes(`${plan.rips[0]} . udp . 9`),
      );
    await lvsadmIn(['-D', '-u', `${plan.vip}:9`]);
    await waitUntil(
      'the UDP service gone',
      () => !(rules('eth0') ?? []).some((r) => r.elems.join().includes('udp')),
    );
    assert.equal(await stopLvsd(), 0);
    assert.doesNotMatch(tables(), /lvsd_bypass/);
  });
}
