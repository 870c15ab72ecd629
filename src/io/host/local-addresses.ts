/**
 * Which addresses are this host's right now, for the proxy plane's status: a socket bound to a
 * virtual address keeps listening after `ip addr del`, but the kernel no longer delivers that
 * address's traffic to the host, so the service is not served until the address comes back.
 * Read from getifaddrs(3) (os.networkInterfaces) on every call: cheap, and never stale.
 */
import { networkInterfaces } from 'node:os';
import { canonicalIp } from '../../core/addr.js';

/** The host's addresses, as the status view needs them. */
export interface LocalAddresses {
  /** A snapshot of the local addresses; taken once per status computation. */
  snapshot(): LocalAddressSet;
}

/** One snapshot: whether an address is the host's. */
export interface LocalAddressSet {
  has(addr: string): boolean;
}

/** A snapshot holding exactly `addrs` (any spelling; compared in canonical form). */
export function localAddressSet(
  addrs: Iterable<string>,
  also: (a: string) => boolean = () => false,
): LocalAddressSet {
  const set = new Set<string>();
  for (const a of addrs) set.add(canonicalIp(a) ?? a);
  return {
    has(addr) {
      const a = canonicalIp(addr) ?? addr;
      return set.has(a) || also(a);
    },
  };
}

// The whole loopback network is local (the kernel's `local 127.0.0.0/8 dev lo` route), as is the
// unspecified address a wildcard service binds.
const alwaysLocal = (a: string): boolean =>
  a.startsWith('127.') || a === '::1' || a === '0.0.0.0' || a === '::';

/** The host's addresses from os.networkInterfaces(). */
export function hostLocalAddresses(): LocalAddresses {
  return {
    snapshot: () => {
      const out: string[] = [];
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.push(i.address);
      return localAddressSet(out, alwaysLocal);
    },
  };
}
