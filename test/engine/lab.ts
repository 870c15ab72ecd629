/**
 * The test lab for engine and forwarding fixtures: one director interface on 192.0.2.0/24, real
 * servers on-link, the client behind a gateway, one service per forwarding method. Frames go in
 * through the real `lvsd simulate` setup (createSimulation) and come out as copied buffers.
 */

import { ACT } from '../../src/engine/actions.js';
import { DROP_NAME } from '../../src/engine/drops.js';
import { createSimulation, SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';

export const DIR_MAC = '02:00:00:00:00:01';
export const DIR_IP = '192.0.2.1';
export const GW = '192.0.2.254';
export const GW_MAC = '02:00:00:00:00:fe';
export const CLIENT = '203.0.113.7';
export const VIP = '192.0.2.100';
export const LIP = '192.0.2.200';
export const RS1 = '192.0.2.10';
export const RS1_MAC = '02:00:00:00:00:0a';
export const RS2 = '192.0.2.11';
export const RS2_MAC = '02:00:00:00:00:0b';

/** One service per method: 80 NAT (port-mapped), 81 DR, 82 IPIP, 83 GUE (UDP), 84 GRE, 85 FULLNAT, 86 no dests. */
export const RULES = `
-A -t ${VIP}:80 -s rr
-a -t ${VIP}:80 -r ${RS1}:8080 -m -w 1
-A -u ${VIP}:53 -s rr
-a -u ${VIP}:53 -r ${RS1}:5353 -m -w 1
-A -t ${VIP}:81 -s rr
-a -t ${VIP}:81 -r ${RS1}:81 -g -w 1
-A -t ${VIP}:82 -s rr
-a -t ${VIP}:82 -r ${RS1}:82 -i -w 1
-A -u ${VIP}:83 -s rr
-a -u ${VIP}:83 -r ${RS1}:83 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -t ${VIP}:84 -s rr
-a -t ${VIP}:84 -r ${RS1}:84 -i -w 1 --tun-type gre --tun-csum
-A -t ${VIP}:85 -s rr
-a -t ${VIP}:85 -r ${RS2}:8085 -b -w 1
-P -t ${VIP}:85 -z ${LIP} -F eth0
-A -t ${VIP}:86 -s rr
`;

/** Static neighbours of the lab (the gateway and both real servers). */
export const NEIGHBOURS = `${GW} ${GW_MAC}\n${RS1} ${RS1_MAC}\n${RS2} ${RS2_MAC}\n`;

/** A lab director and engine; `neighbours: false` leaves next hops to ARP. */
export function lab(
  o: { neighbours?: boolean; mtu?: number; toa?: boolean; rules?: string } = {},
): Simulation {
  return createSimulation({
    rules: o.rules ?? RULES,
    directorMac: DIR_MAC,
    directorIp: `${DIR_IP}/24`,
    gateway: GW,
    neighbours: o.neighbours === false ? '' : NEIGHBOURS,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    ...(o.toa !== undefined ? { toa: o.toa } : {}),
    now: 1_000_000,
  });
}

/** What one frame produced. */
export interface Result {
  /** Transmitted frames (copies). */
  tx: Buffer[];
  /** Drop reasons by name. */
  drops: string[];
  /** Frames handed to the director's own stack (ACT.LOCAL; copies). */
  local: Buffer[];
}

/** Runs one frame through the engine at `now` (default 1 000 000 ms) with FRAME_F `flags`. */
export function run(sim: Simulation, frame: Uint8Array, flags = 0, now = 1_000_000): Result {
  const e = sim.engine;
  const buf = Buffer.from(frame);
  e.handleFrame(buf, 0, buf.length, SIM_IFINDEX, flags, now);
  return collect(sim);
}

/** Collects and flushes the engine's pending actions. */
export function collect(sim: Simulation): Result {
  const a = sim.engine.actions;
  const tx: Buffer[] = [];
  const drops: string[] = [];
  const local: Buffer[] = [];
  for (let i = 0; i < a.count; i++) {
    if (a.kind[i] === ACT.TX) tx.push(Buffer.from(a.frame(i)));
    else if (a.kind[i] === ACT.LOCAL) local.push(Buffer.from(a.frame(i)));
    else drops.push(DROP_NAME[a.reason[i]!] ?? String(a.reason[i]));
  }
  sim.engine.flush();
  return { tx, drops, local };
}

/** Hex of a frame for readable assertion diffs. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
