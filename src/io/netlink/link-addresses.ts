/**
 * The addresses of one network interface whatever its carrier, for the sync daemons' and VRRP's
 * sockets and the start-time interface checks. os.networkInterfaces() is getifaddrs(3) as libuv
 * filters it: only links that are IFF_UP and IFF_RUNNING, so an interface that is up without
 * carrier (a cable out, a veth whose peer is down, a bond waiting for a slave) looks absent,
 * while the kernel's sync daemon only needs the device and its address (ip_vs_sync.c
 * start_sync_thread(): __dev_get_by_name(), then inet_select_addr() for the master's bind).
 *
 * Read, in order of preference: an rtnetlink RTM_GETADDR dump through the addon
 * (native/netlink_addr.c), `ip -j addr show dev IF` (iproute2) when the addon is not built, and
 * os.networkInterfaces() when neither is available (then a link without carrier looks absent,
 * as before). Read on every call: start-time only, never on a packet path.
 */
import { spawnSync } from 'node:child_process';
import { endianness, networkInterfaces } from 'node:os';
import { loadPacketAddon } from '../packet-socket/addon.js';
import { decodeIfAddrs } from './ifaddr-codec.js';

/** One address of an interface, primary IPv4 addresses before secondary ones. */
export interface LinkAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly prefixlen: number;
  readonly secondary: boolean;
}

/** Where {@link readLinkAddresses} found its answer (for tests and debug logs). */
export type LinkAddressSource = 'netlink' | 'iproute2' | 'getifaddrs';

/** An interface's addresses, or undefined for no such interface. */
export interface LinkAddresses {
  readonly addrs: readonly LinkAddress[];
  readonly source: LinkAddressSource;
}

type Dump = { index: (n: string) => number; dump: (out: Uint8Array) => number };
let addon: Dump | null | undefined;

function netlink(): Dump | null {
  if (addon === undefined) {
    try {
      const a = loadPacketAddon();
      const index = a.netlinkIfIndex?.bind(a);
      const dump = a.netlinkDumpAddrs?.bind(a);
      addon = index && dump ? { index, dump } : null;
    } catch {
      addon = null;
    }
  }
  return addon;
}

const EMSGSIZE = -90;

function fromNetlink(ifname: string, nl: Dump): LinkAddresses | undefined | null {
  const index = nl.index(ifname);
  if (index === 0) return undefined;
  for (let size = 1 << 16; size <= 1 << 24; size *= 4) {
    const buf = new Uint8Array(size);
    const n = nl.dump(buf);
    if (n === EMSGSIZE) continue;
    if (n < 0) return null;
    const addrs = decodeIfAddrs(buf, n, endianness() === 'LE')
      .filter((r) => r.index === index)
      .map((r) => ({ family: r.family, address: r.address, prefixlen: r.prefixlen, secondary: r.secondary }));
    return { addrs: primaryFirst(addrs), source: 'netlink' };
  }
  return null;
}

interface IpAddrJson {
  ifname?: unknown;
  addr_info?: { family?: unknown; local?: unknown; prefixlen?: unknown; secondary?: unknown }[];
}

function fromIproute2(ifname: string): LinkAddresses | undefined | null {
  const r = spawnSync('ip', ['-j', 'addr', 'show', 'dev', ifname], { encoding: 'utf8', timeout: 5000 });
  if (r.error) return null;
  // iproute2: `Device "X" does not exist.` on stderr, exit 1.
  if (r.status !== 0) return /does not exist/.test(r.stderr ?? '') ? undefined : null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const link = (parsed as IpAddrJson[]).find((l) => l.ifname === ifname);
  if (!link) return undefined;
  const addrs: LinkAddress[] = [];
  for (const a of link.addr_info ?? []) {
    const family = a.family === 'inet' ? 'IPv4' : a.family === 'inet6' ? 'IPv6' : undefined;
    if (!family || typeof a.local !== 'string') continue;
    addrs.push({
      family,
      address: a.local,
      prefixlen: typeof a.prefixlen === 'number' ? a.prefixlen : family === 'IPv4' ? 32 : 128,
      secondary: a.secondary === true,
    });
  }
  return { addrs: primaryFirst(addrs), source: 'iproute2' };
}

function fromGetifaddrs(ifname: string): LinkAddresses | undefined {
  const list = networkInterfaces()[ifname];
  if (!list) return undefined;
  return {
    addrs: list.map((a) => ({
      family: String(a.family) === 'IPv6' || String(a.family) === '6' ? 'IPv6' : 'IPv4',
      address: a.address,
      prefixlen: Number((a.cidr ?? '').split('/')[1] ?? 0),
      secondary: false,
    })),
    source: 'getifaddrs',
  };
}

// The kernel lists an interface's primary IPv4 addresses before its secondaries already; keep
// that order stable whatever the source.
function primaryFirst(addrs: LinkAddress[]): LinkAddress[] {
  return [...addrs.filter((a) => !a.secondary), ...addrs.filter((a) => a.secondary)];
}

/** Test seam: which sources {@link readLinkAddresses} may use, in order. */
export type LinkAddressSources = readonly LinkAddressSource[];

/**
 * The addresses of `ifname` whether or not it has carrier, or undefined when there is no such
 * interface. A source that cannot answer (addon not built, no `ip`) hands over to the next.
 */
export function readLinkAddresses(
  ifname: string,
  sources: LinkAddressSources = ['netlink', 'iproute2', 'getifaddrs'],
): LinkAddresses | undefined {
  // An interface name has no '/' and fits IFNAMSIZ (16 with its NUL); anything else names none.
  if (ifname.length === 0 || ifname.length > 15 || ifname.includes('/') || ifname.includes('\0'))
    return undefined;
  for (const s of sources) {
    if (s === 'getifaddrs') return fromGetifaddrs(ifname);
    const nl = s === 'netlink' ? netlink() : undefined;
    if (s === 'netlink' && !nl) continue;
    const r = nl ? fromNetlink(ifname, nl) : fromIproute2(ifname);
    if (r !== null) return r;
  }
  return undefined;
}

/** Whether `ifname` exists, up or down, with carrier or without. */
export function linkExists(ifname: string): boolean {
  return readLinkAddresses(ifname) !== undefined;
}
