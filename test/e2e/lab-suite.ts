/**
 * Shared end-to-end checks of one lab mode with lvsd on the packet data plane: curl through the
 * VIP reaches both real servers in round-robin order, the per-link capture shows who saw
 * replies and who answered ARP, the real servers see the expected peer address, and a 100 MB
 * transfer keeps its digest. Root only; teardown must leave no namespace.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type LabMode, labNamespace, labPlan } from '../../src/tools/lab/plan.js';
import { labPattern } from '../../src/tools/lab/rs-http.js';
import {
  type LabState,
  labDown,
  labExec,
  labNamespacesPresent,
  labUp,
  tail,
} from '../../src/tools/lab/topology.js';
import { traceRequest } from '../../src/tools/lab/trace.js';
import { netnsSkipReason } from '../helpers/netns.js';
import { xdpChecks } from './lab-xdp-checks.js';

/** Options of {@link labSuite}. */
export interface LabSuiteOptions {
  /** lvsd's `--xdp`: 'on' also runs the AF_XDP checks (lab-xdp-checks.ts); default 'off'. */
  readonly xdp?: 'on' | 'off';
}

/** Registers the lab tests of one mode. `peer` is the address the real servers must see. */
export function labSuite(mode: LabMode, peer: string, o: LabSuiteOptions = {}): void {
  const xdp = o.xdp ?? 'off';
  // Our own namespace names, so a concurrent `lvsadm lab` or bench:packet never shares them.
  process.env.LVS_LAB_PREFIX ??= `lvsts${process.pid}`;
  const skip = netnsSkipReason();
  if (skip) {
    test(`lab ${mode}`, { skip }, () => {});
    return;
  }
  const plan = labPlan(mode);
  const root = `/run/lvs-ts/lab-test-${process.pid}`;
  const url = (path: string) => `http://${plan.vip}:${plan.port}${path}`;
  const curl = (path: string) => labExec(mode, 'client', ['curl', '-s', '-m', '10', url(path)]);
  let st: LabState | undefined;
  before(() => {
    labDown(mode, root);
    st = labUp(mode, { stateRoot: root, lvsdArgs: ['--xdp', xdp] });
  });
  after(() => {
    labDown(mode, root);
    rmSync(root, { recursive: true, force: true });
  });

  test(`${mode}: curl through the VIP alternates between rs1 and rs2 (rr)`, () => {
    const got = [1, 2, 3, 4].map(() => curl('/').stdout.trim());
    assert.ok(
      got.every((g) => g === 'this is rs1' || g === 'this is rs2'),
      got.join(','),
    );
    assert.notEqual(got[0], got[1]);
    assert.equal(got[0], got[2]);
    assert.equal(got[1], got[3]);
  });

  test(`${mode}: the real server sees ${peer}`, () => {
    assert.equal(curl('/whoami').stdout.trim().split(':')[0], peer);
  });

  test(`${mode}: only lvsd answers who-has VIP, and the director link carries ${mode === 'dr' || mode === 'tun' ? 'no replies' : 'the rewritten replies'}`, async () => {
    labExec(mode, 'client', ['ip', 'neigh', 'flush', 'dev', plan.clientIf]);
    const t = await traceRequest(mode);
    assert.match(t.response, /this is rs[12]/);
    const directorMacs = new Set(
      plan.directorIfs.map(
        (i) =>
          /link\/ether ([0-9a-f:]{17})/.exec(
            labExec(mode, 'director', ['ip', 'link', 'show', i]).stdout,
          )?.[1],
      ),
    );
    const clientLink = t.links[0]!;
    const isAt = clientLink.frames.filter((f) => f.kind === 'arp' && f.arp === 'is-at' && f.src === plan.vip);
    assert.ok(isAt.length >= 1, 'an ARP reply for the VIP reached the client');
    for (const f of isAt) assert.ok(directorMacs.has(f.srcMac), `is-at from ${f.srcMac}`);
    const dirLinks = t.links.filter((l) => l.name.startsWith('director:'));
    const replies = dirLinks.flatMap((l) =>
      l.frames.filter((f) => f.kind === 'tcp' && f.sport === plan.port),
    );
    const requests = dirLinks.flatMap((l) =>
      l.frames.filter((f) => (f.kind === 'tcp' && f.dport === plan.port) || f.kind === 'ipip'),
    );
    assert.ok(requests.length > 0, 'the director forwarded the requests');
    if (mode === 'dr' || mode === 'tun') assert.equal(replies.length, 0, 'replies bypass the director');
    else assert.ok(replies.length > 0, 'NAT replies come back through the director');
    assert.ok(
      clientLink.frames.some((f) => f.kind === 'tcp' && f.sport === plan.port && f.src === plan.vip),
      'the client got replies from the VIP',
    );
  });

  test(`${mode}: a 100 MB transfer keeps its integrity`, () => {
    const n = 100_000_000;
    const r = labExec(
      mode,
      'client',
      ['sh', '-c', `curl -s -m 60 ${url(`/bytes/${n}`)} | sha256sum`],
      90_000,
    );
    const want = createHash('sha256').update(labPattern(n)).digest('hex');
    assert.equal(r.stdout.split(' ')[0], want);
  });

  test(`${mode}: the client's checksum offload stays at its default`, () => {
    const r = labExec(mode, 'client', ['ethtool', '-k', plan.clientIf]);
    if (r.status !== 0) return assert.fail(`ethtool missing: ${r.stderr}`);
    assert.match(r.stdout, /tx-checksumming: on/);
    // Native XDP on a veth strips software GSO from its peer (veth_xdp_set), so with --xdp on a
    // client wired straight to the director (NAT, FULLNAT) loses TSO: the kernel's doing.
    const direct = plan.links.some((l) => l.a.host === 'client' && l.b.host === 'director');
    if (xdp === 'off' || !direct) assert.match(r.stdout, /tcp-segmentation-offload: on/);
  });

  if (xdp === 'on')
    xdpChecks(
      mode,
      () => st,
      () => (st ? tail(st, 'lvsd', 40) : ''),
    );

  test(`${mode}: teardown leaves no namespace`, () => {
    const before = labNamespacesPresent(mode);
    assert.ok(before.includes(labNamespace(mode, 'director')));
    labDown(mode, root);
    assert.deepEqual(labNamespacesPresent(mode), []);
  });
}
