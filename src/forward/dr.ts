/**
 * Direct routing (`-g`, the ipvsadm default): ip_vs_dr_xmit changes no IP or L4 header field. The
 * frame goes to the real server's MAC (found by routing to the RIP, a "known next hop") from the
 * director's MAC, and the RS, holding the VIP on a non-ARPing interface, answers the client
 * directly. The only IP change is the TTL decrement every non-local IPVS transmit does
 * (__ip_vs_get_out_rt → decrement_ttl), which the engine performs for all methods.
 */
import { writeEth } from './frame.js';

/**
 * Rewrites the Ethernet header of the frame whose L3 header starts at `l3Off` (so the untagged
 * header starts at l3Off - 14; a VLAN tag before it is dropped by the engine's choice of l3Off):
 * destination = the real server's MAC, source = the director's egress MAC.
 */
export function drXmit(
  buf: Uint8Array,
  l3Off: number,
  rsMac: Uint8Array,
  rsMacOff: number,
  dirMac: Uint8Array,
  dirMacOff: number,
  etherType: number,
): void {
  writeEth(buf, l3Off - 14, rsMac, rsMacOff, dirMac, dirMacOff, etherType);
}
