/**
 * Hostile ARP and neighbour discovery against the engine's neighbour tables, packet in / packet out, checked against what
 * the kernel's arp_process() (net/ipv4/arp.c) and neigh_update() (net/core/neighbour.c) allow:
 * - an ARP whose sender is one of the director's own addresses (a VIP, a LIP) is a martian
 *   (ip_route_input() refuses a local source): no reply, no entry, and the VIP is still answered
 *   with the director's MAC;
 * - a configured (NUD_PERMANENT) entry is never changed by ARP (neigh_update() refuses
 *   non-admin updates of permanent entries);
 * - the kernel's neighbour entries are per device (neigh_lookup(tbl, ip, dev)): an ARP arriving
 *   on the client side that claims a real server's address neither creates nor changes the entry
 *   the director uses for that server, which lives on the server side.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply } from '../../src/control/apply.js';
import { parseIPv4, parseIPv6 } from '../../src/core/addr.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { ACT } from '../../src/engine/actions.js';
import { Engine } from '../../src/engine/engine.js';
import { StaticRoutes } from '../../src/engine/routes.js';
import { parseRulesLines } from '../../src/ipvsadm/rules.js';
import { parseMac } from '../../src/packet/ethernet.js';
import type { Simulation } from '../../src/tools/simulate.js';
import { toRs } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { CLIENT, DIR_IP, DIR_MAC, GW, GW_MAC, hex, LIP, lab, RS1, RS1_MAC, run, VIP } from './lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, LIP6, lab6, RS6, VIP6 } from './lab6.js';

const EVIL_MAC = '02:00:00:00:00:66';

const arp = (o: { op?: 'request' | 'reply'; mac?: string; sender: string; target: string; dst?: string }) =>
  pkt()
    .eth({ src: o.mac ?? EVIL_MAC, dst: o.dst ?? 'ff:ff:ff:ff:ff:ff' })
    .arp({
      op: o.op ?? 'request',
      senderMac: o.mac ?? EVIL_MAC,
      senderIp: o.sender,
      targetIp: o.target,
      ...(o.op === 'reply' ? { targetMac: DIR_MAC } : {}),
    })
    .build();

const natSyn = (sport: number) =>
  pkt()
    .eth({ src: GW_MAC, dst: DIR_MAC })
    .ipv4({ src: CLIENT, dst: VIP })
    .tcp({ sport, dport: 80, flags: 'S', seq: 1000 })
    .build();

const vipAnswer = (mac: string, ip: string) =>
  hex(
    pkt()
      .eth({ src: DIR_MAC, dst: mac })
      .arp({ op: 'reply', senderMac: DIR_MAC, senderIp: VIP, targetMac: mac, targetIp: ip })
      .build(),
  );

/** The destination MAC of the NAT SYN the director forwards to RS1 now. */
function rsMacSeen(sim: Simulation, sport: number): string | undefined {
  const r = run(sim, natSyn(sport));
  const f = r.tx.find((b) => b.readUInt16BE(12) === 0x0800);
  return f ? [...f.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':') : undefined;
}

describe('hostile ARP, one interface', () => {
  for (const [what, addr] of [
    ['a VIP', VIP],
    ['a LIP', LIP],
  ] as const) {
    it(`ignores an ARP that claims ${what} as its sender: no reply, no entry, the VIP still answered as ours`, () => {
      const sim = lab();
      const before = sim.engine.out.neigh.size;
      for (const op of ['request', 'reply'] as const) {
        // A gratuitous claim (sender = target) and a request for the VIP from the claimed address.
        for (const target of [addr, VIP]) {
          const r = run(sim, arp({ op, sender: addr, target }));
          assert.deepEqual(r.tx, [], `${op} ${addr}→${target} answered`);
          assert.deepEqual(r.drops, ['arp_ignored']);
        }
      }
      assert.equal(sim.engine.out.neigh.size, before, 'no neighbour entry for our own address');
      assert.equal(sim.engine.out.neigh.find(parseIPv4(addr)! >>> 0), -1);
      assert.deepEqual(run(sim, arp({ mac: GW_MAC, sender: GW, target: VIP })).tx.map(hex), [
        vipAnswer(GW_MAC, GW),
      ]);
    });
  }

  it('never changes a configured (permanent) real server entry from ARP', () => {
    const sim = lab();
    assert.equal(rsMacSeen(sim, 40000), RS1_MAC);
    run(sim, arp({ sender: RS1, target: VIP }));
    run(sim, arp({ op: 'reply', sender: RS1, target: DIR_IP, dst: DIR_MAC }));
    run(sim, arp({ sender: RS1, target: RS1 }));
    assert.equal(rsMacSeen(sim, 40001), RS1_MAC);
  });
});

// Two interfaces: eth0 (ifindex 1) toward the clients on 203.0.113.0/24 directly, eth1 (ifindex
// 2) toward the real servers on 192.0.2.0/24; the VIP is answered on both.
const ETH0_MAC = '02:00:00:00:01:01';
const ETH1_MAC = '02:00:00:00:02:01';
const E0 = 1;
const E1 = 2;

function twoLegs(): Engine {
  const director = new Director({ schedulers: findScheduler });
  const target = {
    table: director.table,
    setTimeouts: (t: number, f: number, u: number) => director.settings.setTimeouts(t, f, u),
    setSysctl: (n: Parameters<Director['setSysctl']>[0], v: number) => director.setSysctl(n, v),
    zeroGlobal: () => director.stats.zero(),
  };
  for (const { command } of parseRulesLines(
    `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RS1}:8080 -m -w 1\n`,
    'r',
  ))
    apply(target, command, 0);
  const routes = new StaticRoutes([
    { prefix: parseIPv4('203.0.113.0')!, len: 24, ifindex: E0 },
    { prefix: parseIPv4('192.0.2.0')!, len: 24, ifindex: E1 },
  ]);
  return new Engine({
    director,
    routes,
    interfaces: [
      { ifindex: E0, mac: parseMac(ETH0_MAC), mtu: 1500, addr4: parseIPv4('203.0.113.1')! },
      { ifindex: E1, mac: parseMac(ETH1_MAC), mtu: 1500, addr4: parseIPv4(DIR_IP)! },
    ],
  });
}

function feed(e: Engine, frame: Uint8Array, ifindex: number, now: number): Buffer[] {
  const b = Buffer.from(frame);
  e.handleFrame(b, 0, b.length, ifindex, 0, now);
  const tx: Buffer[] = [];
  for (let i = 0; i < e.actions.count; i++)
    if (e.actions.kind[i] === ACT.TX) tx.push(Buffer.from(e.actions.frame(i)));
  e.flush();
  return tx;
}

const synOn0 = (sport: number) =>
  pkt()
    .eth({ src: '02:00:00:00:00:07', dst: ETH0_MAC })
    .ipv4({ src: CLIENT, dst: VIP })
    .tcp({ sport, dport: 80, flags: 'S', seq: 1000 })
    .build();

describe('hostile ARP from the client side of a two-legged director', () => {
  it('an ARP for the VIP on the client side claiming a real server address does not create its entry', () => {
    const e = twoLegs();
    const t = 1_000_000;
    // The attacker asks for the VIP "from" RS1's address before the director ever resolved RS1.
    feed(e, arp({ sender: RS1, target: VIP }), E0, t);
    // The first SYN must make the director resolve RS1 on eth1, not send it to the attacker.
    const out = feed(e, synOn0(40000), E0, t + 1);
    assert.equal(out.length, 1);
    assert.equal(
      hex(out[0]!.subarray(0, 6)),
      'ffffffffffff',
      'an ARP request for RS1, not a frame to the attacker',
    );
    assert.equal(out[0]!.readUInt16BE(12), 0x0806);
  });

  it('an ARP on the client side claiming a resolved real server does not change its entry', () => {
    const e = twoLegs();
    const t = 1_000_000;
    feed(e, synOn0(40000), E0, t);
    const reply = pkt()
      .eth({ src: RS1_MAC, dst: ETH1_MAC })
      .arp({ op: 'reply', senderMac: RS1_MAC, senderIp: RS1, targetMac: ETH1_MAC, targetIp: DIR_IP })
      .build();
    const released = feed(e, reply, E1, t + 1);
    assert.equal(hex(released[0]!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
    // Well after the kernel's 1 s locktime, gratuitous and plain, request and reply.
    feed(e, arp({ sender: RS1, target: RS1 }), E0, t + 5000);
    feed(e, arp({ op: 'reply', sender: RS1, target: '203.0.113.1', dst: ETH0_MAC }), E0, t + 5001);
    feed(e, arp({ sender: RS1, target: VIP }), E0, t + 5002);
    const next = feed(e, synOn0(40001), E0, t + 5003);
    assert.equal(next.length, 1);
    assert.equal(hex(next[0]!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
    assert.equal(hex(next[0]!.subarray(6, 12)), ETH1_MAC.replaceAll(':', ''));
    assert.equal(hex(toRs(RS1_MAC).build().subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
  });
});

const a6 = (s: string) => parseIPv6(s) as Uint8Array;
const macBytes = (s: string) => Uint8Array.from(s.split(':').map((h) => Number.parseInt(h, 16)));
const cat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** A neighbour solicitation for `target` from `src` with source link-layer address `lla`. */
const ns6 = (target: string, src: string, lla = EVIL_MAC) =>
  pkt()
    .eth({ src: lla, dst: '33:33:ff:00:01:00' })
    .ipv6({ src, dst: 'ff02::1:ff00:100', hopLimit: 255 })
    .icmpv6({ type: 135 })
    .payload(cat(a6(target), [1, 1], macBytes(lla)))
    .build();

/** An override advert for `target` with target link-layer address `lla`. */
const na6 = (target: string, lla = EVIL_MAC) =>
  pkt()
    .eth({ src: lla, dst: '33:33:00:00:00:01' })
    .ipv6({ src: target, dst: 'ff02::1', hopLimit: 255 })
    .icmpv6({ type: 136, rest: 0x20000000 })
    .payload(cat(a6(target), [2, 1], macBytes(lla)))
    .build();

const syn6 = (sport: number) =>
  fromGw6().ipv6({ src: CLIENT6, dst: VIP6 }).tcp({ sport, dport: 80, flags: 'S', seq: 1000 }).build();

describe('hostile neighbour discovery, one interface', () => {
  for (const [what, addr] of [
    ['a VIP', VIP6],
    ['a LIP', LIP6],
    ["the director's address", DIR6],
  ] as const) {
    it(`ignores a solicitation from ${what} and an advert claiming it: no advert, no entry`, () => {
      const sim = lab6();
      const before = sim.engine.out6.neigh.size;
      const r = run(sim, ns6(VIP6, addr));
      assert.deepEqual([r.tx, r.drops], [[], ['ndp_ignored']]);
      assert.deepEqual(run(sim, na6(addr)).drops, ['ndp_ignored']);
      assert.equal(sim.engine.out6.neigh.size, before);
      // Still answered as ours for a genuine neighbour.
      assert.equal(run(sim, ns6(VIP6, GW6, GW_MAC)).tx.length, 1);
    });
  }

  it('never changes a configured real server entry from an advert or a solicitation', () => {
    const sim = lab6();
    const first = run(sim, syn6(40000)).tx[0];
    assert.equal(hex(first!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
    run(sim, na6(RS6));
    run(sim, ns6(VIP6, RS6));
    const next = run(sim, syn6(40001)).tx[0];
    assert.equal(hex(next!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
  });
});
