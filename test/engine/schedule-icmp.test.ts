/**
 * schedule_icmp on the packet plane (net/netfilter/ipvs/ip_vs_core.c ip_vs_in_icmp() →
 * ip_vs_try_to_schedule()): an ICMP error to a VIP about a reply VIP:vport → client that matches
 * no conn is dropped when the sysctl is 0, and schedules a conn for client → VIP:vport and reaches
 * the real server (translated for NAT) when it is 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowOf, fromClient, ROUTER, toRs } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { CLIENT, hex, lab, RS1, RS1_MAC, run, VIP } from './lab.js';
import { CLIENT6, fromGw6, lab6, VIP6 } from './lab6.js';

// A router's frag-needed (MTU 1400) to the VIP, quoting the VIP's segment from vport to CLIENT:40000.
const fragNeeded = (vport: number, proto: 'tcp' | 'udp' = 'tcp') => {
  const q = pkt().ipv4({ src: VIP, dst: CLIENT });
  const quoted =
    proto === 'tcp'
      ? q.tcp({ sport: vport, dport: 40000, flags: 'A' })
      : q.udp({ sport: vport, dport: 40000 });
  return fromClient().ipv4({ src: ROUTER, dst: VIP }).icmp({ type: 3, code: 4, mtu: 1400, embed: quoted });
};

function sim(v: number) {
  const s = lab();
  s.director.setSysctl('schedule_icmp', v);
  return s;
}

describe('schedule_icmp', () => {
  it('0 (default): an ICMP error about a VIP reply with no conn is dropped and creates nothing', () => {
    const s = sim(0);
    const r = run(s, fragNeeded(80).build());
    assert.deepEqual([r.tx.length, r.drops], [0, ['icmp_no_conn']]);
    assert.equal(s.director.conns.count, 0);
  });

  it('1, NAT: a conn client:40000 → VIP:80 → RS1:8080 is scheduled and the error reaches RS1 translated', () => {
    const s = sim(1);
    const r = run(s, fragNeeded(80).build());
    assert.deepEqual(r.drops, []);
    const want = toRs(RS1_MAC)
      .ipv4({ src: ROUTER, dst: RS1, ttl: 63 })
      .icmp({
        type: 3,
        code: 4,
        mtu: 1400,
        embed: pkt().ipv4({ src: RS1, dst: CLIENT }).tcp({ sport: 8080, dport: 40000, flags: 'A' }),
      })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
    assert.equal(s.director.conns.count, 1);
    // The scheduled conn then carries the client's next segment to the same real server.
    const seg = fromClient()
      .ipv4({ src: CLIENT, dst: VIP })
      .tcp({ sport: 40000, dport: 80, flags: 'A' })
      .build();
    const r2 = run(s, seg);
    assert.equal(flowOf(r2.tx[0]!).dst4 >>> 0, 0xc000020a);
    // The in counters saw the ICMP packet (ip_vs_in_stats()) and the segment.
    assert.equal(s.director.stats.inpkts, 2);
  });

  it('1, DR: the error is forwarded unchanged to the scheduled real server', () => {
    const s = sim(1);
    const f = fragNeeded(81).build();
    const r = run(s, f);
    assert.deepEqual(r.drops, []);
    assert.equal(r.tx.length, 1);
    assert.equal(hex(r.tx[0]!.subarray(0, 6)), RS1_MAC.replaceAll(':', ''));
    const o = flowOf(r.tx[0]!);
    assert.deepEqual([o.dst4 >>> 0, o.icmpType, o.icmpCode], [0xc0000264, 3, 4]);
  });

  it('1: no service for the quoted port, or a service without real servers, still drops (no ICMP answer to ICMP)', () => {
    const s = sim(1);
    for (const vport of [9999, 86]) {
      const r = run(s, fragNeeded(vport).build());
      assert.deepEqual([r.tx.length, r.drops], [0, ['icmp_no_conn']]);
    }
    assert.equal(s.director.conns.count, 0);
  });

  it('1, UDP one-packet service: the error is forwarded and the conn is gone after it', () => {
    const s = lab({
      rules: `-A -u ${VIP}:53 -s rr -o\n-a -u ${VIP}:53 -r ${RS1}:5353 -m -w 1\n`,
    });
    s.director.setSysctl('schedule_icmp', 1);
    const r = run(s, fragNeeded(53, 'udp').build());
    assert.equal(r.tx.length, 1);
    assert.equal(flowOf(r.tx[0]!).dst4 >>> 0, 0xc000020a);
    // The next call into the director frees it (ip_vs_conn_put() of a ONE_PACKET conn).
    s.director.conns.expire(1_000_001);
    run(s, fragNeeded(9999).build());
    assert.equal(s.director.conns.count, 0);
  });

  it('IPv6: 0 drops, 1 schedules and forwards the packet-too-big to the NAT real server', () => {
    const quoted = pkt().ipv6({ src: VIP6, dst: CLIENT6 }).tcp({ sport: 80, dport: 40000, flags: 'A' });
    const err = () =>
      fromGw6()
        .ipv6({ src: '2001:db8:99::1', dst: VIP6 })
        .icmpv6({ type: 2, code: 0, mtu: 1400, embed: quoted })
        .build();
    const off = lab6();
    assert.deepEqual(run(off, err()).drops, ['icmp_no_conn']);
    const on = lab6();
    on.director.setSysctl('schedule_icmp', 1);
    const r = run(on, err());
    assert.deepEqual(r.drops, []);
    assert.equal(r.tx.length, 1);
    assert.equal(on.director.conns.count, 1);
    const o = flowOf(r.tx[0]!);
    assert.equal(Buffer.from(o.dst6).toString('hex'), '20010db8000100000000000000000010');
  });
});
