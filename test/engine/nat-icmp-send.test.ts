/**
 * nat_icmp_send on the packet plane (net/netfilter/ipvs/ip_vs_core.c ip_vs_out()): a packet from
 * a NAT real server's address and service port that matches no conn is answered with ICMP port
 * unreachable to the real server when the sysctl is set, and is not ours otherwise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowOf, fromClient, fromRs } from '../forward/fixtures.js';
import { CLIENT, DIR_IP, hex, lab, RS1, RS1_MAC, RS2, RS2_MAC, run, VIP } from './lab.js';
import { CLIENT6, lab6, RS6 } from './lab6.js';

// RS1:8080 is the NAT real server of VIP:80/tcp, RS1:5353 of VIP:53/udp; RS1:81 is a DR one.
const stray = (sport: number, flags = 'A') =>
  fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).tcp({ sport, dport: 40000, flags }).payload(10).build();
const strayUdp = () =>
  fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).udp({ sport: 5353, dport: 40000 }).payload(10).build();

function withSysctl(v: number) {
  const sim = lab();
  sim.director.setSysctl('nat_icmp_send', v);
  return sim;
}

describe('nat_icmp_send', () => {
  it('0 (default): a NAT real server packet with no conn is not ours, nothing is sent', () => {
    for (const f of [stray(8080), strayUdp()]) {
      const r = run(withSysctl(0), f);
      assert.deepEqual([r.tx.length, r.drops], [0, ['not_ours']]);
    }
  });

  it('1: a TCP segment from RS:8080 with no conn gets port unreachable sent back to the real server', () => {
    const f = stray(8080);
    const r = run(withSysctl(1), f);
    assert.deepEqual(r.drops, ['nat_no_conn']);
    assert.equal(r.tx.length, 1);
    const o = flowOf(r.tx[0]!);
    // From the director's address on the route to RS1 (icmp_send: the packet's destination is not local).
    assert.deepEqual([o.src4 >>> 0, o.dst4 >>> 0, o.icmpType, o.icmpCode], [ip(DIR_IP), ip(RS1), 3, 3]);
    assert.equal(hex(r.tx[0]!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
    assert.equal(hex(r.tx[0]!.subarray(o.innerL3Off, o.innerL3Off + 28)), hex(f.subarray(14, 42)));
  });

  it('1: a UDP datagram from RS:5353 with no conn gets port unreachable too', () => {
    const r = run(withSysctl(1), strayUdp());
    assert.deepEqual(r.drops, ['nat_no_conn']);
    const o = flowOf(r.tx[0]!);
    assert.deepEqual([o.dst4 >>> 0, o.icmpType, o.icmpCode], [ip(RS1), 3, 3]);
  });

  it('1: a TCP RST is let go (not answered), as is_tcp_reset() exempts it', () => {
    const r = run(withSysctl(1), stray(8080, 'R'));
    assert.deepEqual([r.tx.length, r.drops], [0, ['not_ours']]);
  });

  it('1: only NAT real services count: a DR real server port, an unknown port, another host are not answered', () => {
    const sim = withSysctl(1);
    for (const f of [
      stray(81),
      stray(9999),
      fromRs(RS2_MAC).ipv4({ src: RS2, dst: CLIENT }).tcp({ sport: 8080, dport: 1, flags: 'A' }).build(),
      // The right port but the wrong protocol: RS1:8080 serves TCP only.
      fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).udp({ sport: 8080, dport: 1 }).build(),
    ]) {
      const r = run(sim, f);
      assert.deepEqual([r.tx.length, r.drops], [0, ['not_ours']]);
    }
  });

  it('1: replies of a live conn are translated as before', () => {
    const sim = withSysctl(1);
    const r1 = run(
      sim,
      fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 40000, dport: 80, flags: 'S' }).build(),
    );
    assert.equal(r1.tx.length, 1);
    const r2 = run(sim, stray(8080, 'SA'));
    assert.deepEqual(r2.drops, []);
    assert.equal(flowOf(r2.tx[0]!).src4 >>> 0, ip(VIP));
  });

  it('IPv6: 1 answers with ICMPv6 port unreachable, 0 lets it go', () => {
    const f = fromRs(RS1_MAC)
      .ipv6({ src: RS6, dst: CLIENT6 })
      .tcp({ sport: 8080, dport: 40000, flags: 'A' })
      .build();
    const off = lab6();
    assert.deepEqual(run(off, f).drops, ['not_ours']);
    const on = lab6();
    on.director.setSysctl('nat_icmp_send', 1);
    const r = run(on, f);
    assert.deepEqual(r.drops, ['nat_no_conn']);
    const o = flowOf(r.tx[0]!);
    assert.deepEqual([o.icmpType, o.icmpCode], [1, 4]);
  });
});

function ip(s: string): number {
  return s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}
