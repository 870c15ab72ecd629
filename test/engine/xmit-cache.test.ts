import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv4 } from '../../src/core/addr.js';
import { Engine } from '../../src/engine/engine.js';
import { RouteResult, type RouteTable, StaticRoutes } from '../../src/engine/routes.js';
import { parseMac } from '../../src/packet/ethernet.js';
import { SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { fromClient } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { CLIENT, collect, DIR_IP, DIR_MAC, GW, GW_MAC, lab, RS1, RS1_MAC, VIP } from './lab.js';

const ip = (s: string) => parseIPv4(s) as number;
const T0 = 1_000_000;

// A DR request of one client conn (service 81 forwards to RS1 by MAC only).
const dr = (flags: string) =>
  fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 40000, dport: 81, flags, seq: 1000 }).build();

// The lab's director wrapped in an engine whose routes the test holds (on-link /24, default via GW).
function labWith(routes: RouteTable, neighbours = true): { sim: Simulation; engine: Engine } {
  const base = lab({ neighbours: false });
  const engine = new Engine({
    director: base.director,
    routes,
    interfaces: [{ ifindex: SIM_IFINDEX, mac: parseMac(DIR_MAC), mtu: 1500, addr4: ip(DIR_IP) }],
  });
  if (neighbours) {
    engine.addNeighbour(ip(GW), parseMac(GW_MAC), SIM_IFINDEX, T0);
    engine.addNeighbour(ip(RS1), parseMac(RS1_MAC), SIM_IFINDEX, T0);
  }
  return { sim: { director: base.director, engine, mtu: 1500 }, engine };
}

function send(sim: Simulation, frame: Uint8Array, now = T0): { macs: string[]; arps: number } {
  const buf = Buffer.from(frame);
  sim.engine.handleFrame(buf, 0, buf.length, SIM_IFINDEX, 0, now);
  const r = collect(sim);
  const macs: string[] = [];
  let arps = 0;
  for (const f of r.tx) {
    if (f.readUInt16BE(12) === 0x0806) arps++;
    else macs.push([...f.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':'));
  }
  return { macs, arps };
}

const onLink = () =>
  new StaticRoutes([
    { prefix: ip('192.0.2.0'), len: 24, ifindex: SIM_IFINDEX },
    { prefix: 0, len: 0, ifindex: SIM_IFINDEX, gateway: ip(GW) },
  ]);

describe('transmit cache (per real server route and next hop)', () => {
  it('a route added while a conn is established takes effect on its next packet', () => {
    const routes = onLink();
    const { sim } = labWith(routes);
    assert.deepEqual(send(sim, dr('S')).macs, [RS1_MAC]);
    assert.deepEqual(send(sim, dr('A')).macs, [RS1_MAC], 'served from the cache');
    routes.add({ prefix: ip(RS1), len: 32, ifindex: SIM_IFINDEX, gateway: ip(GW) });
    assert.deepEqual(send(sim, dr('A')).macs, [GW_MAC]);
  });

  it("a real server's new MAC learnt from ARP is used by the next packet", () => {
    const { sim } = labWith(onLink(), false);
    const mac1 = '02:00:00:00:01:0a';
    const mac2 = '02:00:00:00:02:0a';
    const arpFrom = (mac: string) =>
      pkt()
        .eth({ src: mac, dst: DIR_MAC })
        .arp({ op: 'reply', senderMac: mac, senderIp: RS1, targetMac: DIR_MAC, targetIp: DIR_IP })
        .build();
    // Unresolved: the SYN waits for ARP and leaves with the reply.
    assert.deepEqual(send(sim, dr('S')), { macs: [], arps: 1 });
    assert.deepEqual(send(sim, arpFrom(mac1)).macs, [mac1]);
    assert.deepEqual(send(sim, dr('A')).macs, [mac1]);
    assert.deepEqual(send(sim, dr('A')).macs, [mac1]);
    send(sim, arpFrom(mac2));
    assert.deepEqual(send(sim, dr('A')).macs, [mac2]);
  });

  it('a learnt next hop past its reachable time is probed again although the path was cached', () => {
    const { sim } = labWith(onLink(), false);
    const reply = pkt()
      .eth({ src: RS1_MAC, dst: DIR_MAC })
      .arp({ op: 'reply', senderMac: RS1_MAC, senderIp: RS1, targetMac: DIR_MAC, targetIp: DIR_IP })
      .build();
    send(sim, dr('S'));
    send(sim, reply);
    assert.deepEqual(send(sim, dr('A'), T0 + 1000), { macs: [RS1_MAC], arps: 0 });
    assert.deepEqual(send(sim, dr('A'), T0 + 2000), { macs: [RS1_MAC], arps: 0 });
    // REACHABLE lasts 30 s; then the entry is STALE, still used, and re-confirmed by a probe.
    assert.deepEqual(send(sim, dr('A'), T0 + 31_000), { macs: [RS1_MAC], arps: 1 });
  });

  it('a route table without a generation is asked for every packet', () => {
    let viaGw = false;
    const routes: RouteTable = {
      lookup4(_dst: number, out: RouteResult): boolean {
        out.ifindex = SIM_IFINDEX;
        out.gateway4 = viaGw ? ip(GW) : 0;
        out.src4 = 0;
        out.mtu = 0;
        return true;
      },
    };
    assert.ok(new RouteResult());
    const { sim } = labWith(routes);
    assert.deepEqual(send(sim, dr('S')).macs, [RS1_MAC]);
    assert.deepEqual(send(sim, dr('A')).macs, [RS1_MAC]);
    viaGw = true;
    assert.deepEqual(send(sim, dr('A')).macs, [GW_MAC]);
  });
});
