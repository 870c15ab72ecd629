/**
 * Active-active connection sync (issue 18 point 3) on the fake sync network: directors A and B
 * each run the master and the backup daemon at once on syncid 7, as ip_vs_sync.c allows
 * (start_sync_thread() keeps one thread set per role), over real packet engines (lvsd simulate's
 * set-up) with the production protocol and plane joint. A third director C runs both roles on
 * syncid 8, another tier on the same link. What must hold:
 * - a conn A schedules reaches B's table (bound to the same real server) and not C's: the backup
 *   drops a message of another syncid (ip_vs_process_message(): syncid != 0 and not its own);
 * - a director never reads its own messages (make_send_sock(): set_mcast_loop(sk, 0); the fake
 *   network delivers nothing to the sender's host, the real socket is checked in
 *   test/e2e/sync-active-active-dr.test.ts);
 * - a mid-flow packet (ACK, no SYN) of that conn arriving at B is forwarded by B to the conn's
 *   real server, where one of a flow B never heard of is dropped (ip_vs_in(): only a SYN is
 *   scheduled), and the same the other way round;
 * - no echo: B forwarding A's conn does not send it back at once. The synced conn's in_pkts
 *   starts at sync_threshold (ip_vs_proc_conn()), so B's master sends it again only at the
 *   sync_period multiple, as the kernel's ip_vs_sync_conn_needed() would.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataPlaneHandle } from '../../src/control/ports.js';
import { KIND } from '../../src/core/conn-table.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { SYNC_CHECK_MS, SYNC_FLUSH_MS } from '../../src/daemon/sync/sync-service.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { PlaneSync } from '../../src/dataplane/packet-plane/plane-sync.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { Simulation } from '../../src/tools/simulate.js';
import { CLIENT, lab, RS1, RS1_MAC, RS2, RS2_MAC, run, VIP } from '../engine/lab.js';
import { fromClient } from '../forward/fixtures.js';

/**
 * One DR service with mh over two real servers, the same on every director of the tier; mh-port
 * so one client's flows spread over both.
 */
const RULES = `
-A -t ${VIP}:81 -s mh -b mh-port
-a -t ${VIP}:81 -r ${RS1}:81 -g -w 1
-a -t ${VIP}:81 -r ${RS2}:81 -g -w 1
`;
const MAC_OF: Record<string, string> = {
  [RS1_MAC.replaceAll(':', '')]: RS1,
  [RS2_MAC.replaceAll(':', '')]: RS2,
};

/** A director of the tier: its daemon port (sync service) over a packet engine. */
interface Node {
  readonly port: ReturnType<typeof createDirectorPort>;
  readonly sim: Simulation;
  readonly host: string;
}

function tier() {
  const net = new FakeSyncNetwork();
  const clock = new FakeClock(1_000_000);
  const node = (host: string, syncId: number): Node => {
    const port = createDirectorPort(8, syncServiceFactory({ transport: net.transport(host), clock }));
    const sim = lab({ rules: RULES });
    const ps = new PlaneSync(sim.engine);
    const plane: DataPlaneHandle = {
      name: 'packet',
      onChanges: () => {},
      vipStatus: () => [],
      close: async () => {},
      attachSyncMaster: (s) => ps.attachMaster(s),
      detachSyncMaster: () => ps.detachMaster(),
      applySyncEntry: (e, now) => {
        ps.applyEntry(e, now);
      },
    };
    port.bindPlane(plane);
    // `--start-daemon master` and `--start-daemon backup`, same interface and syncid.
    port.startDaemon?.({ state: 'master', mcastInterface: 'eth0', syncId });
    port.startDaemon?.({ state: 'backup', mcastInterface: 'eth0', syncId });
    return { port, sim, host };
  };
  const a = node('192.0.2.1', 7);
  const b = node('192.0.2.2', 7);
  const c = node('192.0.2.3', 8);
  return { net, clock, a, b, c };
}

/** A client segment of flow `sport` into `n` at `now`: what it forwarded (real server) or dropped. */
function send(n: Node, sport: number, flags: 'S' | 'A' | 'PA', now: number, seq = 1001) {
  const f = fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport, dport: 81, flags, seq, ack: 5001 });
  const r = run(n.sim, (flags === 'PA' ? f.payload(10) : f).build(), 0, now);
  const tx = r.tx[0];
  return {
    drops: r.drops,
    count: r.tx.length,
    // DR: the frame goes to the real server's MAC with the IP header unchanged (dst VIP).
    rs: tx ? MAC_OF[tx.subarray(0, 6).toString('hex')] : undefined,
    dst: tx ? [...tx.subarray(30, 34)].join('.') : undefined,
  };
}

/** Opens flow `sport` through `n` (SYN, ACK, data: its third packet reaches sync_threshold 3). */
function open(n: Node, sport: number, now: number): string {
  const syn = send(n, sport, 'S', now, 1000);
  assert.ok(syn.rs, `the SYN of ${sport} was scheduled (${syn.drops.join(',')})`);
  send(n, sport, 'A', now);
  send(n, sport, 'PA', now);
  return syn.rs as string;
}

/** The client ports of n's TCP conns to VIP:81, with the real server of each. */
function listed(n: Node): Map<number, string> {
  const d = n.sim.director;
  const out = new Map<number, string>();
  for (let i = 0; i < d.conns.capacity; i++) {
    if (d.conns.kind(i) !== KIND.LIVE || d.conns.vport[i] !== 81 || d.destOf(i) === undefined) continue;
    out.set(d.conns.cport[i] as number, d.destOf(i)?.addr as string);
  }
  return out;
}

/** Client ports carried by the datagrams `host` sent from index `from` of net.sent on. */
function sentBy(net: FakeSyncNetwork, host: string, from = 0): number[] {
  return net.sent
    .slice(from)
    .filter((s) => s.from === host)
    .flatMap((s) => syncMessageCodec.decode(s.data, 0).entries.map((e) => e.cport));
}

describe('active-active sync: both daemons on every director of a tier', () => {
  it('conns scheduled by A appear in B (same real server) and not in C of another syncid; B forwards their mid-flow packets; and the other way round', async () => {
    const { net, clock, a, b, c } = tier();
    assert.deepEqual(
      a.port.daemons().map((d) => d.state),
      ['master', 'backup'],
    );
    const viaA = [41000, 41001, 41002, 41003, 41004, 41005];
    const rsOf = new Map(viaA.map((p) => [p, open(a, p, clock.now())]));
    assert.ok(new Set(rsOf.values()).size === 2, 'mh spread the flows over both real servers');
    // Unknown to B before the sync: a mid-flow ACK is dropped, not scheduled.
    const early = send(b, viaA[0] as number, 'A', clock.now());
    assert.equal(early.count, 0);
    assert.ok(early.drops.length > 0);
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);

    const onB = listed(b);
    for (const p of viaA) assert.equal(onB.get(p), rsOf.get(p), `B holds ${p} towards A's real server`);
    assert.equal(listed(c).size, 0, 'C (syncid 8) applied nothing of syncid 7');
    assert.ok(
      (c.port.sync?.counters('backup')?.datagrams ?? 0) > 0,
      'C received the datagrams and dropped them',
    );
    assert.equal(a.port.sync?.counters('backup')?.datagrams, 0, 'A never reads its own messages');
    assert.ok((a.port.sync?.counters('master')?.datagrams ?? 0) > 0);

    // The router moves the flows to B mid-flow: B forwards each to the conn's real server.
    const before = net.sent.length;
    for (const p of viaA) {
      for (const flags of ['A', 'PA', 'A'] as const) {
        const r = send(b, p, flags, clock.now());
        assert.deepEqual(r.drops, []);
        assert.equal(r.rs, rsOf.get(p), `B sent ${p}'s ${flags} to its real server`);
        assert.equal(r.dst, VIP, 'DR keeps the VIP as destination');
      }
    }
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.deepEqual(sentBy(net, b.host, before), [], 'B does not echo the conns it was sent');

    // The other way round: flows B schedules reach A.
    const viaB = [42000, 42001, 42002];
    const rsOfB = new Map(viaB.map((p) => [p, open(b, p, clock.now())]));
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    const onA = listed(a);
    for (const p of viaB) assert.equal(onA.get(p), rsOfB.get(p));
    for (const p of viaB) assert.equal(send(a, p, 'A', clock.now()).rs, rsOfB.get(p));
    assert.equal(b.port.sync?.counters('backup')?.datagrams, sentDatagrams(net, a.host));
    assert.equal(a.port.sync?.counters('backup')?.datagrams, sentDatagrams(net, b.host));
    assert.equal(listed(c).size, 0);
  });

  it('with mh on both directors, a SYN that reaches B first lands on the real server A would have picked', () => {
    const { a, b, clock } = tier();
    for (let p = 43000; p < 43040; p++) {
      // Two independent tables (no sync involved: the SYN is scheduled where it arrives).
      assert.equal(send(b, p, 'S', clock.now(), 1000).rs, send(a, p, 'S', clock.now(), 1000).rs);
    }
  });

  it('a backup of syncid 0 on the same link takes both tiers’ conns (the kernel’s "accept any syncid")', async () => {
    const { net, clock, a, c } = tier();
    const any = createDirectorPort(8, syncServiceFactory({ transport: net.transport('192.0.2.9'), clock }));
    any.startDaemon?.({ state: 'backup', mcastInterface: 'eth0', syncId: 0 });
    open(a, 44000, clock.now());
    open(c, 44001, clock.now());
    await clock.advance(SYNC_FLUSH_MS + SYNC_CHECK_MS);
    assert.deepEqual(
      any
        .conns(clock.now())
        .map((x) => x.cport)
        .sort(),
      [44000, 44001],
    );
  });
});

/** Datagrams `host` sent (all on one port, syncid checked by the receivers). */
function sentDatagrams(net: FakeSyncNetwork, host: string): number {
  return net.sent.filter((s) => s.from === host).length;
}
