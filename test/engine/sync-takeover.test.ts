/**
 * Packet-in / packet-out tables for a takeover: a master engine forwards a real handshake, its
 * sync master turns the conn into datagram bytes (SyncMaster → SyncOutbox → builder), a second
 * director reads them (parseSyncDatagram → applySyncEntry, through PlaneSync), and then mid-flow
 * packets must come out of the backup exactly as they come out of the master: same real server,
 * same rewrite, FULLNAT with the same LIP:port, no re-schedule and no RST.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv6 } from '../../src/core/addr.js';
import { CONN_F } from '../../src/core/conn-table.js';
import { bytesToWords } from '../../src/core/persistence.js';
import { TCP_S } from '../../src/core/proto/tcp.js';
import { FWD } from '../../src/core/types.js';
import { PlaneLoop } from '../../src/dataplane/packet-plane/plane-loop.js';
import { PlaneSync } from '../../src/dataplane/packet-plane/plane-sync.js';
import { DROP } from '../../src/engine/drops.js';
import { FakeDriver } from '../../src/io/fake-driver.js';
import { SyncOutbox } from '../../src/sync/sync-outbox.js';
import { createSimulation, SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { fromClient, fromRs } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { destConfig, tcp } from '../helpers/table.js';
import {
  CLIENT,
  DIR_IP,
  DIR_MAC,
  GW,
  GW_MAC,
  hex,
  lab,
  NEIGHBOURS,
  RS1,
  RS1_MAC,
  RS2,
  RS2_MAC,
  RULES,
  run,
  VIP,
} from './lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, LIP6, RS6, RS6B, RULES6, VIP6 } from './lab6.js';

const T0 = 1_000_000;
const SYNC_ID = 7;

// Two real servers per method, so a backup that scheduled afresh would (rr) pick the first one
// while the master's flow under test went to the second.
const RULES2 = `${RULES}
-a -t ${VIP}:80 -r ${RS2}:8080 -m -w 1
-a -t ${VIP}:81 -r ${RS2}:81 -g -w 1
-a -t ${VIP}:82 -r ${RS2}:82 -i -w 1
-a -t ${VIP}:85 -r ${RS1}:8085 -b -w 1
`;
const RULES6_2 = `${RULES6}
-a -t [${VIP6}]:80 -r [${RS6B}]:8080 -m -w 1
-a -t [${VIP6}]:81 -r [${RS6B}]:81 -g -w 1
-a -t [${VIP6}]:82 -r [${RS6B}]:82 -i -w 1
-a -t [${VIP6}]:85 -r [${RS6}]:8085 -b -w 1
`;

function lab4(rules = RULES2): Simulation {
  return lab({ rules });
}

function lab6b(rules = RULES6_2): Simulation {
  return createSimulation({
    rules,
    directorMac: DIR_MAC,
    directorIp: `${DIR_IP}/24`,
    gateway: GW,
    directorIp6: `${DIR6}/64`,
    gateway6: GW6,
    neighbours: `${NEIGHBOURS}${GW6} ${GW_MAC}\n${RS6} ${RS1_MAC}\n${RS6B} ${RS2_MAC}\n`,
    laddrs: [LIP6],
    now: T0,
  });
}

type Fam = 4 | 6;
const CLIENT_OF = { 4: CLIENT, 6: CLIENT6 } as const;
const VIP_OF = { 4: VIP, 6: VIP6 } as const;

/** A client segment to VIP:port from `sport`. */
function seg(af: Fam, port: number, sport: number, flags: string, seq: number, payload = 0): Buffer {
  const b =
    af === 4 ? fromClient().ipv4({ src: CLIENT, dst: VIP }) : fromGw6().ipv6({ src: CLIENT6, dst: VIP6 });
  const t = b.tcp({ sport, dport: port, flags, seq, ack: 5001 });
  return Buffer.from((payload > 0 ? t.payload(payload) : t).build());
}

function addrWords(af: Fam, s: string): Uint32Array {
  const w = new Uint32Array(4);
  bytesToWords(af === 4 ? Uint8Array.from(s.split('.').map(Number)) : (parseIPv6(s) as Uint8Array), w);
  return w;
}

/** The conn of the client flow from `sport` to VIP:port, or -1. */
function connOf(sim: Simulation, af: Fam, port: number, sport: number): number {
  return sim.director.conns.findIn(
    af,
    6,
    addrWords(af, CLIENT_OF[af]),
    sport,
    addrWords(af, VIP_OF[af]),
    port,
  );
}

/** The conn's real server as "daddr words:dport". */
function destText(sim: Simulation, idx: number): string {
  const w = new Uint32Array(4);
  sim.director.conns.readAddr(idx, 8, w);
  return `${[...w].join('.')}:${sim.director.conns.dportOf(idx)}`;
}

/** A master and a backup: the master's engine feeds its outbox while attached. */
function pair(mk: () => Simulation, mkBackup = mk) {
  const m = mk();
  const b = mkBackup();
  const outbox = new SyncOutbox({ syncId: SYNC_ID, qlenMax: () => m.director.settings.get('sync_qlen_max') });
  const mSync = new PlaneSync(m.engine);
  mSync.attachMaster(outbox);
  const bSync = new PlaneSync(b.engine);
  /** Sends the master's datagrams so far to the backup; returns how many conns they created. */
  const syncNow = (now = T0): number => {
    outbox.flush();
    let created = 0;
    for (const d of outbox.drain()) {
      const r = bSync.apply(d, SYNC_ID, now);
      assert.equal(r.dropped, undefined);
      created += r.created;
    }
    return created;
  };
  return { m, b, outbox, mSync, bSync, syncNow };
}

/** SYN, ACK, ACK with data: the third packet of an ESTABLISHED conn is synced (sync_threshold 3). */
function handshake(sim: Simulation, af: Fam, port: number, sport: number): void {
  for (const f of [
    seg(af, port, sport, 'S', 1000),
    seg(af, port, sport, 'A', 1001),
    seg(af, port, sport, 'PA', 1001, 100),
  ]) {
    const r = run(sim, f);
    assert.deepEqual(r.drops, []);
    assert.equal(r.tx.length, 1);
  }
}

const METHODS = [
  { name: 'NAT', port: 80, fwd: FWD.MASQ },
  { name: 'DR', port: 81, fwd: FWD.DROUTE },
  { name: 'TUN', port: 82, fwd: FWD.TUNNEL },
  { name: 'FULLNAT', port: 85, fwd: FWD.FULLNAT },
] as const;

// Tunnel frames carry the outer header's IP ID, chosen per engine: compared without it (and the
// header checksum that covers it). IPv6 outer headers have no ID.
function comparable(af: Fam, fwd: number, f: Buffer): string {
  if (af !== 4 || fwd !== FWD.TUNNEL) return hex(f);
  const c = Buffer.from(f);
  c.fill(0, 14 + 4, 14 + 6);
  c.fill(0, 14 + 10, 14 + 12);
  return hex(c);
}

for (const af of [4, 6] as const) {
  describe(`sync takeover, IPv${af}: a backup filled only by sync datagrams forwards like the master`, () => {
    for (const { name, port, fwd } of METHODS) {
      it(`${name}: mid-flow ACK, data and FIN go to the master's real server with the master's rewrite`, () => {
        const { m, b, syncNow } = pair(af === 4 ? lab4 : lab6b);
        // A first flow moves rr on; the flow under test then goes to the service's second server.
        handshake(m, af, port, 39999);
        handshake(m, af, port, 40000);
        const mi = connOf(m, af, port, 40000);
        assert.ok(mi >= 0);
        assert.notEqual(destText(m, mi), destText(m, connOf(m, af, port, 39999)));
        assert.equal(m.director.conns.stateOf(mi), TCP_S.ESTABLISHED);

        assert.equal(syncNow(), 2, 'both flows reach the backup');
        const bi = connOf(b, af, port, 40000);
        assert.ok(bi >= 0);
        assert.ok(b.director.conns.flagsOf(bi) & CONN_F.SYNC);
        assert.equal(b.director.conns.flagsOf(bi) & CONN_F.FWD_MASK, fwd);
        assert.equal(destText(b, bi), destText(m, mi));
        if (fwd === FWD.FULLNAT) {
          const lm = new Uint32Array(4);
          const lb = new Uint32Array(4);
          assert.equal(b.director.conns.readLocal(bi, lb), m.director.conns.readLocal(mi, lm));
          assert.deepEqual(lb, lm);
        }
        const conns = b.director.conns.count;

        const mid = [
          seg(af, port, 40000, 'A', 1101),
          seg(af, port, 40000, 'PA', 1101, 50),
          seg(af, port, 40000, 'FA', 1151),
        ];
        for (const f of mid) {
          const rm = run(m, f);
          const rb = run(b, f);
          assert.deepEqual(rb.drops, []);
          assert.equal(rb.tx.length, 1);
          assert.deepEqual(
            rb.tx.map((x) => comparable(af, fwd, x)),
            rm.tx.map((x) => comparable(af, fwd, x)),
          );
        }
        assert.equal(b.director.conns.count, conns, 'nothing was scheduled on the backup');
        assert.equal(b.director.conns.stateOf(bi), m.director.conns.stateOf(mi));
      });
    }

    for (const { name, port, fwd } of METHODS.filter((x) => x.fwd === FWD.MASQ || x.fwd === FWD.FULLNAT)) {
      it(`${name}: the real server's reply goes back through the backup as through the master`, () => {
        const { m, b, syncNow } = pair(af === 4 ? lab4 : lab6b);
        handshake(m, af, port, 40000);
        syncNow();
        const mi = connOf(m, af, port, 40000);
        const c = m.director.conns;
        const rs = new Uint32Array(4);
        c.readAddr(mi, 8, rs);
        const lw = new Uint32Array(4);
        const lport = c.readLocal(mi, lw);
        const rsText = destText(m, mi);
        const [rip, rport] = [rsText.slice(0, rsText.lastIndexOf(':')), c.dportOf(mi)];
        const rsAddr = af === 4 ? (rip === ipWords(RS1) ? RS1 : RS2) : rip === ip6Words(RS6) ? RS6 : RS6B;
        const rsMac = rsAddr === RS1 || rsAddr === RS6 ? RS1_MAC : RS2_MAC;
        const dst = fwd === FWD.FULLNAT ? (af === 4 ? wordsToDotted(lw) : LIP6) : CLIENT_OF[af];
        const dport = fwd === FWD.FULLNAT ? lport : 40000;
        const from = fromRs(rsMac);
        const reply = Buffer.from(
          (af === 4 ? from.ipv4({ src: rsAddr, dst }) : from.ipv6({ src: rsAddr, dst }))
            .tcp({ sport: rport, dport, flags: 'PA', seq: 5001, ack: 1101 })
            .payload(30)
            .build(),
        );
        const rm = run(m, reply);
        const rb = run(b, reply);
        assert.deepEqual(rm.drops, []);
        assert.deepEqual(rb.drops, []);
        assert.equal(rb.tx.length, 1);
        assert.deepEqual(rb.tx.map(hex), rm.tx.map(hex));
      });
    }
  });
}

function ipWords(s: string): string {
  return [...addrWords(4, s)].join('.');
}
function ip6Words(s: string): string {
  return [...addrWords(6, s)].join('.');
}
function wordsToDotted(w: Uint32Array): string {
  const a = w[0] as number;
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}

describe('sync takeover: unbound conns', () => {
  it('a synced conn whose real server the backup lacks is dropped and counted, not scheduled, and forwards once the dest is added', () => {
    // The backup's NAT service has only RS1: the master's second flow (to RS2) arrives unbound.
    const { m, b, bSync, syncNow } = pair(lab4, () => lab4(RULES));
    handshake(m, 4, 80, 39999);
    handshake(m, 4, 80, 40000);
    assert.equal(syncNow(), 2);
    assert.equal(bSync.counters.unbound, 1);
    // rr gave one of the two flows RS2 (which one depends on the dest list order).
    const sport = [39999, 40000].find((p) => destText(m, connOf(m, 4, 80, p)) === `${ipWords(RS2)}:8080`);
    assert.ok(sport !== undefined);
    const bi = connOf(b, 4, 80, sport);
    assert.ok(bi >= 0);
    assert.equal(b.director.destOf(bi), undefined);
    const count = b.director.conns.count;
    const ack = seg(4, 80, sport, 'A', 1101);
    const r = run(b, ack);
    assert.deepEqual(r.tx, []);
    assert.deepEqual(r.drops, ['sync_unbound']);
    assert.equal(b.director.conns.count, count, 'not scheduled to RS1');
    assert.equal(b.director.destOf(bi), undefined);

    b.director.table.addDest(tcp(VIP, 80), destConfig(RS2, 8080, { fwd: FWD.MASQ }));
    const rb = run(b, ack);
    const rm = run(m, ack);
    assert.deepEqual(rb.drops, []);
    assert.equal(rb.tx.length, 1);
    assert.deepEqual(rb.tx.map(hex), rm.tx.map(hex));
    assert.equal(b.director.destOf(bi)?.port, 8080);
    assert.equal(b.director.conns.count, count);
  });
});

/**
 * A takeover's first burst through the packet plane's loop: every client's TCP retransmits at the
 * same back-off step, so the new master gets the first packets of all synced conns at once, to a
 * next hop it never sent to as a backup. They wait for ARP together and must all leave once it
 * answers (the sync-failover e2e test saw 8 of 24 dropped as neigh_queue_full, those connections
 * then waiting 6 s more for TCP's next retransmission).
 */
describe('sync takeover: the first burst to an unresolved next hop', () => {
  const CONNS = 50;
  const arpReply = (ip: string, mac: string) =>
    pkt()
      .eth({ src: mac, dst: DIR_MAC })
      .arp({ op: 'reply', senderMac: mac, senderIp: ip, targetMac: DIR_MAC, targetIp: DIR_IP })
      .build();

  /** A backup without neighbours holding CONNS synced conns to VIP:port, behind a plane loop. */
  function takeover(port: number) {
    const { m, b, syncNow } = pair(lab4, () => lab({ rules: RULES2, neighbours: false }));
    for (let k = 0; k < CONNS; k++) handshake(m, 4, port, 42000 + k);
    assert.equal(syncNow(), CONNS);
    const wire = new FakeDriver({ ifindex: SIM_IFINDEX });
    const loop = new PlaneLoop(
      b.engine,
      [{ ifindex: SIM_IFINDEX, name: 'eth0', mac: new Uint8Array(6), driver: wire }],
      () => T0,
    );
    loop.start();
    return { m, b, wire, loop };
  }

  it("DR: the clients' retransmissions to both real servers all go out once ARP answers", () => {
    const { b, wire, loop } = takeover(81);
    wire.inject(Array.from({ length: CONNS }, (_, k) => seg(4, 81, 42000 + k, 'PA', 1101, 20)));
    assert.equal(wire.sent.length, 2, 'one ARP request per real server, nothing else yet');
    wire.inject([arpReply(RS1, RS1_MAC), arpReply(RS2, RS2_MAC)]);
    const out = wire.sent.slice(2);
    assert.equal(out.length, CONNS);
    assert.deepEqual(
      new Set(out.map((f) => f.readUInt16BE(14 + 20))),
      new Set(Array.from({ length: CONNS }, (_, k) => 42000 + k)),
    );
    assert.equal(b.engine.out.drops[DROP.NEIGH_QUEUE_FULL], 0);
    assert.equal(loop.counters[5], 2, 'the engine dropped only the two ARP replies (arp_ignored)');
  });

  it("NAT: the real servers' replies to the clients all go out once the gateway answers ARP", () => {
    const { m, b, wire, loop } = takeover(80);
    const replies = Array.from({ length: CONNS }, (_, k) => {
      const mi = connOf(m, 4, 80, 42000 + k);
      const rs = destText(m, mi).startsWith(ipWords(RS1)) ? RS1 : RS2;
      return pkt()
        .eth({ src: rs === RS1 ? RS1_MAC : RS2_MAC, dst: DIR_MAC })
        .ipv4({ src: rs, dst: CLIENT })
        .tcp({ sport: 8080, dport: 42000 + k, flags: 'PA', seq: 5001, ack: 1101 })
        .payload(8)
        .build();
    });
    wire.inject(replies);
    assert.equal(wire.sent.length, 1, 'one ARP request for the gateway');
    wire.inject([arpReply(GW, GW_MAC)]);
    const out = wire.sent.slice(1);
    assert.equal(out.length, CONNS);
    assert.ok(out.every((f) => f.subarray(0, 6).toString('hex') === GW_MAC.replaceAll(':', '')));
    assert.equal(b.engine.out.drops[DROP.NEIGH_QUEUE_FULL], 0);
    assert.equal(loop.counters[5], 1);
  });
});

describe('sync master hook on the engine', () => {
  it('feeds nothing while no master is attached, and stops when detached', () => {
    const sim = lab4();
    const got: number[] = [];
    const ps = new PlaneSync(sim.engine);
    handshake(sim, 4, 80, 40000);
    assert.equal(sim.engine.syncMaster, null);
    ps.attachMaster({ add: (e) => got.push(e.cport) });
    assert.equal(sim.engine.syncMaster, ps.master);
    // Packets 4..53 of an ESTABLISHED conn: the 53rd (53 % 50 === 3) is sent.
    for (let i = 0; i < 50; i++) run(sim, seg(4, 80, 40000, 'A', 1101 + i));
    assert.deepEqual(got, [40000]);
    ps.detachMaster();
    assert.equal(sim.engine.syncMaster, null);
    for (let i = 0; i < 60; i++) run(sim, seg(4, 80, 40000, 'A', 2000 + i));
    run(sim, seg(4, 80, 40000, 'FA', 3000));
    assert.deepEqual(got, [40000], 'nothing after detach, not even the forced FIN_WAIT send');
  });

  it('a template the table re-arms because it still controls a conn is sent again (ip_vs_conn_expire)', () => {
    const sim = lab4(`${RULES2}\n-A -t ${VIP}:90 -s rr -p 60\n-a -t ${VIP}:90 -r ${RS1}:90 -g -w 1\n`);
    const got: { template: boolean; at: number }[] = [];
    const ps = new PlaneSync(sim.engine);
    ps.attachMaster({
      add: (e, now) => got.push({ template: (e.flags & CONN_F.TEMPLATE) !== 0, at: now ?? -1 }),
    });
    handshake(sim, 4, 90, 40000);
    const before = got.filter((g) => g.template).length;
    // The conn lives 900 s; the template's 60 s run out first and it is re-armed, not freed.
    const later = T0 + 61_000;
    sim.director.tick(later);
    const after = got.filter((g) => g.template);
    assert.equal(after.length, before + 1);
    assert.equal(after.at(-1)?.at, later);
    ps.detachMaster();
    sim.director.tick(T0 + 122_000);
    assert.equal(got.filter((g) => g.template).length, before + 1, 'no resend once detached');
  });

  it("a backup's synced conns carry the master bookkeeping, so the backup resumes as master", () => {
    const p = pair(lab4);
    handshake(p.m, 4, 80, 40000);
    assert.equal(p.syncNow(T0 + 5), 1);
    const bi = connOf(p.b, 4, 80, 40000);
    assert.equal(p.bSync.master.book.oldState[bi], TCP_S.ESTABLISHED);
    assert.equal(p.bSync.master.book.syncEnd[bi], T0 + 5);
    // Takeover: the backup's engine now feeds its own sink; the FIN's state change is sent at once.
    const got: number[] = [];
    p.bSync.attachMaster({ add: (e) => got.push(e.state) });
    run(p.b, seg(4, 80, 40000, 'A', 1101));
    assert.deepEqual(got, [], 'an ACK of an ESTABLISHED conn synced at threshold is not resent');
    run(p.b, seg(4, 80, 40000, 'FA', 1101));
    assert.equal(got.length, 1);
    assert.equal(got[0], p.b.director.conns.stateOf(bi));
    assert.notEqual(got[0], TCP_S.ESTABLISHED);
  });
});

describe('sloppy_tcp on the engine path', () => {
  for (const { name, port } of METHODS) {
    it(`${name}: a mid-flow ACK of a flow nobody synced is not ours without sloppy_tcp, and creates a forwarded conn with it`, () => {
      const sim = lab4();
      const ack = seg(4, port, 41000, 'A', 7000);
      const r0 = run(sim, ack);
      assert.deepEqual(r0.tx, []);
      assert.deepEqual(r0.drops, ['no_service']);
      assert.ok(connOf(sim, 4, port, 41000) < 0);
      sim.director.setSysctl('sloppy_tcp', 1);
      const r1 = run(sim, ack);
      assert.deepEqual(r1.drops, []);
      assert.equal(r1.tx.length, 1);
      assert.ok(connOf(sim, 4, port, 41000) >= 0);
      // An RST still creates nothing (tcp_conn_schedule).
      const rst = run(sim, seg(4, port, 41001, 'R', 7000));
      assert.equal(rst.tx.length, 0);
      assert.ok(connOf(sim, 4, port, 41001) < 0);
    });
  }
});

describe('sloppy_sctp on the engine path', () => {
  // An SCTP packet with one chunk of `type` (0 DATA, 6 ABORT): common header, then the chunk.
  const sctp = (sport: number, type: number): Buffer => {
    const b = Buffer.alloc(12 + 16);
    b.writeUInt16BE(sport, 0);
    b.writeUInt16BE(7000, 2);
    b.writeUInt32BE(0x01020304, 4);
    b[12] = type;
    b[13] = type === 0 ? 3 : 0;
    b.writeUInt16BE(16, 14);
    return Buffer.from(
      fromClient().ipv4({ src: CLIENT, dst: VIP, proto: 132 }).payload(new Uint8Array(b)).build(),
    );
  };
  const rules = `${RULES2}\n-A --sctp-service ${VIP}:7000 -s rr\n-a --sctp-service ${VIP}:7000 -r ${RS1}:7000 -g -w 1\n`;

  it('DR: a mid-association DATA chunk is not ours without sloppy_sctp, and creates a forwarded conn with it; ABORT never does', () => {
    const sim = lab4(rules);
    const find = (sport: number) =>
      sim.director.conns.findIn(4, 132, addrWords(4, CLIENT), sport, addrWords(4, VIP), 7000);
    const r0 = run(sim, sctp(5000, 0));
    assert.deepEqual(r0.tx, []);
    assert.deepEqual(r0.drops, ['no_service']);
    assert.ok(find(5000) < 0);
    sim.director.setSysctl('sloppy_sctp', 1);
    const r1 = run(sim, sctp(5000, 0));
    assert.deepEqual(r1.drops, []);
    assert.equal(r1.tx.length, 1);
    assert.equal(r1.tx[0]?.subarray(0, 6).toString('hex'), RS1_MAC.replaceAll(':', ''));
    assert.ok(find(5000) >= 0);
    const r2 = run(sim, sctp(5001, 6));
    assert.equal(r2.tx.length, 0);
    assert.ok(find(5001) < 0);
  });
});

describe('sync takeover: persistence', () => {
  it("a new connection from a client a template covers goes, on the backup, to the master's real server (the template came with its conn)", () => {
    const rules = `${RULES2}\n-A -t ${VIP}:90 -s rr -p 300\n-a -t ${VIP}:90 -r ${RS1}:90 -g -w 1\n-a -t ${VIP}:90 -r ${RS2}:90 -g -w 1\n`;
    const { m, b, syncNow } = pair(() => lab4(rules));
    // Another client takes rr's first pick, so CLIENT's template holds the second one.
    const other = Buffer.from(
      fromClient().ipv4({ src: '203.0.113.8', dst: VIP }).tcp({ sport: 1234, dport: 90, flags: 'S' }).build(),
    );
    assert.equal(run(m, other).tx.length, 1);
    handshake(m, 4, 90, 40000);
    const mi = connOf(m, 4, 90, 40000);
    const masterRs = run(m, seg(4, 90, 40000, 'A', 1101))
      .tx[0]?.subarray(0, 6)
      .toString('hex');
    assert.ok(syncNow() >= 2, 'the conn and its template');
    assert.ok(b.director.conns.findTemplate(4, 6, addrWords(4, CLIENT), addrWords(4, VIP), 90) >= 0);
    // A new flow from CLIENT on the backup: scheduled through the synced template.
    const r = run(b, seg(4, 90, 45000, 'S', 9000));
    assert.deepEqual(r.drops, []);
    assert.equal(r.tx[0]?.subarray(0, 6).toString('hex'), masterRs);
    assert.equal(destText(b, connOf(b, 4, 90, 45000)), destText(m, mi));
    // The same SYN on a backup that was never synced takes rr's first pick: the other server.
    const fresh = lab4(rules);
    assert.notEqual(
      run(fresh, seg(4, 90, 45000, 'S', 9000))
        .tx[0]?.subarray(0, 6)
        .toString('hex'),
      masterRs,
    );
  });
});
