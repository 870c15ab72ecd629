/**
 * NAT (masquerading, `-m`): the kernel's ip_vs_nat_xmit and ip_vs_nat_icmp (ip_vs_xmit.c, ip_vs_core.c).
 * Requests get their destination rewritten to the real server (port mapping included: the conn's
 * dport may differ from the vport), replies their source rewritten back to VIP:vport, and ICMP
 * errors in both directions have the quoted packet rewritten to match. All rewrites are in place
 * on a frame parseFlow accepted, with checksums kept right incrementally (RFC 1624); the engine
 * does the TTL, the route and the Ethernet header.
 */

import type { Flow } from '../packet/flow.js';
import { setDport, setDst4, setDst6, setSport, setSrc4, setSrc6 } from '../packet/rewrite.js';
import { fixIcmpChecksum, setInnerDst4, setInnerDst6, setInnerSrc4, setInnerSrc6 } from './icmp-embedded.js';

/** DNAT of a client→VIP request to the real server `rip:rport` (tcp/udp_dnat_handler). */
export function natIn4(buf: Uint8Array, flow: Flow, rip: number, rport: number): void {
  setDst4(buf, flow, rip);
  setDport(buf, flow, rport);
}

/** SNAT of a real-server reply back to `vip:vport` (tcp/udp_snat_handler). */
export function natOut4(buf: Uint8Array, flow: Flow, vip: number, vport: number): void {
  setSrc4(buf, flow, vip);
  setSport(buf, flow, vport);
}

/** IPv6 DNAT of a request to `rip` (16 bytes) and `rport`. */
export function natIn6(buf: Uint8Array, flow: Flow, rip: Uint8Array, rport: number): void {
  setDst6(buf, flow, rip);
  setDport(buf, flow, rport);
}

/** IPv6 SNAT of a reply to `vip` (16 bytes) and `vport`. */
export function natOut6(buf: Uint8Array, flow: Flow, vip: Uint8Array, vport: number): void {
  setSrc6(buf, flow, vip);
  setSport(buf, flow, vport);
}

/**
 * An ICMP error arriving for the VIP about a reply we sent (quoted VIP:vport → client): it goes to
 * the real server as if the real server's own packet had caused it, so the outer destination and
 * the quoted source become `rip:rport` (ip_vs_nat_icmp, inout = 0).
 */
export function natIcmpIn4(buf: Uint8Array, flow: Flow, rip: number, rport: number): void {
  setDst4(buf, flow, rip);
  setInnerSrc4(buf, flow, rip, rport);
  fixIcmpChecksum(buf, flow);
}

/**
 * An ICMP error from the real-server side about a request we forwarded (quoted client →
 * RIP:rport), on its way to the client: the outer source and the quoted destination become
 * `vip:vport` so the client sees an error about its own packet (ip_vs_nat_icmp, inout = 1).
 */
export function natIcmpOut4(buf: Uint8Array, flow: Flow, vip: number, vport: number): void {
  setSrc4(buf, flow, vip);
  setInnerDst4(buf, flow, vip, vport);
  fixIcmpChecksum(buf, flow);
}

/** IPv6 form of {@link natIcmpIn4} (ip_vs_nat_icmp_v6). */
export function natIcmpIn6(buf: Uint8Array, flow: Flow, rip: Uint8Array, rport: number): void {
  setDst6(buf, flow, rip);
  setInnerSrc6(buf, flow, rip, rport);
  fixIcmpChecksum(buf, flow);
}

/** IPv6 form of {@link natIcmpOut4}. */
export function natIcmpOut6(buf: Uint8Array, flow: Flow, vip: Uint8Array, vport: number): void {
  setSrc6(buf, flow, vip);
  setInnerDst6(buf, flow, vip, vport);
  fixIcmpChecksum(buf, flow);
}
