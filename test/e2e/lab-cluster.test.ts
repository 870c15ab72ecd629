/**
 * `lvsadm lab up cluster` end to end (root, real BIRD 2; issue 18): a router spreading the VIP over
 * three directors with ECMP learnt over BGP, each director running BIRD and lvsd --bgp on the
 * packet plane (DR), four real servers. The router holds the VIP with three next hops; a director
 * whose health checks all fail is withdrawn within its check interval plus lvsd's reload and BGP's
 * time; 60 long-lived connections and a fresh connection every 100 ms survive a director's crash and
 * its return with `mh` (every director picks the same real server for a moved flow), and the same
 * crash breaks moved flows with `rr` and no sync; TUN flows are answered through the lab's rs-agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterFailChecks } from '../../src/tools/lab/cluster-fail.js';
import { birdAvailable, runClusterFlows, waitNextHops } from '../../src/tools/lab/cluster-flows.js';
import { type ClusterLabState, clusterNextHops, clusterUp, planOf } from '../../src/tools/lab/cluster-lab.js';
import { clusterTrace } from '../../src/tools/lab/cluster-trace.js';
import { CLUSTER_MODE } from '../../src/tools/lab/plan.js';
import { labDown, labNamespacesPresent } from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

const skip =
  netnsSkipReason() ?? (birdAvailable() ? undefined : 'bird2 is not installed (scripts/test-peers.mjs)');
if (skip) console.log(`# skipping the cluster lab tests: ${skip}`);
// Our own namespace names, so a concurrent `lvsadm lab up cluster` never shares them.
process.env.LVS_LAB_PREFIX ??= `lvscl${process.pid}`;

// Health: delay_loop 1 s, connect_timeout 1 s (a blackholed route fails at once); lvsd evaluates
// every 0.5 s and reloads BIRD at most once a second; BGP sends the withdrawal at once; plus
// scheduling slack on two shared CPUs.
const WITHDRAW_BOUND_MS = 2000 + 1500 + 4000;

function summary(r: Awaited<ReturnType<typeof runClusterFlows>>): string {
  return `${r.event}: ${r.broken} of ${r.conns} long-lived broken, ${r.moved ?? '?'} moved by the router; fresh ${r.freshFailed} failed, ${r.freshSlow} slow of ${r.fresh}; next hops ${r.nextHopsBefore.length} -> ${r.nextHopsAfter.length} in ${r.convergenceMs} ms`;
}

describe('lab cluster, mh (DR, three directors)', { skip, timeout: 300_000 }, () => {
  let st: ClusterLabState;
  before(() => {
    st = clusterUp({ directors: 3, method: 'dr', sched: 'mh' });
  });
  after(() => {
    labDown(CLUSTER_MODE);
    assert.deepEqual(labNamespacesPresent(CLUSTER_MODE), []);
  });

  it('the router holds the VIP with one next hop per director and every director carries flows', async () => {
    assert.deepEqual(clusterNextHops(st), [...planOf(st).directorIps]);
    const t = await clusterTrace(st, 30);
    assert.ok(
      t.flows.every((f) => /^this is rs[1-4]$/.test(f.response)),
      JSON.stringify(t.flows),
    );
    // Every flow is in exactly one director's table, and the page names the server it picked.
    for (const f of t.flows) {
      assert.equal(f.directors.length, 1, JSON.stringify(f));
      assert.equal(`this is rs${Number(f.servers[0]!.split('.')[3]) - 20}`, f.response);
    }
    // 30 flows over three directors by the L4 hash: all on one has probability 3^-29.
    assert.ok(Object.values(t.perDirector).filter((n) => n > 0).length >= 2, JSON.stringify(t.perDirector));
    console.log(`# flows per director: ${JSON.stringify(t.perDirector)}`);
  });

  it('a director whose real servers all fail its checks is withdrawn, and announced again once they pass', async () => {
    clusterFailChecks(st, 2, true);
    const down = await waitNextHops(st, 2, 20_000);
    console.log(
      `# director3 withdrawn ${down} ms after its checks started failing (bound ${WITHDRAW_BOUND_MS} ms)`,
    );
    assert.ok(!clusterNextHops(st).includes('198.51.100.13'));
    assert.ok(down <= WITHDRAW_BOUND_MS, `withdrawn after ${down} ms`);
    clusterFailChecks(st, 2, false);
    const up = await waitNextHops(st, 3, 20_000);
    console.log(`# director3 announced again ${up} ms after its checks passed`);
  });

  it('long-lived and fresh connections survive a director crash and its return', async () => {
    const fail = await runClusterFlows(st, { event: 'fail', director: 1 });
    console.log(`# mh ${summary(fail)}`);
    assert.deepEqual(fail.nextHopsAfter, ['198.51.100.11', '198.51.100.13']);
    assert.ok((fail.moved ?? 0) > 0, 'the crash moved flows (the test has something to show)');
    assert.equal(fail.broken, 0, summary(fail));
    assert.equal(fail.freshFailed, 0, summary(fail));
    const join = await runClusterFlows(st, { event: 'join', director: 1 });
    console.log(`# mh ${summary(join)}`);
    assert.equal(join.nextHopsAfter.length, 3);
    assert.ok((join.moved ?? 0) > 0, 'the join moved flows');
    assert.equal(join.broken, 0, summary(join));
    assert.equal(join.freshFailed, 0, summary(join));
  });
});

describe('lab cluster, rr without sync (DR, three directors)', { skip, timeout: 300_000 }, () => {
  let st: ClusterLabState;
  before(() => {
    st = clusterUp({ directors: 3, method: 'dr', sched: 'rr' });
  });
  after(() => {
    labDown(CLUSTER_MODE);
    assert.deepEqual(labNamespacesPresent(CLUSTER_MODE), []);
  });

  it('a director crash breaks flows the router moved: the next director picks another real server', async () => {
    const fail = await runClusterFlows(st, { event: 'fail', director: 1 });
    console.log(`# rr ${summary(fail)}`);
    assert.ok((fail.moved ?? 0) > 0, summary(fail));
    // A moved flow lands on a director with no conn for it; rr sends it to one of four real
    // servers, three of which answer its mid-flow segment with a reset.
    assert.ok(fail.broken > 0, summary(fail));
    assert.ok(fail.broken <= (fail.moved ?? 0), summary(fail));
  });
});

describe('lab cluster, TUN', { skip, timeout: 300_000 }, () => {
  after(() => {
    labDown(CLUSTER_MODE);
    assert.deepEqual(labNamespacesPresent(CLUSTER_MODE), []);
  });

  it('every flow is answered through the tunnel, by the real server its director chose', async () => {
    const st = clusterUp({ directors: 3, method: 'tun', sched: 'mh' });
    const t = await clusterTrace(st, 12);
    for (const f of t.flows) {
      assert.equal(f.directors.length, 1, JSON.stringify(f));
      assert.equal(`this is rs${Number(f.servers[0]!.split('.')[3]) - 20}`, f.response);
    }
  });
});
