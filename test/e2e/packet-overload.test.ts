/**
 * Overload without collapse, end to end on the NAT lab (root, namespaces), for AF_PACKET
 * (`--xdp off`) and AF_XDP (`--xdp on`, with its preferred busy polling): 2 s of unpaced 64-byte
 * UDP frames (bounded: 2 M at most) from the client to a UDP service on the VIP while a paced
 * legitimate client fetches over HTTP through the same VIP. During the flood most fetches are
 * served and lvsadm answers within 1 s; after it, every fetch is served. Before preferred busy
 * polling and the bench's warm-up, unpaced floods read as "the director forwarded nothing".
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { macOf, resolveNeighbour, sinkUdp } from '../../bench/lib/packet-lab.js';
import { labNamespace, labPlan } from '../../src/tools/lab/plan.js';
import { labDown, labExec, labUp, tail } from '../../src/tools/lab/topology.js';
import { lvsadm } from '../helpers/lvsadm-in-process.js';
import { netnsSkipReason } from '../helpers/netns.js';

process.env.LVS_LAB_PREFIX ??= `lvsov${process.pid}`;
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const stateRoot = `/run/lvs-ts/overload-test-${process.pid}`;
const skip = netnsSkipReason();
const mode = 'nat' as const;
const plan = labPlan(mode);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let flood: ChildProcess | undefined;

after(() => {
  flood?.kill('SIGKILL');
  labDown(mode, stateRoot);
  rmSync(stateRoot, { recursive: true, force: true });
});

/** One fetch through the VIP: served or not, and how long it took (ms). */
function fetchOnce(): { ok: boolean; ms: number } {
  const t0 = Date.now();
  const r = labExec(mode, 'client', ['curl', '-s', '-m', '3', `http://${plan.vip}:${plan.port}/`], 10_000);
  return { ok: r.status === 0 && /this is rs[12]/.test(r.stdout), ms: Date.now() - t0 };
}

for (const xdp of ['off', 'on'] as const) {
  test(`an unpaced flood does not stop lvsd (--xdp ${xdp}) from serving a paced client, during or after`, {
    skip,
    timeout: 120_000,
  }, async (t) => {
    labDown(mode, stateRoot);
    const st = labUp(mode, { stateRoot, lvsdArgs: ['--xdp', xdp] });
    try {
      const svc = `${plan.vip}:9`;
      assert.equal((await lvsadm(st.socket, ['-A', '-u', svc, '-s', 'rr'])).code, 0);
      for (const r of plan.rips)
        assert.equal((await lvsadm(st.socket, ['-a', '-u', svc, '-r', `${r}:9`, '-m'])).code, 0);
      for (const h of ['rs1', 'rs2'] as const) sinkUdp(mode, h, 9);
      // Served before the flood (and the real servers' MACs resolved).
      for (let i = 0; i < 3; i++) assert.ok(fetchOnce().ok, 'served before the flood');
      const dstMac = resolveNeighbour(mode, plan.vip, plan.clientIf);
      assert.equal(dstMac, macOf(mode, 'director', plan.directorIfs[0] as string));
      const gen = [
        ...['--import', 'tsx', join(root, 'bench/lib/packet-gen.ts'), '--method', 'sendmmsg'],
        ...['--if', plan.clientIf, '--src-mac', macOf(mode, 'client', plan.clientIf), '--dst-mac', dstMac],
        ...['--src-ip', '203.0.113.10', '--dst-ip', plan.vip, '--dport', '9', '--flows', '4096'],
        ...['--secs', '2', '--max-packets', '2000000'],
      ];
      flood = spawn('ip', ['netns', 'exec', labNamespace(mode, 'client'), process.execPath, ...gen], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let genOut = '';
      flood.stdout?.on('data', (d) => {
        genOut += d;
      });
      const done = new Promise<void>((r) => flood?.on('exit', () => r()));
      await sleep(300); // the generator's own start (tsx)
      const during: { ok: boolean; ms: number }[] = [];
      const ctl: number[] = [];
      let ended = false;
      void done.then(() => {
        ended = true;
      });
      while (!ended) {
        during.push(fetchOnce());
        const t0 = Date.now();
        const l = await lvsadm(st.socket, ['-L', '-n']);
        ctl.push(l.code === 0 && l.out.includes(svc) ? Date.now() - t0 : Number.POSITIVE_INFINITY);
        await sleep(100);
      }
      await done;
      flood = undefined;
      const sent = (JSON.parse(genOut.trim().split('\n').pop() || '{}') as { sent?: number }).sent ?? 0;
      const served = during.filter((d) => d.ok).length;
      const why = `flood ${sent} frames; fetches during ${served}/${during.length} (ms ${during.map((d) => d.ms).join(',')}); lvsadm ms ${ctl.join(',')}; lvsd: ${tail(st, 'lvsd', 3)}`;
      t.diagnostic(why.split('; lvsd:')[0] ?? why);
      assert.ok(sent > 10_000, `the flood ran: ${why}`);
      assert.ok(during.length >= 1, why);
      assert.ok(served >= Math.ceil(during.length / 2), `most fetches served during the flood: ${why}`);
      assert.ok(
        ctl.every((ms) => ms < 1000),
        `lvsadm answered within 1 s during the flood: ${why}`,
      );
      const afterwards = [0, 1, 2, 3, 4].map(() => fetchOnce());
      assert.ok(
        afterwards.every((d) => d.ok),
        `every fetch served after the flood: ${afterwards.map((d) => d.ms).join(',')}`,
      );
    } finally {
      labDown(mode, stateRoot);
    }
  });
}
