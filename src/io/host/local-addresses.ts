/**
 * Which addresses are this host's right now, for the proxy plane's status: a socket bound to a
 * virtual address keeps listening after `ip addr del`, but the kernel no longer delivers that
 * address's traffic to the host, so the service is not served until the address comes back.
 * Read from getifaddrs(3) (os.networkInterfaces) on every call: cheap, and never stale. The
 * loopback network is local as a whole (the kernel's `local 127.0.0.0/8 dev lo` route), as is the
 * unspecified address a wildcard service binds.
 */
import { networkInterfaces } from 'node:os';
import { canonicalIp } from '../../core/addr.js';

/** The host's addresses, as the status view needs them. */
export interface LocalAddresses {
  /** A snapshot of the local addresses (canonical text); read once per status computation. */
  snapshot(): LocalAddressSet;
}

/** One snapshot: whether an address is the host's. */
export interface LocalAddressSet {
  has(addr: string): boolean;
}

/** A snapshot over `addrs` (with the loopback network and the unspecified addresses). */
export function localAddressSet(addrs: Iterable<string>): LocalAddressSet {
  const set = new Set<string>();
  for (const a of addrs) set.add(canonicalIp(a) ?? a);
  return {
    has(addr) {
      const a = canonicalIp(addr) ?? addr;
      return set.has(a) || a.startsWith('127.') || a === '::1' || a === '0.0.0.0' || a === '::';
    },
  };
}

/** The host's addresses from os.networkInterfaces(). */
export function hostLocalAddresses(): LocalAddresses {
  return {
    snapshot: () => {
      const out: string[] = [];
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.push(i.address);
      return localAddressSet(out);
    },
  };
}
