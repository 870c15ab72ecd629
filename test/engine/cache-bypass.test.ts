/**
 * cache_bypass on the packet plane (net/netfilter/ipvs/ip_vs_core.c ip_vs_leave(),
 * ip_vs_xmit.c ip_vs_bypass_xmit()): a first packet of a fwmark service without a usable real
 * server, to a destination that is not one of the director's addresses (a transparent cache's
 * origin server named by a mark rule), is forwarded to that destination when the sysctl is 1,
 * through a bypass conn the flow's next packets follow; with 0, or for an address service, or for
 * a destination the director holds, it gets ICMP port unreachable as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMarkArgs } from '../../src/config/marks/mark-rules.js';
import { MarkTable } from '../../src/engine/mark-table.js';
import { createSimulation, SIM_IFINDEX } from '../../src/tools/simulate.js';
import { flowOf, fromClient, toClient } from '../forward/fixtures.js';
import { CLIENT, DIR_IP, DIR_MAC, GW, GW_MAC, hex, lab, RS1, run, VIP } from './lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, toGw6 } from './lab6.js';

// 203.0.113.50 is an origin server beyond the gateway; mark 1 sends its port 80 to a cache
// service (fwmark 1) whose only cache, RS1, has weight 0 (no usable real server).
const ORIGIN = '203.0.113.50';
const RULES = `
-A -f 1 -s rr
-a -f 1 -r ${RS1} -g -w 0
-A -f 2 -s rr -o
-A -t ${VIP}:86 -s rr
`;

function sim(v: number) {
  const s = lab({ rules: RULES });
  const p = parseMarkArgs([
    `tcp dst ${ORIGIN} dport 80 mark 1`,
    `tcp dst ${VIP} dport 87 mark 1`,
    `udp dst ${ORIGIN} dport 53 mark 2`,
  ]);
  assert.deepEqual(p.findings, []);
  s.engine.setMarks(new MarkTable(p.rules, (n) => (n === 'eth0' ? SIM_IFINDEX : undefined)));
  s.director.setSysctl('cache_bypass', v);
  return s;
}

const seg = (dst: string, dport: number, flags: string) =>
  fromClient()
    .ipv4({ src: CLIENT, dst })
    .tcp({ sport: 40000, dport, flags, seq: 1 })
    .payload(flags === 'S' ? 0 : 5);

describe('cache_bypass', () => {
  it('0 (default): the SYN gets ICMP port unreachable, nothing goes to the origin', () => {
    const r = run(sim(0), seg(ORIGIN, 80, 'S').build());
    assert.deepEqual(r.drops, ['no_dest']);
    const f = flowOf(r.tx[0]!);
    assert.deepEqual([f.icmpType, f.icmpCode], [3, 3]);
  });

  it('1: the SYN goes on unchanged (TTL - 1) to the origin through the gateway, and so does the next segment', () => {
    const s = sim(1);
    for (const flags of ['S', 'A']) {
      const r = run(s, seg(ORIGIN, 80, flags).build());
      assert.deepEqual(r.drops, []);
      const want = toClient()
        .ipv4({ src: CLIENT, dst: ORIGIN, ttl: 63 })
        .tcp({ sport: 40000, dport: 80, flags, seq: 1 })
        .payload(flags === 'S' ? 0 : 5)
        .build();
      assert.deepEqual(r.tx.map(hex), [hex(want)]);
    }
    // One bypass conn: no real server, counted on nothing.
    assert.equal(s.director.conns.count, 1);
    const svc = s.director.table.list().find((x) => x.fwmark === 1)!;
    assert.equal(svc.stats.conns, 0);
  });

  it('1: a one-packet UDP fwmark service bypasses each datagram and keeps no conn', () => {
    const s = sim(1);
    const d = fromClient()
      .ipv4({ src: CLIENT, dst: ORIGIN })
      .udp({ sport: 5000, dport: 53 })
      .payload('q')
      .build();
    const r = run(s, d);
    assert.equal(r.tx.length, 1);
    assert.equal(flowOf(r.tx[0]!).dst4 >>> 0, 0xcb007132);
    assert.equal(s.director.conns.count, 0);
  });

  it('1: not for an address service, nor for a destination the director holds (a VIP of an address service)', () => {
    const s = sim(1);
    for (const f of [seg(VIP, 86, 'S').build(), seg(VIP, 87, 'S').build()]) {
      const r = run(s, f);
      assert.deepEqual(r.drops, ['no_dest']);
      assert.equal(flowOf(r.tx[0]!).icmpType, 3);
    }
    assert.equal(s.director.conns.count, 0);
  });

  it('IPv6: 0 answers ICMPv6 port unreachable, 1 forwards the SYN to the origin through the IPv6 gateway', () => {
    const ORIGIN6 = '2001:db8:99::50';
    const mk = (v: number) => {
      const s6 = createSimulation({
        rules: '-A -f 3 -6 -s rr\n',
        directorMac: DIR_MAC,
        directorIp: `${DIR_IP}/24`,
        gateway: GW,
        directorIp6: `${DIR6}/64`,
        gateway6: GW6,
        neighbours: `${GW6} ${GW_MAC}\n`,
        now: 1_000_000,
      });
      const p = parseMarkArgs([`tcp dst ${ORIGIN6} dport 80 mark 3`]);
      s6.engine.setMarks(new MarkTable(p.rules, () => undefined));
      s6.director.setSysctl('cache_bypass', v);
      return s6;
    };
    const syn6 = () =>
      fromGw6()
        .ipv6({ src: CLIENT6, dst: ORIGIN6 })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
        .build();
    const r0 = run(mk(0), syn6());
    assert.deepEqual(r0.drops, ['no_dest']);
    assert.equal(flowOf(r0.tx[0]!).icmpType, 1);
    const on = mk(1);
    const r1 = run(on, syn6());
    assert.deepEqual(r1.drops, []);
    const want = toGw6()
      .ipv6({ src: CLIENT6, dst: ORIGIN6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
      .build();
    assert.deepEqual(r1.tx.map(hex), [hex(want)]);
    assert.equal(on.director.conns.count, 1);
  });
});
