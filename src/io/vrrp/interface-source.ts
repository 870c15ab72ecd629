/**
 * The source address a VRRP socket sends from when none is configured: the interface's own
 * address of the family, read once from the kernel (rtnetlink, io/netlink/link-addresses.ts: with or
 * without carrier).
 * IPv4 takes the first (primary) address, the one the kernel picks for multicast out of the
 * device (net/ipv4/devinet.c inet_select_addr()). IPv6 adverts come from the link-local address
 * (RFC 5798 §5.1.2.1), and so does anything to a link-local or multicast destination (RFC 6724
 * §5 rule 2, scope match); a global unicast peer is reached from a global address when there is one.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { type Af, canonicalIp, ipBytes } from '../../core/addr.js';
import { readLinkAddresses } from '../netlink/link-addresses.js';

/** The addresses of one interface (primary IPv4 first), in os.networkInterfaces()'s shape. */
export type InterfaceAddrs = readonly Pick<NetworkInterfaceInfo, 'address' | 'family'>[];

/**
 * Reads the addresses of `ifname` now, whether or not it has carrier (empty when it does not
 * exist): the kernel's sockets need the device and its address, not a running link.
 */
export function readInterfaceAddrs(ifname: string): InterfaceAddrs {
  return readLinkAddresses(ifname)?.addrs ?? [];
}

function isLinkLocal6(b: Uint8Array | undefined): boolean {
  return b !== undefined && b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** The source of family `af` to use toward `dst` among `addrs`, or undefined when there is none. */
export function interfaceSource(addrs: InterfaceAddrs, af: Af, dst: string): string | undefined {
  // Node 18.0–18.3 reported the family as a number.
  const mine = addrs
    .filter((a) => String(a.family) === (af === 4 ? 'IPv4' : 'IPv6') || String(a.family) === String(af))
    .map((a) => canonicalIp(a.address))
    .filter((a): a is string => a !== undefined);
  if (af === 4) return mine[0];
  const d = ipBytes(dst);
  const local = mine.find((a) => isLinkLocal6(ipBytes(a)));
  if (d?.[0] === 0xff || isLinkLocal6(d)) return local;
  return mine.find((a) => !isLinkLocal6(ipBytes(a))) ?? local;
}
