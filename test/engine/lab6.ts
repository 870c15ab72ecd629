/**
 * The IPv6 test lab: the IPv4 lab's director interface with 2001:db8:1::1/64 as well, real
 * servers on-link, the client behind the gateway, one IPv6 service per forwarding method.
 */
import { createSimulation, type Simulation } from '../../src/tools/simulate.js';
import { type PacketBuilder, pkt } from '../helpers/packet-builder.js';
import { DIR_IP, DIR_MAC, GW, GW_MAC, RS1, RS1_MAC, RS2_MAC } from './lab.js';

export const DIR6 = '2001:db8:1::1';
export const GW6 = '2001:db8:1::fe';
export const CLIENT6 = '2001:db8:99::7';
export const VIP6 = '2001:db8:1::100';
export const RS6 = '2001:db8:1::10';
export const RS6B = '2001:db8:1::11';
export const LIP6 = '2001:db8:1::200';

/** 80 NAT (port-mapped), 81 DR, 82 TUN (ip6ip6), 83 GUE, 84 GRE (with checksum), 85 FULLNAT (LIP 2001:db8:1::200), 86 no dests, 87 TUN to the IPv4 RS1 (IPv6 in IPv4), 53/udp NAT. */
export const RULES6 = `
-A -t [${VIP6}]:80 -s rr
-a -t [${VIP6}]:80 -r [${RS6}]:8080 -m -w 1
-A -u [${VIP6}]:53 -s rr
-a -u [${VIP6}]:53 -r [${RS6}]:5353 -m -w 1
-A -t [${VIP6}]:81 -s rr
-a -t [${VIP6}]:81 -r [${RS6}]:81 -g -w 1
-A -t [${VIP6}]:82 -s rr
-a -t [${VIP6}]:82 -r [${RS6}]:82 -i -w 1
-A -t [${VIP6}]:83 -s rr
-a -t [${VIP6}]:83 -r [${RS6}]:83 -i -w 1 --tun-type gue --tun-port 6080
-A -t [${VIP6}]:84 -s rr
-a -t [${VIP6}]:84 -r [${RS6}]:84 -i -w 1 --tun-type gre --tun-csum
-A -t [${VIP6}]:85 -s rr
-a -t [${VIP6}]:85 -r [${RS6B}]:8085 -b -w 1
-A -t [${VIP6}]:86 -s rr
-A -t [${VIP6}]:87 -s rr
-a -t [${VIP6}]:87 -r ${RS1}:87 -i -w 1
`;

/** A lab director with IPv6; `neighbours: false` leaves IPv6 next hops to neighbour discovery. */
export function lab6(o: { neighbours?: boolean; mtu?: number; toa?: boolean } = {}): Simulation {
  return createSimulation({
    rules: RULES6,
    directorMac: DIR_MAC,
    directorIp: `${DIR_IP}/24`,
    gateway: GW,
    directorIp6: `${DIR6}/64`,
    gateway6: GW6,
    neighbours:
      o.neighbours === false
        ? ''
        : `${GW6} ${GW_MAC}\n${RS6} ${RS1_MAC}\n${RS6B} ${RS2_MAC}\n${RS1} ${RS1_MAC}\n`,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    ...(o.toa !== undefined ? { toa: o.toa } : {}),
    laddrs: [LIP6],
    now: 1_000_000,
  });
}

/** A frame from the client side (through the gateway) to the director's MAC. */
export const fromGw6 = (): PacketBuilder => pkt().eth({ src: GW_MAC, dst: DIR_MAC });
/** A frame the director sends to the gateway. */
export const toGw6 = (): PacketBuilder => pkt().eth({ src: DIR_MAC, dst: GW_MAC });
