import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv4, parseIPv6 } from '../../src/core/addr.js';
import { LOCAL, LocalAddrs } from '../../src/engine/local-addrs.js';
import { pkt } from '../helpers/packet-builder.js';
import { svcConfig, tcpKey } from '../proxy/helpers.js';
import { CLIENT, DIR_MAC, GW, GW_MAC, lab, RS1, RS1_MAC, RULES, run, VIP } from './lab.js';
import { GW6, lab6, VIP6 } from './lab6.js';

// A second VIP with a DR service: the VRRP instance's address; VIP stays a plain (non-VRRP) one.
const VVIP = '192.0.2.101';
const RULES_VRRP = `${RULES}
-A -t ${VVIP}:81 -s rr
-a -t ${VVIP}:81 -r ${RS1}:81 -g -w 1
`;

const u32 = (s: string): number => (parseIPv4(s) as number) >>> 0;
const a6 = (s: string) => parseIPv6(s) as Uint8Array;
const mac = (s: string) => Uint8Array.from(s.split(':').map((h) => Number.parseInt(h, 16)));

const arpReq = (target: string) =>
  pkt()
    .eth({ src: GW_MAC, dst: 'ff:ff:ff:ff:ff:ff' })
    .arp({ senderMac: GW_MAC, senderIp: GW, targetIp: target })
    .build();

const syn = (dst: string, sport: number) =>
  pkt()
    .eth({ src: GW_MAC, dst: DIR_MAC })
    .ipv4({ src: CLIENT, dst })
    .tcp({ sport, dport: 81, flags: 'S', seq: 1000 })
    .build();

const ns = (target: string) =>
  pkt()
    .eth({ src: GW_MAC, dst: '33:33:ff:00:01:00' })
    .ipv6({ src: GW6, dst: 'ff02::1:ff00:100', hopLimit: 255 })
    .icmpv6({ type: 135 })
    .payload(Buffer.concat([Buffer.from(a6(target)), Buffer.from([1, 1]), Buffer.from(mac(GW_MAC))]))
    .build();

describe('VRRP ownership in the packet engine (only the MASTER answers and forwards)', () => {
  it('answers ARP for a VRRP VIP only while it is not withheld, and toggles back and forth', () => {
    const sim = lab({ rules: RULES_VRRP });
    const e = sim.engine;
    for (let round = 0; round < 2; round++) {
      assert.equal(run(sim, arpReq(VVIP)).tx.length, 1, `MASTER answers (round ${round})`);
      e.withhold([u32(VVIP)], []);
      const r = run(sim, arpReq(VVIP));
      assert.deepEqual(r.tx, [], `BACKUP is silent (round ${round})`);
      assert.deepEqual(r.drops, ['arp_ignored']);
      e.withhold([], []);
    }
  });

  it("answers ARP for a VRRP address no service uses (a NAT pair's inside gateway) only while it is claimed as MASTER", () => {
    const sim = lab({ rules: RULES_VRRP });
    const e = sim.engine;
    // Not the lab gateway's own 192.0.2.254: a request from the address it asks for is a martian.
    const GW2 = '192.0.2.253';
    const before = run(sim, arpReq(GW2));
    assert.deepEqual([before.tx, before.drops], [[], ['arp_ignored']], 'not ours before VRRP claims it');
    e.own([u32(GW2)], []);
    const r = run(sim, arpReq(GW2));
    assert.equal(r.tx.length, 1);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: GW_MAC })
      .arp({ op: 'reply', senderMac: DIR_MAC, senderIp: GW2, targetMac: GW_MAC, targetIp: GW })
      .build();
    assert.equal(Buffer.from(r.tx[0]!).toString('hex'), Buffer.from(want).toString('hex'));
    e.own([], []);
    assert.deepEqual(run(sim, arpReq(GW2)).drops, ['arp_ignored'], 'silent again once BACKUP');
  });

  it('forwards a SYN to a VRRP VIP only while MASTER, and again after taking over', () => {
    const sim = lab({ rules: RULES_VRRP });
    const e = sim.engine;
    const master = run(sim, syn(VVIP, 41000));
    assert.equal(master.tx.length, 1);
    assert.deepEqual([...master.tx[0]!.subarray(0, 6)], [...mac(RS1_MAC)], 'DR to the real server');
    e.withhold([u32(VVIP)], []);
    const backup = run(sim, syn(VVIP, 41001));
    assert.deepEqual(backup.tx, []);
    assert.deepEqual(backup.drops, ['not_ours']);
    // An established conn is not forwarded by a BACKUP either (the fast path is gated too).
    assert.deepEqual(run(sim, syn(VVIP, 41000)).tx, []);
    e.withhold([], []);
    assert.equal(run(sim, syn(VVIP, 41002)).tx.length, 1, 'forwarded again once MASTER');
  });

  it('leaves VIPs of no VRRP instance alone while another VIP is withheld', () => {
    const sim = lab({ rules: RULES_VRRP });
    sim.engine.withhold([u32(VVIP)], []);
    assert.equal(run(sim, arpReq(VIP)).tx.length, 1, 'ARP for the plain VIP');
    const r = run(sim, syn(VIP, 42000));
    assert.equal(r.tx.length, 1, 'DR forwarding for the plain VIP');
    assert.deepEqual(r.drops, []);
  });

  it('a withheld IPv6 VIP gets no neighbour advert until released', () => {
    const sim = lab6();
    assert.equal(run(sim, ns(VIP6)).tx.length, 1);
    sim.engine.withhold([], [a6(VIP6)]);
    const r = run(sim, ns(VIP6));
    assert.deepEqual(r.tx, []);
    sim.engine.withhold([], []);
    assert.equal(run(sim, ns(VIP6)).tx.length, 1);
  });

  it('survives a table change while withheld (the rebuild keeps the address held back)', () => {
    const sim = lab({ rules: RULES_VRRP });
    sim.engine.withhold([u32(VVIP)], []);
    sim.engine.director.table.addService(tcpKey(90, '192.0.2.102'), svcConfig('rr'));
    assert.equal(run(sim, arpReq('192.0.2.102')).tx.length, 1, 'the new VIP is answered');
    assert.deepEqual(run(sim, arpReq(VVIP)).tx, [], 'the VRRP VIP is still held back');
  });

  // A NAT pair's inside gateway: a second address of the VRRP instance, no service on it. The
  // director's kernel holds none of the pair's addresses, so the MASTER's engine answers for it.
  it('answers ARP and echo for an owned VRRP address that is no VIP (a NAT gateway), only while owned', () => {
    const sim = lab({ rules: RULES_VRRP });
    const e = sim.engine;
    const GWA = '192.0.2.253';
    const echo = pkt()
      .eth({ src: RS1_MAC, dst: DIR_MAC })
      .ipv4({ src: RS1, dst: GWA })
      .icmp({ type: 8, id: 7, seq: 1 })
      .build();
    assert.deepEqual(run(sim, arpReq(GWA)).tx, [], 'nobody answers before');
    e.own([u32(GWA)], []);
    const arp = run(sim, arpReq(GWA));
    assert.equal(arp.tx.length, 1, 'the MASTER answers ARP for it');
    assert.deepEqual([...arp.tx[0]!.subarray(22, 28)], [...mac(DIR_MAC)], 'with its own MAC');
    const pong = run(sim, echo);
    assert.equal(pong.tx.length, 1, 'and echo');
    assert.equal(pong.tx[0]![34], 0, 'an echo reply');
    const tcp = pkt()
      .eth({ src: GW_MAC, dst: DIR_MAC })
      .ipv4({ src: CLIENT, dst: GWA })
      .tcp({ sport: 43000, dport: 81, flags: 'S', seq: 1 })
      .build();
    assert.deepEqual(run(sim, tcp).drops, ['not_ours'], 'nothing is forwarded for it');
    e.own([], []);
    assert.deepEqual(run(sim, arpReq(GWA)).tx, [], 'silent again once released');
  });

  it('an owned VRRP VIP keeps exactly its VIP kind (the fast path tests kind === VIP); only other addresses are ADDR', () => {
    const sim = lab({ rules: RULES_VRRP });
    const l = new LocalAddrs();
    l.own([u32(VVIP), u32('192.0.2.253')], sim.engine.director.table);
    assert.equal(l.kind(u32(VVIP)), LOCAL.VIP);
    assert.equal(l.kind(u32('192.0.2.253')), LOCAL.ADDR);
    assert.equal(run(sim, syn(VVIP, 44000)).tx.length, 1, 'and the engine still forwards to it');
  });

  it('answers neighbour solicitations for an owned IPv6 VRRP address that is no VIP', () => {
    const sim = lab6();
    const GW6A = '2001:db8::fe';
    assert.deepEqual(run(sim, ns(GW6A)).tx, []);
    sim.engine.own([], [a6(GW6A)]);
    assert.equal(run(sim, ns(GW6A)).tx.length, 1);
    sim.engine.own([], []);
    assert.deepEqual(run(sim, ns(GW6A)).tx, []);
  });
});
