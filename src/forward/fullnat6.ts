/**
 * FULLNAT for IPv6 (DPVS's IPv6 FULLNAT): requests leave from a local address, client:cport →
 * VIP:vport becoming LIP:lport → RIP:rport, and replies come back the other way. Each field
 * change updates the L4 checksum incrementally (the IPv6 header has none). ICMPv6 errors are
 * translated both ways as the IPv4 ones are (fullnat.ts), the IPv6 side of DPVS's
 * icmp6 handling of FULLNAT conns: the outer addresses and the quoted packet's addresses and ports.
 */
import type { Flow } from '../packet/flow.js';
import { setDport, setDst6, setSport, setSrc6 } from '../packet/rewrite.js';
import { fixIcmpChecksum, setInnerDst6, setInnerSrc6 } from './icmp-embedded.js';

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

/**
 * Relays an ICMPv6 error as one from `src` to `dst` about the packet `dst:dport` → `src:sport` it
 * quotes (the quoted packet runs the other way), then recomputes the ICMPv6 checksum (its
 * pseudo-header holds the new outer addresses, RFC 4443 §2.3).
 */
function fnatIcmpRewrite6(
  buf: Uint8Array,
  flow: Flow,
  src: Uint8Array,
  sport: number,
  dst: Uint8Array,
  dport: number,
): void {
  setSrc6(buf, flow, src);
  setDst6(buf, flow, dst);
  setInnerSrc6(buf, flow, dst, dport);
  setInnerDst6(buf, flow, src, sport);
  fixIcmpChecksum(buf, flow);
}

/**
 * An ICMPv6 error for the VIP about a reply (quoted VIP:vport → client:cport), relayed to the real
 * server as an error about its own packet: outer LIP → RIP, quoted RIP:rport → LIP:lport
 * (args: lip, lport, rip, rport).
 */
export const fnatIcmpIn6: typeof fnatIcmpRewrite6 = fnatIcmpRewrite6;

/**
 * An ICMPv6 error to a LIP about a forwarded request (quoted LIP:lport → RIP:rport), relayed to
 * the client: outer VIP → client, quoted client:cport → VIP:vport (args: vip, vport, cip, cport).
 */
export const fnatIcmpOut6: typeof fnatIcmpRewrite6 = fnatIcmpRewrite6;
