/**
 * `lvsadm lab trace` and `lab status` on two DR labs up at once under different LVS_LAB_PREFIX
 * values (root only): each keeps its own state directory, `lab status` with no mode lists both,
 * and the trace gives the director's view of its link (the client's SYN `in`, the forwarded SYN
 * `out`), a MAC legend naming every host, and what DR changed: the destination MAC and the TTL.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { runLab } from '../../src/tools/lab/lab-command.js';
import { labPlan } from '../../src/tools/lab/plan.js';
import { labDown, labExec, labUp, readLabState } from '../../src/tools/lab/topology.js';
import { formatTrace, type TracedFrame, traceRequest } from '../../src/tools/lab/trace.js';
import { netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason();
const A = `lvstr${process.pid}a`;
const B = `lvstr${process.pid}b`;
const root = `/run/lvs-ts/lab-trace-test-${process.pid}`;
const plan = labPlan('dr');

/** Runs `fn` (awaited) with LVS_LAB_PREFIX set to `prefix` (lab functions read it at each call). */
async function withPrefixAsync<T>(prefix: string, fn: () => Promise<T>): Promise<T> {
  const was = process.env.LVS_LAB_PREFIX;
  process.env.LVS_LAB_PREFIX = prefix;
  try {
    return await fn();
  } finally {
    if (was === undefined) delete process.env.LVS_LAB_PREFIX;
    else process.env.LVS_LAB_PREFIX = was;
  }
}

/** Runs `fn` with LVS_LAB_PREFIX set to `prefix` (lab functions read it at each call). */
function withPrefix<T>(prefix: string, fn: () => T): T {
  const was = process.env.LVS_LAB_PREFIX;
  process.env.LVS_LAB_PREFIX = prefix;
  try {
    return fn();
  } finally {
    if (was === undefined) delete process.env.LVS_LAB_PREFIX;
    else process.env.LVS_LAB_PREFIX = was;
  }
}

const macOf = (prefix: string, host: 'client' | 'director' | 'rs1' | 'rs2'): string =>
  withPrefix(
    prefix,
    () =>
      /link\/ether ([0-9a-f:]{17})/.exec(labExec('dr', host, ['ip', 'link', 'show', 'eth0']).stdout)?.[1] ??
      '',
  );

if (skip) {
  test('lab trace and status', { skip }, () => {});
} else {
  before(() => {
    for (const p of [A, B])
      withPrefix(p, () => {
        labDown('dr', root);
        labUp('dr', { stateRoot: root, lvsdArgs: ['--xdp', 'off'] });
      });
  });
  after(() => {
    for (const p of [A, B]) withPrefix(p, () => labDown('dr', root));
    rmSync(root, { recursive: true, force: true });
  });

  test('two dr labs under different prefixes keep their own state', () => {
    const a = readLabState('dr', root, A);
    const b = readLabState('dr', root, B);
    assert.ok(a && b, 'both state files exist');
    assert.notEqual(a.stateDir, b.stateDir);
    assert.notEqual(a.pids.lvsd, b.pids.lvsd);
    assert.equal(a.stateDir, `${root}/${A}-dr`);
  });

  test('lab status with no mode lists every lab that is up', async () => {
    let out = '';
    const code = await withPrefixAsync(A, () =>
      runLab(
        ['status'],
        (s) => (out += s),
        () => {},
        { stateRoot: root },
      ),
    );
    assert.equal(code, 0);
    assert.match(out, new RegExp(`^lab dr: up, prefix ${A}, director lvsd, 5 namespaces$`, 'm'));
    assert.match(
      out,
      new RegExp(`^lab dr: up, prefix ${B}, director lvsd, 5 namespaces {2}\\(LVS_LAB_PREFIX=${B}\\)$`, 'm'),
    );
  });

  test('lab trace shows the director link as the director sees it, with a MAC legend and what DR changed', async () => {
    const t = await withPrefixAsync(A, () => traceRequest('dr'));
    assert.match(t.response, /this is rs[12]/);
    const [client, director, rs1, rs2] = (['client', 'director', 'rs1', 'rs2'] as const).map((h) =>
      macOf(A, h),
    );
    assert.equal(t.legend[client!], 'client:eth0');
    assert.equal(t.legend[director!], 'director:eth0');
    assert.equal(t.legend[rs1!], 'rs1:eth0');
    assert.equal(t.legend[rs2!], 'rs2:eth0');
    const link = t.links.find((l) => l.view === 'director');
    assert.ok(link, 'a director link');
    assert.equal(link.name, 'director:eth0 -- sw:director');
    const syns = link.frames.filter((f) => f.kind === 'tcp' && f.flags === 'S' && f.dport === plan.port);
    const synIn = syns.find((f) => f.dir === 'in');
    const synOut = syns.find((f) => f.dir === 'out') as TracedFrame | undefined;
    assert.ok(synIn && synOut, `the SYN in and out: ${JSON.stringify(syns)}`);
    assert.equal(synIn.srcMac, client);
    assert.equal(synIn.dstMac, director);
    assert.equal(synOut.srcMac, director);
    assert.ok([rs1, rs2].includes(synOut.dstMac), synOut.dstMac);
    assert.deepEqual(synOut.changed, [`dst-mac ${director} -> ${synOut.dstMac}`, 'ttl 64 -> 63']);
    const text = formatTrace(t);
    assert.match(text, new RegExp(`^ {2}${director} {2}director:eth0$`, 'm'));
    assert.match(
      text,
      /^link director:eth0 -- sw:director {2}\(\d+ frames; in\/out as director sees them\)$/m,
    );
    assert.match(
      text,
      new RegExp(`^ {6}changed: dst-mac ${director} -> ${synOut.dstMac}, ttl 64 -> 63$`, 'm'),
    );
  });
}
