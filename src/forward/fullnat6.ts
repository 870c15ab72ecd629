/**
 * FULLNAT for IPv6 (DPVS's IPv6 FULLNAT): requests leave from a local address, client:cport →
 * VIP:vport becoming LIP:lport → RIP:rport, and replies come back the other way. Each field
 * change updates the L4 checksum incrementally (the IPv6 header has none). No TOA: its IPv6 form
 * (DPVS's 20-byte option) is not emitted here.
 */
import type { Flow } from '../packet/flow.js';
import { setDport, setDst6, setSport, setSrc6 } from '../packet/rewrite.js';

/** A request: source to `lip`:`lport`, destination to `rip`:`rport` (16-byte addresses). */
export function fnatIn6(
  buf: Uint8Array,
  flow: Flow,
  lip: Uint8Array,
  lport: number,
  rip: Uint8Array,
  rport: number,
): void {
  setSrc6(buf, flow, lip);
  setSport(buf, flow, lport);
  setDst6(buf, flow, rip);
  setDport(buf, flow, rport);
}

/** A reply: source to `vip`:`vport`, destination to the client `cip`:`cport`. */
export function fnatOut6(
  buf: Uint8Array,
  flow: Flow,
  vip: Uint8Array,
  vport: number,
  cip: Uint8Array,
  cport: number,
): void {
  setSrc6(buf, flow, vip);
  setSport(buf, flow, vport);
  setDst6(buf, flow, cip);
  setDport(buf, flow, cport);
}
