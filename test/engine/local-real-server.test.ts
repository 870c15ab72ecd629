/**
 * A real server at one of the director's own addresses (net/netfilter/ipvs/ip_vs_xmit.c:
 * __ip_vs_get_out_rt() finds a local route and ip_vs_nat_xmit(), ip_vs_dr_xmit() and
 * ip_vs_tunnel_xmit() end in ip_vs_send_or_cont() with `local` set): the packet goes to the
 * director's own stack (ACT.LOCAL) whatever the method: NAT after its destination rewrite, DR
 * and TUN unchanged (no TTL decrement, no encapsulation); NAT to 127.0.0.0/8 from the network is
 * refused as the kernel refuses it. The lab's director is 192.0.2.1 and holds 127.0.0.0/8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDestUnsupported } from '../../src/engine/support.js';
import { fromClient, fromRs, toClient } from '../forward/fixtures.js';
import { CLIENT, DIR_IP, hex, lab, RS1, RS1_MAC, run, VIP } from './lab.js';

const RULES = `
-A -t ${VIP}:80 -s rr
-a -t ${VIP}:80 -r ${RS1}:8080 -m -w 1
-a -t ${VIP}:80 -r ${DIR_IP}:8080 -m -w 1
-A -t ${VIP}:81 -s rr
-a -t ${VIP}:81 -r ${DIR_IP}:81 -g -w 1
-A -t ${VIP}:82 -s rr
-a -t ${VIP}:82 -r ${DIR_IP}:82 -i -w 1
-A -t ${VIP}:83 -s rr
-a -t ${VIP}:83 -r 127.0.0.1:8083 -m -w 1
-A -t ${VIP}:85 -s rr
-a -t ${VIP}:85 -r ${DIR_IP}:8085 -b -w 1
-P -t ${VIP}:85 -z 192.0.2.200 -F eth0
`;

const seg = (sport: number, dport: number, flags: string, dst = VIP, ttl = 64) =>
  fromClient()
    .ipv4({ src: CLIENT, dst, ttl })
    .tcp({ sport, dport, flags, seq: 1 })
    .payload(flags === 'S' ? 0 : 5);

/** The frame as the loopback device carries it: all-zero MACs, then the IP packet. */
function onLo(ip: Buffer): string {
  return `000000000000000000000000${hex(ip.subarray(12))}`;
}

describe('local real servers on the packet plane', () => {
  // Two SYNs under rr: one goes to each real server (which one first is rr's order).
  function spread() {
    const s = lab({ rules: RULES });
    const r = [run(s, seg(40000, 80, 'S').build()), run(s, seg(40001, 80, 'S').build())];
    const localPort = r[0]!.local.length === 1 ? 40000 : 40001;
    return { s, r, localPort };
  }

  it('NAT: requests spread over a remote and a local real server; the local one is rewritten and handed to the host, TTL kept', () => {
    const { s, r, localPort } = spread();
    assert.deepEqual(
      r.map((x) => [x.drops, x.tx.length + x.local.length]),
      [
        [[], 1],
        [[], 1],
      ],
    );
    const local = r[localPort - 40000]!;
    const remote = r[40001 - localPort]!;
    assert.deepEqual([local.tx.length, remote.local.length], [0, 0]);
    // Destination port mapped as for any NAT real server; no TTL decrement for a local route.
    const wantNat = Buffer.from(
      fromClient()
        .ipv4({ src: CLIENT, dst: DIR_IP, ttl: 64 })
        .tcp({ sport: localPort, dport: 8080, flags: 'S', seq: 1 })
        .build(),
    );
    assert.deepEqual(local.local.map(hex), [onLo(wantNat)]);
    // The next segment of the same conn follows it (the transmit cache never takes a local dest).
    const c = run(s, seg(localPort, 80, 'A').build());
    assert.deepEqual([c.local.length, c.tx.length], [1, 0]);
    const svc = s.director.table.list().find((x) => x.port === 80)!;
    assert.deepEqual(svc.dests.map((d) => [d.addr, d.stats.conns]).sort(), [
      [DIR_IP, 1],
      [RS1, 1],
    ]);
    assert.equal(s.engine.counters().localFrames, 2);
  });

  it('NAT: a local service reply brought to the engine is translated back to VIP:vport like any NAT reply', () => {
    const { s, localPort } = spread();
    // The host's own reply, source the director's address and the real server port.
    const reply = fromRs(RS1_MAC)
      .ipv4({ src: DIR_IP, dst: CLIENT })
      .tcp({ sport: 8080, dport: localPort, flags: 'SA', seq: 9 })
      .build();
    const r = run(s, reply);
    assert.deepEqual(r.drops, []);
    const want = toClient()
      .ipv4({ src: VIP, dst: CLIENT, ttl: 63 })
      .tcp({ sport: 80, dport: localPort, flags: 'SA', seq: 9 })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('DR and TUN: the packet goes to the host unchanged (no TTL decrement, no encapsulation)', () => {
    const s = lab({ rules: RULES });
    for (const port of [81, 82]) {
      const f = seg(40000, port, 'S').build();
      const r = run(s, f);
      assert.deepEqual([r.drops, r.tx.length], [[], 0], `port ${port}`);
      assert.deepEqual(r.local.map(hex), [onLo(Buffer.from(f))], `port ${port}`);
    }
  });

  it('NAT to a loopback real server from the network is dropped, as ip_vs_nat_xmit() stops it', () => {
    const s = lab({ rules: RULES });
    const r = run(s, seg(40000, 83, 'S').build());
    assert.deepEqual(r.drops, ['loopback_dnat']);
    assert.deepEqual([r.tx.length, r.local.length], [0, 0]);
  });

  it('FULLNAT to a local real server is refused as unsupported (its replies would go to a LIP only lvsd holds)', () => {
    const s = lab({ rules: RULES });
    const r = run(s, seg(40000, 85, 'S').build());
    assert.deepEqual(r.drops, ['unsupported']);
    assert.equal(r.local.length, 0);
  });

  it('a real server that is not local still goes on the wire (the local route is host-only)', () => {
    const s = lab({ rules: `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 192.0.2.2:8080 -m -w 1\n` });
    const r = run(s, seg(40000, 80, 'S').build());
    assert.equal(r.local.length, 0);
    // 192.0.2.2 has no neighbour entry: queued behind an ARP request, which is what goes out.
    assert.equal(r.tx.length, 1);
  });

  it('the status view says what of a local real server the engine serves, method by method', () => {
    const s = lab({ rules: RULES });
    const why = (port: number, addr: string) => {
      const d = s.director.table
        .list()
        .find((x) => x.port === port)!
        .dests.find((x) => x.addr === addr)!;
      return localDestUnsupported(d, alone);
    };
    let alone = true;
    assert.equal(why(81, DIR_IP), undefined);
    assert.equal(why(82, DIR_IP), undefined);
    assert.match(why(80, DIR_IP) ?? '', /replies are not translated yet/);
    assert.match(why(83, '127.0.0.1') ?? '', /loopback/);
    assert.match(why(85, DIR_IP) ?? '', /FULLNAT/);
    alone = false;
    assert.match(why(81, DIR_IP) ?? '', /--ingress-bypass/);
    assert.match(why(82, DIR_IP) ?? '', /--ingress-bypass/);
  });
});
