/**
 * Hostile IP frames through the engine, packet in / packet out, both families, against the
 * kernel's ip_vs_in_icmp() / ip_vs_out_icmp() (net/netfilter/ipvs/ip_vs_core.c) and the TTL check
 * of ip_vs_xmit.c (decrement_ttl(): a forward with TTL or hop limit ≤ 1 is dropped with ICMP time
 * exceeded to the sender, for every method):
 * - an ICMP error quoting a connection that does not exist creates none, changes none and sends
 *   nothing anywhere;
 * - an ICMP error quoting another client's connection leaves that connection's state as it was and
 *   reflects nothing of it to the sender;
 * - IPv4 options and IPv6 extension headers neither crash nor create a connection that a plain
 *   packet would not;
 * - TTL 1 / hop limit 1 is answered with time exceeded, and nothing reaches a real server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Simulation } from '../../src/tools/simulate.js';
import { type PacketBuilder, pkt } from '../helpers/packet-builder.js';
import { CLIENT, DIR_MAC, GW_MAC, lab, RS1, RS1_MAC, run, VIP } from './lab.js';
import { CLIENT6, fromGw6, lab6, RS6, VIP6 } from './lab6.js';

const ATTACKER = '198.51.100.66';
const ATTACKER6 = '2001:db8:66::66';
const fromGw = (): PacketBuilder => pkt().eth({ src: GW_MAC, dst: DIR_MAC });
const fromRs = (): PacketBuilder => pkt().eth({ src: RS1_MAC, dst: DIR_MAC });

const conns = (sim: Simulation) => sim.director.conns.count;
const states = (sim: Simulation) => {
  const c = sim.director.conns;
  const out: number[] = [];
  for (let i = 0; i < c.count + 64; i++) if (c.stateOf(i) !== undefined) out.push(c.stateOf(i));
  return out.join(',');
};

/** Every frame sent, as [destination MAC, IPv4/IPv6 destination] for reflection checks. */
function dests(tx: Buffer[]): string[] {
  return tx.map((b) => {
    const et = b.readUInt16BE(12);
    if (et === 0x0800) return [...b.subarray(30, 34)].join('.');
    if (et === 0x86dd) return b.subarray(38, 54).toString('hex');
    return `ethertype ${et.toString(16)}`;
  });
}

describe('hostile ICMP errors, IPv4', () => {
  const quoteReply = (client: string, sport: number) =>
    pkt()
      .ipv4({ src: VIP, dst: client, ttl: 64 })
      .tcp({ sport: 80, dport: sport, flags: 'SA', seq: 1, ack: 1001 });

  it('an ICMP error from the client side quoting no connection creates none and sends nothing', () => {
    const sim = lab();
    const r = run(
      sim,
      fromGw()
        .ipv4({ src: CLIENT, dst: VIP })
        .icmp({ type: 3, code: 4, mtu: 1200, embed: quoteReply(CLIENT, 40000) })
        .build(),
    );
    assert.deepEqual(r.tx, []);
    assert.deepEqual(r.drops, ['icmp_no_conn']);
    assert.equal(conns(sim), 0);
  });

  it('an ICMP error from a real server quoting no connection creates none and sends nothing', () => {
    const sim = lab();
    const quoted = pkt()
      .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
      .tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 1000 });
    const r = run(
      sim,
      fromRs().ipv4({ src: RS1, dst: CLIENT }).icmp({ type: 3, code: 1, embed: quoted }).build(),
    );
    assert.deepEqual(r.tx, []);
    assert.equal(conns(sim), 0);
  });

  it("an ICMP error sent by someone else about a client's connection changes no state and reflects nothing back", () => {
    const sim = lab();
    run(
      sim,
      fromGw()
        .ipv4({ src: CLIENT, dst: VIP })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 })
        .build(),
    );
    assert.equal(conns(sim), 1);
    const before = states(sim);
    for (const [type, code] of [
      [3, 3],
      [3, 4],
      [11, 0],
      [12, 0],
    ] as const) {
      const r = run(
        sim,
        fromGw()
          .ipv4({ src: ATTACKER, dst: VIP })
          .icmp({ type, code, ...(code === 4 ? { mtu: 576 } : {}), embed: quoteReply(CLIENT, 40000) })
          .build(),
      );
      // Like ip_vs_in_icmp, at most relayed to the conn's real server; never back toward the sender.
      assert.ok(
        dests(r.tx).every((d) => d === RS1),
        `type ${type}/${code} sent ${dests(r.tx).join(' ')}`,
      );
    }
    assert.equal(conns(sim), 1, 'no connection created');
    assert.equal(states(sim), before, 'state unchanged');
  });
});

describe('hostile ICMPv6 errors', () => {
  const quoteReply6 = (sport: number) =>
    pkt().ipv6({ src: VIP6, dst: CLIENT6 }).tcp({ sport: 80, dport: sport, flags: 'SA', seq: 1, ack: 1001 });

  it('an ICMPv6 error quoting no connection creates none and sends nothing', () => {
    const sim = lab6();
    const r = run(
      sim,
      fromGw6()
        .ipv6({ src: CLIENT6, dst: VIP6 })
        .icmpv6({ type: 2, mtu: 1280, embed: quoteReply6(40000) })
        .build(),
    );
    assert.deepEqual(r.tx, []);
    assert.equal(conns(sim), 0);
  });

  it("an ICMPv6 error sent by someone else about a client's connection changes nothing and reflects nothing", () => {
    const sim = lab6();
    run(
      sim,
      fromGw6()
        .ipv6({ src: CLIENT6, dst: VIP6 })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 })
        .build(),
    );
    assert.equal(conns(sim), 1);
    const before = states(sim);
    for (const type of [1, 2, 3]) {
      const r = run(
        sim,
        fromGw6()
          .ipv6({ src: ATTACKER6, dst: VIP6 })
          .icmpv6({ type, ...(type === 2 ? { mtu: 1280 } : {}), embed: quoteReply6(40000) })
          .build(),
      );
      const rs6 = Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]).toString(
        'hex',
      );
      assert.ok(
        dests(r.tx).every((d) => d === rs6),
        `type ${type} sent ${dests(r.tx).join(' ')} (RS ${RS6})`,
      );
    }
    assert.equal(conns(sim), 1);
    assert.equal(states(sim), before);
  });
});

describe('IP options, extension headers and TTL 1', () => {
  it('forwards a SYN with IPv4 options like a plain one (one connection, one frame to the real server)', () => {
    const sim = lab();
    const r = run(
      sim,
      fromGw()
        .ipv4({ src: CLIENT, dst: VIP, options: Uint8Array.from([7, 7, 4, 0, 0, 0, 0, 0]) })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 })
        .build(),
    );
    // ip_vs_nat_xmit rewrites addresses and ports and keeps the options (IHL 7 stays 7).
    assert.equal(conns(sim), 1);
    assert.deepEqual(dests(r.tx), [RS1]);
    assert.equal(r.tx[0]![14], 0x47);
    assert.deepEqual([...r.tx[0]!.subarray(34, 42)], [7, 7, 4, 0, 0, 0, 0, 0]);
  });

  it('forwards a SYN behind a hop-by-hop, destination or routing header like a plain one', () => {
    for (const type of ['hop', 'dst', 'routing'] as const) {
      const sim = lab6();
      const r = run(
        sim,
        fromGw6()
          .ipv6({ src: CLIENT6, dst: VIP6, ext: [{ type }] })
          .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
          .build(),
      );
      assert.equal(conns(sim), 1, type);
      assert.equal(r.tx.length, 1, type);
      assert.deepEqual(r.drops, [], type);
    }
  });

  it('answers TTL 1 with ICMP time exceeded to the client and sends nothing to the real server, every method', () => {
    for (const port of [80, 81, 82, 85]) {
      const sim = lab();
      const r = run(
        sim,
        fromGw()
          .ipv4({ src: CLIENT, dst: VIP, ttl: 1 })
          .tcp({ sport: 40000, dport: port, flags: 'S', seq: 1 })
          .build(),
      );
      assert.deepEqual(dests(r.tx), [CLIENT], `port ${port}`);
      const icmp = r.tx[0]!;
      assert.deepEqual([icmp[23], icmp[34], icmp[35]], [1, 11, 0], 'ICMP time exceeded, in transit');
      assert.deepEqual(r.drops, ['ttl_exceeded']);
    }
  });

  it('answers hop limit 1 with ICMPv6 time exceeded to the client and sends nothing to the real server', () => {
    const sim = lab6();
    const r = run(
      sim,
      fromGw6()
        .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 1 })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
        .build(),
    );
    assert.equal(r.tx.length, 1);
    const icmp = r.tx[0]!;
    assert.deepEqual([icmp[20], icmp[54], icmp[55]], [58, 3, 0], 'ICMPv6 time exceeded, hop limit');
    assert.deepEqual(r.drops, ['ttl_exceeded']);
  });
});
