/**
 * Checks that a lab's lvsd really serves through its AF_XDP path (`--xdp on`): the programs are
 * attached to the director's interfaces, the VIP's TCP frames never reach the director's own
 * packet taps (XDP takes them before the taps, while ARP still passes to them), and the
 * programs are gone once lvsd is killed, even with SIGKILL (BPF links die with their fds).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CapturedFrame } from '../../src/tools/lab/capture.js';
import { type LabMode, labPlan } from '../../src/tools/lab/plan.js';
import { type LabState, labExec, labSpawn, procArgv } from '../../src/tools/lab/topology.js';
import { waitCaptureReady } from '../../src/tools/lab/trace.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function xdpProgs(mode: LabMode): string[] {
  const plan = labPlan(mode);
  return plan.directorIfs.map((i) => {
    const out = labExec(mode, 'director', ['ip', '-d', 'link', 'show', i]).stdout;
    return /prog\/xdp id \d+ name (\S+)/.exec(out)?.[1] ?? '';
  });
}

/** Registers the AF_XDP checks of one lab; run before its teardown test. */
export function xdpChecks(mode: LabMode, state: () => LabState | undefined, log: () => string): void {
  const plan = labPlan(mode);

  test(`${mode} xdp: lvsd attached its XDP program to every director interface`, () => {
    assert.match(log(), /AF_XDP fast path attached/);
    assert.deepEqual(
      xdpProgs(mode),
      plan.directorIfs.map(() => 'lvsd_xdp'),
    );
  });

  test(`${mode} xdp: the VIP's TCP frames skip the director's packet taps, ARP does not`, async () => {
    const caps = plan.directorIfs.map((i) => {
      const c = labSpawn(mode, 'director', procArgv('capture', i));
      let out = '';
      c.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      return { c, out: () => out };
    });
    // Each tap must be bound before the request, or a loaded machine loses the ARP exchange.
    await Promise.all(caps.map((x) => waitCaptureReady(x.c)));
    labExec(mode, 'client', ['ip', 'neigh', 'flush', 'dev', plan.clientIf]);
    const r = labExec(mode, 'client', ['curl', '-s', '-m', '5', `http://${plan.vip}:${plan.port}/`]);
    assert.match(r.stdout, /this is rs[12]/);
    await sleep(300);
    for (const x of caps) x.c.kill('SIGTERM');
    await Promise.all(caps.map((x) => new Promise((res) => x.c.once('exit', res))));
    const frames = caps.flatMap((x) =>
      x
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as CapturedFrame),
    );
    const vipTcp = frames.filter(
      (f) => f.kind === 'tcp' && f.dst === plan.vip && f.dport === plan.port && f.dir === 'in',
    );
    assert.equal(vipTcp.length, 0, 'no request frame reached the taps');
    assert.ok(
      frames.some((f) => f.kind === 'arp' && (f.dst === plan.vip || f.src === plan.vip)),
      'ARP for the VIP still passes to the taps',
    );
  });

  test(`${mode} xdp: the programs detach when lvsd dies, even by SIGKILL`, async () => {
    const pid = state()?.pids.lvsd;
    assert.ok(pid && pid > 0, 'lvsd pid known');
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && xdpProgs(mode).some(Boolean); i++) await sleep(100);
    assert.deepEqual(
      xdpProgs(mode),
      plan.directorIfs.map(() => ''),
    );
    const links = labExec(mode, 'director', ['ip', 'link']).stdout;
    assert.doesNotMatch(links, /xdp/);
  });
}
