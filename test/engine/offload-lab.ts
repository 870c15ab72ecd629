/**
 * The lab for the XDP flow-offload tests: the engine lab (lab.ts) with a FlowOffload on a given
 * map, frames of one client flow to the DR service (VIP:81), and a second lab without offload
 * that sees the same frames through the engine only, for the differential checks.
 */

import { apply } from '../../src/control/apply.js';
import { type FlowMapPort, FlowOffload } from '../../src/engine/flow-offload.js';
import { parseRulesLines } from '../../src/ipvsadm/rules.js';
import type { Simulation } from '../../src/tools/simulate.js';
import { fromClient } from '../forward/fixtures.js';
import { CLIENT, lab, run, VIP } from './lab.js';

/** The lab's start time (lab.ts run's default `now`). */
export const T0 = 1_000_000;

/** A client segment to VIP:`dport` from CLIENT:`sport`. */
export function seg(
  sport: number,
  flags: string,
  o: { dport?: number; payload?: number; ttl?: number; mf?: boolean; df?: boolean } = {},
): Uint8Array {
  const b = fromClient()
    .ipv4({ src: CLIENT, dst: VIP, ttl: o.ttl ?? 64, mf: o.mf ?? false, df: o.df ?? true })
    .tcp({ sport, dport: o.dport ?? 81, flags, seq: 1001, ack: 5001 });
  if (o.payload) b.payload(o.payload);
  return b.build();
}

/** A lab with an offload controller over `map`. */
export function offloadLab(map: FlowMapPort, maxEntries = 1024): { sim: Simulation; off: FlowOffload } {
  const sim = lab();
  const off = new FlowOffload(sim.director, sim.engine.out, map, { maxEntries });
  sim.engine.setOffload(off);
  return { sim, off };
}

/** SYN then ACK of flow `sport` through the engine: the conn is ESTABLISHED and offered. */
export function establish(sim: Simulation, sport: number, now = T0, dport = 81): void {
  run(sim, seg(sport, 'S', { dport }), 0, now);
  run(sim, seg(sport, 'A', { dport }), 0, now);
}

/** Applies ipvsadm rules to the lab's director at `now`. */
export function rules(sim: Simulation, text: string, now = T0): void {
  const d = sim.director;
  const target = {
    table: d.table,
    setTimeouts: (tcp: number, fin: number, udp: number) => d.settings.setTimeouts(tcp, fin, udp),
    setSysctl: (n: Parameters<typeof d.setSysctl>[0], v: number) => d.setSysctl(n, v),
    zeroGlobal: () => d.stats.zero(),
  };
  for (const { command } of parseRulesLines(text, '<test>')) apply(target, command, now);
}

/** The flow key the engine installs for CLIENT:`sport` → VIP:`dport` (xdp_filter.h layout). */
export function flowKey(sport: number, dport = 81): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  k.set([203, 0, 113, 7], 0);
  k.set([192, 0, 2, 100], 4);
  v.setUint16(8, sport);
  v.setUint16(10, dport);
  k[12] = 6;
  return k;
}
