import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_F } from '../../src/engine/engine.js';
import { UNRES_QLEN } from '../../src/engine/neighbours.js';
import { IPPROTO, verifyIPv4Checksum, verifyL4Checksum } from '../../src/packet/checksum.js';
import { SIM_IFINDEX } from '../../src/tools/simulate.js';
import { flowOf, fromClient, fromRs, toClient, toRs } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import {
  CLIENT,
  collect,
  DIR_IP,
  DIR_MAC,
  GW,
  GW_MAC,
  hex,
  LIP,
  lab,
  RS1,
  RS1_MAC,
  run,
  VIP,
} from './lab.js';

const arpReq = (target: string, sender = CLIENT, mac = GW_MAC) =>
  pkt()
    .eth({ src: mac, dst: 'ff:ff:ff:ff:ff:ff' })
    .arp({ senderMac: mac, senderIp: sender, targetIp: target })
    .build();

const natSyn = (sport = 40000, extra: object = {}) =>
  fromClient()
    .ipv4({ src: CLIENT, dst: VIP, ...extra })
    .tcp({ sport, dport: 80, flags: 'S', seq: 1000 })
    .build();

describe('ARP', () => {
  for (const [what, addr] of [
    ['a VIP', VIP],
    ['a LIP', LIP],
  ] as const) {
    it(`answers a request for ${what} with the interface MAC`, () => {
      const r = run(lab(), arpReq(addr, GW));
      assert.deepEqual(r.drops, []);
      const want = pkt()
        .eth({ src: DIR_MAC, dst: GW_MAC })
        .arp({ op: 'reply', senderMac: DIR_MAC, senderIp: addr, targetMac: GW_MAC, targetIp: GW })
        .build();
      assert.deepEqual(r.tx.map(hex), [hex(want)]);
    });
  }

  it("ignores requests for addresses that are not VIPs or LIPs (the director's own IP is the kernel's)", () => {
    const sim = lab();
    assert.deepEqual(run(sim, arpReq(DIR_IP)).drops, ['arp_ignored']);
    assert.deepEqual(run(sim, arpReq('192.0.2.99')).drops, ['arp_ignored']);
    assert.equal(sim.engine.arpReplies, 0);
  });

  it('announce emits a broadcast gratuitous ARP for the address as a tx action, padded to 60 bytes', () => {
    const sim = lab();
    const vip = VIP.split('.').reduce((a, x) => a * 256 + Number(x), 0);
    assert.equal(sim.engine.announce(SIM_IFINDEX, vip), true);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({
        op: 'request',
        senderMac: DIR_MAC,
        senderIp: VIP,
        targetMac: '00:00:00:00:00:00',
        targetIp: VIP,
      })
      .build();
    const r = collect(sim);
    assert.deepEqual(r.drops, []);
    assert.deepEqual(r.tx.map(hex), [hex(Buffer.concat([want, Buffer.alloc(60 - want.length)]))]);
    assert.equal(sim.engine.announce(SIM_IFINDEX + 1, vip), false, 'not an engine interface');
    assert.deepEqual(collect(sim).tx, []);
  });
});

describe('ICMP echo', () => {
  it('answers an echo request to a VIP from the VIP, payload echoed, TTL 64', () => {
    const r = run(
      lab(),
      fromClient()
        .ipv4({ src: CLIENT, dst: VIP, ttl: 50 })
        .icmp({ type: 8, id: 7, seq: 3 })
        .payload('ping!')
        .build(),
    );
    const want = toClient()
      .ipv4({ src: VIP, dst: CLIENT, ttl: 64 })
      .icmp({ type: 0, id: 7, seq: 3 })
      .payload('ping!')
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('does not answer echo requests for other addresses', () => {
    const r = run(
      lab(),
      fromClient().ipv4({ src: CLIENT, dst: '192.0.2.77' }).icmp({ type: 8, id: 1, seq: 1 }).build(),
    );
    assert.deepEqual([r.tx.length, r.drops], [0, ['not_ours']]);
  });
});

describe('verdicts of the director core', () => {
  it('counts a packet to a VIP port without a service as no_service, sending nothing', () => {
    const r = run(
      lab(),
      fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 1, dport: 9999, flags: 'S' }).build(),
    );
    assert.deepEqual([r.tx.length, r.drops], [0, ['no_service']]);
  });

  it('answers a SYN to a service without real servers with ICMP port unreachable from the VIP (ip_vs_leave)', () => {
    const syn = fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 40000, dport: 86, flags: 'S' });
    const r = run(lab(), syn.build());
    assert.deepEqual(r.drops, ['no_dest']);
    assert.equal(r.tx.length, 1);
    const f = flowOf(r.tx[0]!);
    assert.deepEqual([f.src4, f.dst4, f.icmpType, f.icmpCode, f.ttl], [0xc0000264, 0xcb007107, 3, 3, 64]);
    assert.equal(hex(r.tx[0]!.subarray(0, 6)), '0200000000fe');
    // The quote is the client's packet as sent.
    assert.equal(hex(r.tx[0]!.subarray(f.innerL3Off, f.ipEnd)), hex(syn.build().subarray(14)));
  });

  it('sends time exceeded instead of forwarding a TTL-1 packet', () => {
    const r = run(lab(), natSyn(40000, { ttl: 1 }));
    assert.deepEqual(r.drops, ['ttl_exceeded']);
    const f = flowOf(r.tx[0]!);
    assert.deepEqual([f.icmpType, f.icmpCode, f.dst4], [11, 0, 0xcb007107]);
  });

  it('counts unplaceable fragments and non-IP frames as drops', () => {
    const sim = lab();
    // A later fragment (offset 8, no L4 header) of a datagram whose first fragment never came.
    const frag = fromClient().ipv4({ src: CLIENT, dst: VIP, fragOffset: 8, proto: 17 }).payload(16).build();
    assert.deepEqual(run(sim, frag).drops, ['fragment']);
    // ICMP fragments are not forwarded.
    const icmpFrag = fromClient()
      .ipv4({ src: CLIENT, dst: VIP, mf: true })
      .icmp({ type: 8, id: 1, seq: 1 })
      .payload(16)
      .build();
    assert.deepEqual(run(sim, icmpFrag).drops, ['fragment']);
    assert.deepEqual(run(sim, pkt().eth({ type: 0x88b5 }).payload('x').build()).drops, [
      'unsupported_ethertype',
    ]);
    assert.deepEqual(run(sim, new Uint8Array(10)).drops, ['malformed_truncated_l2']);
  });
});

describe('neighbour resolution', () => {
  it('queues a frame for an unresolved real server, sends ARP once, then releases it on the reply', () => {
    const sim = lab({ neighbours: false });
    const r1 = run(sim, natSyn(40000));
    assert.equal(r1.tx.length, 1, 'only the ARP request');
    const want = pkt()
      .eth({ src: DIR_MAC, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ senderMac: DIR_MAC, senderIp: DIR_IP, targetIp: RS1 })
      .build();
    assert.equal(hex(r1.tx[0]!), hex(want));
    const r2 = run(sim, natSyn(40001));
    assert.deepEqual([r2.tx.length, r2.drops], [0, []], 'second frame waits without a second probe');
    const reply = pkt()
      .eth({ src: RS1_MAC, dst: DIR_MAC })
      .arp({ op: 'reply', senderMac: RS1_MAC, senderIp: RS1, targetMac: DIR_MAC, targetIp: DIR_IP })
      .build();
    const r3 = run(sim, reply);
    assert.deepEqual(r3.drops, ['arp_ignored']);
    assert.deepEqual(
      r3.tx.map(hex),
      [40000, 40001].map((p) =>
        hex(
          toRs(RS1_MAC)
            .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
            .tcp({ sport: p, dport: 8080, flags: 'S', seq: 1000 })
            .build(),
        ),
      ),
    );
    // Resolved: the next frame goes straight out.
    assert.equal(run(sim, natSyn(40002)).tx.length, 1);
  });

  it("drops frames beyond the per-neighbour queue (the kernel's unres_qlen, 101) as neigh_queue_full", () => {
    const sim = lab({ neighbours: false });
    const drops: string[] = [];
    for (let i = 0; i < UNRES_QLEN + 4; i++) drops.push(...run(sim, natSyn(41000 + i)).drops);
    assert.equal(UNRES_QLEN, 101);
    assert.deepEqual(drops, ['neigh_queue_full', 'neigh_queue_full', 'neigh_queue_full', 'neigh_queue_full']);
  });

  it('re-probes every second and drops the queue as neigh_failed after three unanswered probes', () => {
    const sim = lab({ neighbours: false });
    const t0 = 1_000_000;
    run(sim, natSyn(40000), 0, t0);
    run(sim, natSyn(40001), 0, t0);
    const probes: number[] = [];
    const drops: string[] = [];
    for (const dt of [500, 1000, 2000, 3000]) {
      sim.engine.tick(t0 + dt);
      const r = collect(sim);
      probes.push(r.tx.length);
      drops.push(...r.drops);
    }
    assert.deepEqual(probes, [0, 1, 1, 0]);
    assert.deepEqual(drops, ['neigh_failed', 'neigh_failed']);
    assert.equal(sim.engine.out.neigh.size, 0);
  });
});

describe('frames from the driver', () => {
  it('completes a partial checksum before rewriting', () => {
    const sim = lab();
    run(sim, natSyn(40000));
    const r = run(
      sim,
      fromClient()
        .ipv4({ src: CLIENT, dst: VIP })
        .tcp({ sport: 40000, dport: 80, flags: 'PA', csum: 'partial' })
        .payload('abc')
        .build(),
      FRAME_F.PARTIAL_CSUM,
    );
    const want = toRs(RS1_MAC)
      .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
      .tcp({ sport: 40000, dport: 8080, flags: 'PA' })
      .payload('abc')
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('sends a VLAN-tagged request untagged', () => {
    const r = run(
      lab(),
      pkt()
        .eth({ src: GW_MAC, dst: DIR_MAC, vlan: 7 })
        .ipv4({ src: CLIENT, dst: VIP })
        .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 })
        .build(),
    );
    const want = toRs(RS1_MAC)
      .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
      .tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  for (const [method, port] of [
    ['NAT', 80],
    ['DR', 81],
    ['IPIP', 82],
    ['FULLNAT', 85],
  ] as const) {
    it(`cuts a ${method} GSO super-frame into MTU-sized segments with advancing sequence numbers`, () => {
      const sim = lab();
      run(
        sim,
        fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 40000, dport: port, flags: 'S' }).build(),
      );
      const payload = Buffer.alloc(4000, 0x61);
      for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
      const big = fromClient()
        .ipv4({ src: CLIENT, dst: VIP, df: true, id: 100 })
        .tcp({ sport: 40000, dport: port, flags: 'PA', seq: 7000, ack: 1, csum: 'partial' })
        .payload(payload)
        .build();
      const r = run(sim, big, FRAME_F.GSO | FRAME_F.PARTIAL_CSUM);
      assert.deepEqual(r.drops, []);
      assert.equal(r.tx.length, 3);
      let seq = 7000;
      let got = Buffer.alloc(0);
      r.tx.forEach((b, k) => {
        assert.ok(b.length <= 1514, `segment ${k} fits the MTU (${b.length})`);
        if (b[14 + 9] === IPPROTO.IPIP) {
          assert.ok(verifyIPv4Checksum(b, 14), 'outer header checksum');
          b = Buffer.concat([b.subarray(0, 14), b.subarray(34)]);
        }
        const f = flowOf(b);
        assert.ok(verifyIPv4Checksum(b, f.l3Off));
        assert.ok(verifyL4Checksum(b, f.l3Off, f.l4Off, f.ipEnd, IPPROTO.TCP), `segment ${k} TCP checksum`);
        assert.equal(b.readUInt32BE(f.l4Off + 4), seq);
        assert.equal(f.tcpFlags & 0x08, k === 2 ? 0x08 : 0, 'PSH only on the last segment');
        const data = b.subarray(f.payloadOff, f.ipEnd);
        seq += data.length;
        got = Buffer.concat([got, data]);
      });
      assert.ok(got.equals(payload), 'segments carry the payload in order');
    });
  }

  it('answers an oversized DF packet without the GSO flag with frag-needed', () => {
    const big = fromClient()
      .ipv4({ src: CLIENT, dst: VIP, df: true })
      .tcp({ sport: 40000, dport: 80, flags: 'A' })
      .payload(1600)
      .build();
    const sim = lab();
    run(sim, natSyn(40000));
    const r = run(sim, big);
    assert.deepEqual(r.drops, ['too_big']);
    const f = flowOf(r.tx[0]!);
    assert.deepEqual([f.icmpType, f.icmpCode, r.tx[0]!.readUInt16BE(f.l4Off + 6)], [3, 4, 1500]);
  });

  it('replies of an unknown conn to the client are not ours', () => {
    const r = run(
      lab(),
      fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).tcp({ sport: 8080, dport: 1, flags: 'SA' }).build(),
    );
    assert.deepEqual(r.drops, ['not_ours']);
  });
});
