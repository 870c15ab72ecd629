/**
 * Active-active connection sync on the packet plane, DR (issue 18 point 3; root only): two lvsd
 * directors A and B on one segment, both serving the VIP with `mh`, each running the master and
 * the backup sync daemon at once on syncid 7, as ip_vs_sync.c allows (`lvs_sync_daemon eth0 id 7`
 * without `inst` in A's keepalived.conf; `lvsadm --start-daemon master` and `--start-daemon
 * backup` on B), a real server holding the VIP on lo, and a client that reaches the VIP through a
 * host route, standing in for the router's ECMP choice. The segment is
 * test/helpers/sync-pair-net.ts's DR one, without VRRP.
 *
 * 1. Only A's daemons run; a client's 20 long-lived connections and a paced download go through
 *    A. A's master sends, A's backup reads nothing (make_send_sock(): multicast loop off), and B
 *    lists none of them.
 *    B's backup on syncid 8 (another tier) receives A's messages and applies none of them.
 * 2. B starts both daemons on syncid 7: B's `lvsadm -Lnc` lists every one of them (A's master sends a conn
 *    again every sync_period packets).
 * 3. The client's route moves to B mid-flow: B forwards their packets (ACKs without SYN) to the
 *    real server. A second client's connections open through B and appear in A's table.
 * 4. The route moves back to A mid-flow: those go on through A. Every connection of both clients
 *    answers every request in order, the download's digest is right and it ran past the first move.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StatusView } from '../../src/control/protocol.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { type Lvsd, startLvsd } from '../helpers/lvsd-in-netns.js';
import type { Netns } from '../helpers/netns.js';
import { syncPairSkipReason } from '../helpers/sync-pair.js';
import { PAIR_ADDRS, pairSegment } from '../helpers/sync-pair-net.js';
import { CLIENT_JS, type ClientReport, kept, RS_JS } from '../helpers/sync-pair-scripts.js';
import { lvsadm, until } from './config-helpers.js';

const N = PAIR_ADDRS.DR;
const START_MS = 40_000;
const skip = syncPairSkipReason();
if (skip) console.log(`# skipping the active-active sync test: ${skip}`);

/**
 * The same service on both directors (keepalived.conf), no VRRP. A's file also has
 * `lvs_sync_daemon eth0 id 7` without `inst`, which starts both roles with the table; B's
 * daemons are started later with lvsadm, so both ways are run.
 */
const SYNC_DEFS = 'global_defs {\n  lvs_sync_daemon eth0 id 7\n}\n';
const CONF = `virtual_server ${N.vip} 80 {
  lvs_sched mh
  lvs_method DR
  protocol TCP
  real_server ${N.rs} 80 {
  }
}
`;

/**
 * Client ports `d` lists as TCP conns from the client to VIP:80, in any state (the second
 * client's short download may be closing already).
 */
async function listed(d: Lvsd): Promise<Set<number>> {
  const r = await lvsadm(d.socket, '-L', '-n', '-c');
  const out = new Set<number>();
  for (const l of r.stdout.split('\n')) {
    const [pro, , st, src, v] = l.trim().split(/\s+/);
    if (pro !== 'TCP' || st === undefined || v !== `${N.vip}:80`) continue;
    const [addr, port] = (src ?? '').split(':');
    if (addr === N.client) out.add(Number(port));
  }
  return out;
}

/**
 * What `d` reports: its sync daemons' datagrams (master: sent; backup: received) and its totals
 * (conns it scheduled, packets it took in).
 */
async function status(d: Lvsd): Promise<{ master?: number; backup?: number; conns: number; inpkts: number }> {
  const c = await connectClient(d.socket);
  try {
    const r = await c.request({ query: { q: 'status' } });
    assert.ok(r.ok && 'result' in r && r.result.q === 'status');
    const st: StatusView = r.result.status;
    return {
      ...Object.fromEntries((st.sync ?? []).map((s) => [s.state, s.datagrams])),
      conns: st.totals?.conns ?? 0,
      inpkts: st.totals?.inpkts ?? 0,
    };
  } finally {
    c.close();
  }
}

/** `lvsadm` on `d`, which must succeed. */
async function must(d: Lvsd, ...args: string[]): Promise<void> {
  const r = await lvsadm(d.socket, ...args);
  assert.equal(r.code, 0, `lvsadm ${args.join(' ')}: ${r.stderr} (${d.log()})`);
}

async function startDaemons(d: Lvsd, syncId = 7, roles = ['master', 'backup']): Promise<void> {
  for (const role of roles)
    await must(d, '--start-daemon', role, '--mcast-interface', 'eth0', '--syncid', `${syncId}`);
}

/** A client in namespace c: `conns` connections, one download; its ports and its report. */
function client(ns: Netns, conns: number, dlBytes: number) {
  const p: ChildProcess = ns.spawn('c', [
    process.execPath,
    '-e',
    CLIENT_JS,
    N.vip,
    `${conns}`,
    '10000',
    `${dlBytes}`,
    '1',
  ]);
  let out = '';
  let err = '';
  p.stdout?.on('data', (d) => (out += d));
  p.stderr?.on('data', (d) => (err += d));
  const exited = new Promise((r) => p.once('exit', r));
  return {
    async ports(): Promise<number[]> {
      await until(async () => /ports [\d,]+\n/.test(err), START_MS, `the client's connections (${err})`);
      return (/ports ([\d,]+)\n/.exec(err)?.[1] ?? '').split(',').map(Number);
    },
    stop(ms: number) {
      p.stdin?.write(`stop ${ms}\n`);
    },
    async report(ms: number): Promise<{ report: ClientReport; at: number }> {
      await Promise.race([exited, new Promise((r) => setTimeout(r, ms).unref())]);
      if (out.trim() === '') {
        p.stdin?.write('report\n');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      }
      if (out.trim() === '') throw new Error(`the client reported nothing: ${err}`);
      return { report: JSON.parse(out) as ClientReport, at: Date.now() };
    },
    kill: () => p.kill('SIGKILL'),
  };
}

test('active-active sync (DR): conns of either director appear in the other and go on when the route moves mid-flow', {
  skip,
  timeout: 240_000,
}, async () => {
  const ns = pairSegment('DR');
  const dir = mkdtempSync(join(tmpdir(), 'lvs-active-active-'));
  const ds: Lvsd[] = [];
  const clients: ReturnType<typeof client>[] = [];
  try {
    const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS], { cwd: process.cwd() });
    await new Promise((r) => rs.stderr?.once('data', r));
    const args = ['--dataplane', 'packet', '--interface', 'eth0'];
    const a = startLvsd(ns, 'd1', dir, 'a', SYNC_DEFS + CONF, args);
    const b = startLvsd(ns, 'd2', dir, 'b', CONF, args);
    ds.push(a, b);
    for (const d of [a, b])
      await until(
        async () => (await lvsadm(d.socket, '-L', '-n')).code === 0,
        START_MS,
        `lvsd up (${d.log()})`,
      );
    await until(
      async () => (await lvsadm(a.socket, '-L', '--daemon')).stdout.split('\n').filter(Boolean).length === 2,
      START_MS,
      `A's two sync daemons from its file (${a.log()})`,
    );
    const route = (via: string) => ns.ip('c', 'route', 'replace', `${N.vip}/32`, 'via', via);
    route(N.d1);

    // 1. Through A, only A syncing.
    const c1 = client(ns, 20, 48 * 1024 * 1024);
    clients.push(c1);
    const ports1 = await c1.ports();
    await until(async () => ((await status(a)).master ?? 0) > 0, 15_000, "A's master sending");
    assert.equal((await status(a)).backup, 0, 'A read its own messages');
    assert.equal((await listed(b)).size, 0, 'B lists conns before it runs a backup daemon');

    // Another tier's backup (syncid 8) on the same link reads A's messages and applies none.
    await startDaemons(b, 8, ['backup']);
    await until(async () => ((await status(b)).backup ?? 0) > 0, 20_000, "B's syncid-8 backup receiving");
    assert.equal((await listed(b)).size, 0, 'a backup of syncid 8 applied syncid 7');
    await must(b, '--stop-daemon', 'backup');

    // 2. B's daemons: A's conns reach B.
    await startDaemons(b);
    let onB = new Set<number>();
    await until(
      async () => {
        onB = await listed(b);
        return ports1.every((p) => onB.has(p));
      },
      30_000,
      `B listing all ${ports1.length} of A's conns`,
    );

    // 3. The route moves to B mid-flow; a second client opens through B.
    const movedAt = Date.now();
    const b0 = await status(b);
    route(N.d2);
    const c2 = client(ns, 10, 4 * 65536);
    clients.push(c2);
    const ports2 = await c2.ports();
    let onA = new Set<number>();
    await until(
      async () => {
        onA = await listed(a);
        return ports2.every((p) => onA.has(p));
      },
      30_000,
      `A listing all ${ports2.length} of B's conns`,
    );

    // 4. Back to A mid-flow; both clients go on for 3 s more, then report.
    const b1 = await status(b);
    route(N.d1);
    for (const c of [c1, c2]) c.stop(3000);
    const [r1, r2] = await Promise.all([c1.report(60_000), c2.report(30_000)]);
    const counters = await Promise.all([status(a), status(b)]);
    const maxLat = Math.max(...r1.report.conns.map((c) => c.maxLatMs));
    console.log(
      `# active-active: ${ports1.length} + ${ports2.length} ports; A ${JSON.stringify(counters[0])}, B ${JSON.stringify(counters[1])}; while the route was on B (${b1.inpkts - b0.inpkts} packets in, ${b1.conns - b0.conns} conns scheduled); first client's longest answer ${maxLat} ms; download ${r1.report.dl.bytes} bytes, ended ${r1.at - r1.report.dl.last - movedAt} ms after the first move`,
    );
    // B forwarded the first client's mid-flow packets from its synced conns: it took them in, and
    // scheduled only the second client's connections (a SYN each), none of the first's.
    assert.equal(b1.conns - b0.conns, ports2.length, 'B scheduled conns it should have found synced');
    assert.ok(b1.inpkts - b0.inpkts > 100, `B took in only ${b1.inpkts - b0.inpkts} packets`);
    // No request waited for a retransmission: one B had dropped would have waited (200 ms RTO and
    // more) until the route came back to A, seconds later. 73 ms in a run at load 17.
    assert.ok(maxLat < 1500, `an answer took ${maxLat} ms: was a segment dropped on B?`);
    for (const c of [...r1.report.conns, ...r2.report.conns])
      assert.ok(kept(c), `connection ${c.i} (port ${c.port}) lost: ${JSON.stringify(c)}`);
    for (const { report } of [r1, r2]) {
      const dl = report.dl;
      assert.ok(dl.done && !dl.err && !dl.hung && dl.digestOk, JSON.stringify(dl));
    }
    assert.equal(r1.report.dl.bytes, 48 * 1024 * 1024);
    assert.ok(
      r1.at - r1.report.dl.last > movedAt,
      'the download ended before the route moved: it did not cross the move',
    );
    // Each backup read what the other's master sent, and each read something.
    assert.ok((counters[0].backup ?? 0) > 0 && (counters[1].backup ?? 0) > 0);
  } finally {
    for (const c of clients) c.kill();
    for (const d of ds) d.proc.kill('SIGKILL');
    await Promise.race([Promise.all(ds.map((d) => d.exited)), new Promise((r) => setTimeout(r, 3000))]);
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
