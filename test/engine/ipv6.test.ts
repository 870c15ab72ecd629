import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIPv6 } from '../../src/core/addr.js';
import { Addr6Keys } from '../../src/engine/addr6-keys.js';
import { FRAME_F } from '../../src/engine/engine.js';
import { findLla } from '../../src/engine/ndp.js';
import { RouteResult6, StaticRoutes6 } from '../../src/engine/routes6.js';
import { IPPROTO, verifyL4Checksum } from '../../src/packet/checksum.js';
import { toaOption } from '../../src/packet/tcp-options.js';
import { SIM_IFINDEX } from '../../src/tools/simulate.js';
import { flowOf } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { collect, DIR_MAC, GW_MAC, hex, RS1_MAC, RS2_MAC, run } from './lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, LIP6, lab6, RS6, RS6B, toGw6, VIP6 } from './lab6.js';
import { dissect, hasTshark } from './tshark-dissect.js';

const a6 = (s: string) => parseIPv6(s) as Uint8Array;
const mac = (s: string) => Uint8Array.from(s.split(':').map((h) => Number.parseInt(h, 16)));
const cat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

const syn = (dport: number, o: { sport?: number; hopLimit?: number } = {}) =>
  fromGw6()
    .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: o.hopLimit ?? 64 })
    .tcp({ sport: o.sport ?? 40000, dport, flags: 'S', seq: 1000 })
    .build();

/** A neighbour solicitation for `target` from `src` (SLLA = `srcMac`). */
function ns(target: string, o: { src?: string; srcMac?: string; hopLimit?: number; dst?: string } = {}) {
  const srcMac = o.srcMac ?? GW_MAC;
  const unspecified = o.src === '::';
  return pkt()
    .eth({ src: srcMac, dst: '33:33:ff:00:01:00' })
    .ipv6({ src: o.src ?? GW6, dst: o.dst ?? 'ff02::1:ff00:100', hopLimit: o.hopLimit ?? 255 })
    .icmpv6({ type: 135 })
    .payload(unspecified ? a6(target) : cat(a6(target), [1, 1], mac(srcMac)))
    .build();
}

describe('IPv6 neighbour discovery', () => {
  it('announce6 emits an unsolicited override advert for the address to all nodes as a tx action', () => {
    const sim = lab6();
    assert.equal(sim.engine.announce6(SIM_IFINDEX, a6(VIP6)), true);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: '33:33:00:00:00:01' })
      .ipv6({ src: VIP6, dst: 'ff02::1', hopLimit: 255 })
      .icmpv6({ type: 136, rest: 0x20000000 })
      .payload(cat(a6(VIP6), [2, 1], mac(DIR_MAC)))
      .build();
    assert.deepEqual(collect(sim).tx.map(hex), [hex(want)]);
    assert.equal(sim.engine.announce6(SIM_IFINDEX + 1, a6(VIP6)), false, 'not an engine interface');
  });

  it('answers a solicitation for a VIP with a solicited, override advert carrying the interface MAC', () => {
    const r = run(lab6(), ns(VIP6));
    assert.deepEqual(r.drops, []);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: GW_MAC })
      .ipv6({ src: VIP6, dst: GW6, hopLimit: 255 })
      .icmpv6({ type: 136, rest: 0x60000000 })
      .payload(cat(a6(VIP6), [2, 1], mac(DIR_MAC)))
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('answers a duplicate-address probe (unspecified source) to all nodes without the solicited flag', () => {
    const r = run(lab6(), ns(VIP6, { src: '::' }));
    const want = pkt()
      .eth({ src: DIR_MAC, dst: '33:33:00:00:00:01' })
      .ipv6({ src: VIP6, dst: 'ff02::1', hopLimit: 255 })
      .icmpv6({ type: 136, rest: 0x20000000 })
      .payload(cat(a6(VIP6), [2, 1], mac(DIR_MAC)))
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it("leaves the director's own address, other hosts and invalid solicitations to others (RFC 4861 §7.1.1)", () => {
    const sim = lab6();
    assert.deepEqual(run(sim, ns(DIR6)).drops, ['ndp_ignored']);
    assert.deepEqual(run(sim, ns('2001:db8:1::99')).drops, ['ndp_ignored']);
    assert.deepEqual(run(sim, ns(VIP6, { hopLimit: 64 })).drops, ['ndp_ignored'], 'hop limit must be 255');
    const bad = ns(VIP6);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff; // checksum no longer verifies
    assert.deepEqual(run(sim, bad).drops, ['ndp_ignored']);
    assert.equal(sim.engine.counters().ndpAdverts, 0);
  });

  it('resolves an unknown next hop by soliciting its solicited-node address, then sends the queued packet on the advert', () => {
    const sim = lab6({ neighbours: false });
    // The client's gateway must be known for nothing else to be solicited: only the real server is.
    sim.engine.addNeighbour6(a6(GW6), mac(GW_MAC), 1, 1_000_000);
    const r = run(sim, syn(81));
    assert.deepEqual(r.drops, []);
    const solicit = pkt()
      .eth({ src: DIR_MAC, dst: '33:33:ff:00:00:10' })
      .ipv6({ src: DIR6, dst: 'ff02::1:ff00:10', hopLimit: 255 })
      .icmpv6({ type: 135 })
      .payload(cat(a6(RS6), [1, 1], mac(DIR_MAC)))
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(solicit)]);
    const advert = pkt()
      .eth({ src: RS1_MAC, dst: DIR_MAC })
      .ipv6({ src: RS6, dst: DIR6, hopLimit: 255 })
      .icmpv6({ type: 136, rest: 0x60000000 })
      .payload(cat(a6(RS6), [2, 1], mac(RS1_MAC)))
      .build();
    const r2 = run(sim, advert);
    const fwd = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 81, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(r2.tx.map(hex), [hex(fwd)]);
    assert.deepEqual(r2.drops, ['ndp_ignored'], 'the advert itself goes no further');
  });

  it('gives up after three unanswered solicitations and drops the waiting packet', () => {
    const sim = lab6({ neighbours: false });
    sim.engine.addNeighbour6(a6(GW6), mac(GW_MAC), 1, 1_000_000);
    run(sim, syn(81));
    let solicits = 1;
    for (let t = 1; t <= 4; t++) {
      sim.engine.tick(1_000_000 + t * 1000);
      const r = collect(sim);
      solicits += r.tx.length;
      if (t === 3) assert.deepEqual(r.drops, ['neigh_failed']);
    }
    assert.equal(solicits, 3);
    assert.equal(sim.engine.out6.neigh.size, 1, 'only the static gateway is left');
  });
});

describe('IPv6 forwarding', () => {
  it('NAT: DNAT of a request to RIP:rport with the hop limit decremented', () => {
    const r = run(lab6(), syn(80));
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: CLIENT6, dst: RS6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('NAT: SNAT of the reply to VIP:vport, sent to the client through the gateway', () => {
    const sim = lab6();
    run(sim, syn(80));
    const reply = pkt()
      .eth({ src: RS1_MAC, dst: DIR_MAC })
      .ipv6({ src: RS6, dst: CLIENT6 })
      .tcp({ sport: 8080, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })
      .build();
    const want = toGw6()
      .ipv6({ src: VIP6, dst: CLIENT6, hopLimit: 63 })
      .tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })
      .build();
    assert.deepEqual(run(sim, reply).tx.map(hex), [hex(want)]);
  });

  it('NAT: UDP requests are translated with a valid checksum', () => {
    const r = run(
      lab6(),
      fromGw6().ipv6({ src: CLIENT6, dst: VIP6 }).udp({ sport: 5000, dport: 53 }).payload('q').build(),
    );
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: CLIENT6, dst: RS6, hopLimit: 63 })
      .udp({ sport: 5000, dport: 5353 })
      .payload('q')
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('DR: only the destination MAC and the hop limit change', () => {
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 81, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(run(lab6(), syn(81)).tx.map(hex), [hex(want)]);
  });

  it('TUN: IPv6-in-IPv6 from the director to the real server, inner packet as the client sent it', () => {
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: DIR6, dst: RS6, hopLimit: 63 })
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 82, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(run(lab6(), syn(82)).tx.map(hex), [hex(want)]);
  });

  it('TUN over GUE: outer IPv6 + UDP to the tunnel port with a valid checksum (mandatory over IPv6), GUE carrying IPv6', () => {
    const r = run(lab6(), syn(83));
    assert.equal(r.tx.length, 1);
    const f = r.tx[0]!;
    const sport = f.readUInt16BE(14 + 40);
    assert.ok(sport >= 32768 && sport < 61000, `source port ${sport} from the flow hash`);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: DIR6, dst: RS6, hopLimit: 63 })
      .udp({ sport, dport: 6080 })
      .gue()
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 83, flags: 'S', seq: 1000 })
      .build();
    assert.equal(hex(f), hex(want));
  });

  it('TUN over GRE with --tun-csum: outer IPv6, GRE with checksum and the IPv6 EtherType', () => {
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS1_MAC })
      .ipv6({ src: DIR6, dst: RS6, hopLimit: 63 })
      .gre({ csum: true })
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 63 })
      .tcp({ sport: 40000, dport: 84, flags: 'S', seq: 1000 })
      .build();
    assert.deepEqual(run(lab6(), syn(84)).tx.map(hex), [hex(want)]);
  });

  it('FULLNAT: the request leaves from LIP:lport to RIP:rport with the IPv6 TOA, the reply returns from VIP:vport to the client', () => {
    const sim = lab6();
    const r = run(sim, syn(85));
    assert.equal(r.tx.length, 1);
    const f = flowOf(r.tx[0]!);
    const lport = f.sport;
    assert.ok(lport >= 1024);
    const want = pkt()
      .eth({ src: DIR_MAC, dst: RS2_MAC })
      .ipv6({ src: LIP6, dst: RS6B, hopLimit: 63 })
      .tcp({ sport: lport, dport: 8085, flags: 'S', seq: 1000, options: [toaOption(40000, a6(CLIENT6))] })
      .build();
    assert.equal(hex(r.tx[0]!), hex(want));
    const reply = pkt()
      .eth({ src: RS2_MAC, dst: DIR_MAC })
      .ipv6({ src: RS6B, dst: LIP6 })
      .tcp({ sport: 8085, dport: lport, flags: 'SA', seq: 7000, ack: 1001 })
      .build();
    const back = toGw6()
      .ipv6({ src: VIP6, dst: CLIENT6, hopLimit: 63 })
      .tcp({ sport: 85, dport: 40000, flags: 'SA', seq: 7000, ack: 1001 })
      .build();
    assert.deepEqual(run(sim, reply).tx.map(hex), [hex(back)]);
  });

  it('FULLNAT: without TOA (simulate --no-toa, IpPathOptions.toa) the SYN leaves unchanged in length', () => {
    const sim = lab6({ toa: false });
    const r = run(sim, syn(85));
    assert.equal(r.tx.length, 1);
    assert.equal(r.tx[0]!.length, syn(85).length);
  });

  it('FULLNAT: no TOA when it would not fit the route MTU (the segment goes on without it)', () => {
    const sim = lab6({ mtu: 1500 });
    const big = fromGw6()
      .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 64 })
      .tcp({ sport: 40000, dport: 85, flags: 'S', seq: 1000 })
      .payload(1500 - 60)
      .build();
    const r = run(sim, big);
    assert.deepEqual([r.tx.length, r.tx[0]?.length], [1, big.length]);
  });

  it('FULLNAT: lvsd answers neighbour solicitations for the IPv6 LIP too', () => {
    const r = run(lab6(), ns(LIP6, { dst: 'ff02::1:ff00:200' }));
    assert.equal(r.tx.length, 1);
    assert.equal(r.tx[0]![54], 136);
  });

  it('a service without real servers answers ICMPv6 port unreachable from the VIP', () => {
    const orig = syn(86);
    const r = run(lab6(), orig);
    assert.deepEqual(r.drops, ['no_dest']);
    const want = toGw6()
      .ipv6({ src: VIP6, dst: CLIENT6 })
      .icmpv6({ type: 1, code: 4, embed: orig.subarray(14) })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('a hop limit of 1 gets ICMPv6 time exceeded instead of a forward', () => {
    const orig = syn(80, { hopLimit: 1 });
    const r = run(lab6(), orig);
    assert.deepEqual(r.drops, ['ttl_exceeded']);
    const want = toGw6()
      .ipv6({ src: VIP6, dst: CLIENT6 })
      .icmpv6({ type: 3, code: 0, embed: orig.subarray(14) })
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('a packet too big for the tunnel gets packet-too-big sized for the 40-byte outer header', () => {
    const sim = lab6({ mtu: 1500 });
    run(sim, syn(82));
    const big = fromGw6()
      .ipv6({ src: CLIENT6, dst: VIP6 })
      .tcp({ sport: 40000, dport: 82, flags: 'A', seq: 1001 })
      .payload(1500 - 60)
      .build();
    const r = run(sim, big);
    assert.deepEqual(r.drops, ['too_big']);
    assert.equal(r.tx.length, 1);
    const f = flowOf(r.tx[0]!);
    assert.equal(f.icmpType, 2);
    assert.equal(r.tx[0]!.readUInt32BE(f.l4Off + 4), 1460);
  });

  it('answers echo requests to a VIP', () => {
    const req = fromGw6()
      .ipv6({ src: CLIENT6, dst: VIP6 })
      .icmpv6({ type: 128, id: 7, seq: 1 })
      .payload(8)
      .build();
    const r = run(lab6(), req);
    const want = toGw6()
      .ipv6({ src: VIP6, dst: CLIENT6 })
      .icmpv6({ type: 129, id: 7, seq: 1 })
      .payload(8)
      .build();
    assert.deepEqual(r.tx.map(hex), [hex(want)]);
  });

  it('NAT: an ICMPv6 error about a reply reaches the real server with the quoted packet translated back', () => {
    const sim = lab6();
    run(sim, syn(80));
    const quoted = pkt()
      .ipv6({ src: VIP6, dst: CLIENT6 })
      .tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 });
    const err = fromGw6().ipv6({ src: GW6, dst: VIP6 }).icmpv6({ type: 1, code: 0, embed: quoted }).build();
    const r = run(sim, err);
    assert.equal(r.tx.length, 1);
    const out = r.tx[0]!;
    const f = flowOf(out);
    assert.deepEqual([...f.dst6], [...a6(RS6)]);
    assert.deepEqual([...f.innerSrc6], [...a6(RS6)]);
    assert.equal(f.innerSport, 8080);
    assert.ok(verifyL4Checksum(out, f.l3Off, f.l4Off, f.ipEnd, IPPROTO.ICMPV6));
  });

  it('completes partial checksums and cuts GSO super-frames into MTU-sized segments', () => {
    const sim = lab6();
    run(sim, syn(81));
    const big = fromGw6()
      .ipv6({ src: CLIENT6, dst: VIP6 })
      .tcp({ sport: 40000, dport: 81, flags: 'PA', seq: 1001, csum: 'partial' })
      .payload(4000)
      .build();
    const r = run(sim, big, FRAME_F.GSO | FRAME_F.PARTIAL_CSUM);
    assert.equal(r.tx.length, 3);
    for (const s of r.tx) {
      const f = flowOf(s);
      assert.ok(f.ipEnd - f.l3Off <= 1500);
      assert.ok(verifyL4Checksum(s, f.l3Off, f.l4Off, f.ipEnd, IPPROTO.TCP));
    }
  });
});

describe('IPv6 tables', () => {
  it('Addr6Keys gives every interned address one stable id until released (against a Map)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 })), { maxLength: 300 }),
        (ops) => {
          const keys = new Addr6Keys(8);
          const ref = new Map<number, number>();
          const addr = (k: number) => {
            const b = a6('2001:db8::');
            b[15] = k;
            b[7] = k * 7;
            return b;
          };
          for (const [add, k] of ops) {
            if (add) {
              const id = keys.intern(addr(k), 0);
              if (ref.has(k)) assert.equal(id, ref.get(k));
              else if (ref.size < 8) {
                assert.ok(id > 0);
                ref.set(k, id);
              } else assert.equal(id, 0);
            } else if (ref.has(k)) {
              keys.release(ref.get(k)!);
              ref.delete(k);
            }
            for (const [x, id] of ref) {
              assert.equal(keys.find(addr(x), 0), id);
              assert.deepEqual(
                [...keys.bytes.subarray(keys.offsetOf(id), keys.offsetOf(id) + 16)],
                [...addr(x)],
              );
            }
            assert.equal(keys.size, ref.size);
          }
        },
      ),
    );
  });

  it('StaticRoutes6 picks the longest matching prefix', () => {
    const rt = new StaticRoutes6([
      { prefix: new Uint8Array(16), len: 0, ifindex: 1, gateway: a6('2001:db8:1::fe') },
      { prefix: a6('2001:db8:1::'), len: 64, ifindex: 2 },
      { prefix: a6('2001:db8:1::80'), len: 121, ifindex: 3, mtu: 9000 },
    ]);
    const r = new RouteResult6();
    const cases: [string, number, boolean][] = [
      ['2001:db8:2::1', 1, true],
      ['2001:db8:1::5', 2, false],
      ['2001:db8:1::ff', 3, false],
    ];
    for (const [dst, ifindex, gw] of cases) {
      assert.ok(rt.lookup6(a6(dst), 0, r));
      assert.deepEqual([r.ifindex, r.hasGateway], [ifindex, gw], dst);
    }
    assert.equal(
      new StaticRoutes6([{ prefix: a6('2001:db8::'), len: 32, ifindex: 1 }]).lookup6(a6('2001:db9::'), 0, r),
      false,
    );
  });

  it('findLla never reads past the end and rejects zero-length or overrunning options', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 2 }), (bytes, type) => {
        const r = findLla(bytes, 0, bytes.length, type);
        assert.ok(r === -1 || r === -2 || (r >= 2 && r + 6 <= bytes.length));
      }),
    );
    assert.equal(findLla(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), 0, 8, 1), -2);
    assert.equal(findLla(Uint8Array.from([1, 2, 0, 0, 0, 0, 0, 0]), 0, 8, 1), -2);
    assert.equal(findLla(Uint8Array.from([1, 1, 1, 2, 3, 4, 5, 6]), 0, 8, 1), 2);
  });

  it('random and mutated IPv6 frames never throw; they are forwarded, answered or counted', () => {
    const sim = lab6();
    const seeds = [syn(80), syn(81), syn(82), ns(VIP6)];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (i, muts, cut) => {
          const f = Buffer.from(seeds[i]!);
          for (const [pos, v] of muts) f[14 + (pos % (f.length - 14))] = v;
          const frame = f.subarray(0, f.length - (cut % 20));
          sim.engine.handleFrame(frame, 0, frame.length, 1, 0, 1_000_000);
          assert.ok(sim.engine.actions.count >= 1);
          sim.engine.flush();
        },
      ),
    );
  });
});

describe('tshark cross-check of IPv6 output', { skip: hasTshark ? false : 'tshark is not installed' }, () => {
  it('every IPv6 frame the engine emits dissects cleanly with checksum checks on', () => {
    const sim = lab6();
    const frames: Buffer[] = [];
    frames.push(...run(sim, ns(VIP6)).tx);
    for (const port of [80, 81, 82, 83, 84, 85, 86]) frames.push(...run(sim, syn(port)).tx);
    frames.push(...run(sim, syn(80, { hopLimit: 1, sport: 2 })).tx);
    const s2 = lab6({ neighbours: false });
    frames.push(...run(s2, syn(81)).tx);
    assert.equal(frames.length, 10);
    const out = dissect(frames);
    assert.deepEqual(
      out.flatMap((d, i) => (d.problems.length ? [`#${i}: ${d.problems.join('; ')}`] : [])),
      [],
    );
    assert.match(out.map((d) => d.protocols).join('\n'), /ipv6:ipv6:tcp/);
    assert.match(out.map((d) => d.protocols).join('\n'), /ipv6:gre:ipv6:tcp/);
    assert.match(out.map((d) => d.protocols).join('\n'), /icmpv6/);
  });
});
