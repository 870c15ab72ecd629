/**
 * The IPv6 half of host-config.ts: each interface's IPv6 address (the source of neighbour
 * solicitations, tunnels and ICMPv6 errors) from `ip -j -6 addr`, and the IPv6 main-table routes
 * from `ip -j -6 route`, parsed by pure functions tested on captured JSON. The engine reads them
 * through {@link HostRoutes6}, whose table is swapped whole when the host changes.
 */
import { spawnSync } from 'node:child_process';
import { parseIPv6 } from '../../core/addr.js';
import type { RouteResult6, RouteTable6, StaticRoute6 } from '../../engine/routes6.js';
import { StaticRoutes6 } from '../../engine/routes6.js';

interface Ip6AddrJson {
  ifindex: number;
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string; tentative?: boolean }[];
}

interface Ip6RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  type?: string;
  metrics?: { mtu?: number }[];
}

/**
 * The IPv6 address per ifindex from `ip -j -6 addr show`: the first global address, else the
 * first link-local one (what the kernel's source selection prefers for on-link global peers).
 */
export function parseIp6AddrJson(json: string): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const l of list<Ip6AddrJson>(json)) {
    if (typeof l?.ifindex !== 'number' || !Array.isArray(l.addr_info)) continue;
    const infos = l.addr_info.filter(
      (a) => a?.family === 'inet6' && typeof a.local === 'string' && a.tentative !== true,
    );
    const pick = infos.find((a) => a.scope === 'global') ?? infos.find((a) => a.scope === 'link');
    const addr = pick ? parseIPv6(pick.local) : undefined;
    if (addr) out.set(l.ifindex, addr);
  }
  return out;
}

/**
 * Parses `ip -j -6 route show` into engine routes over the interfaces in `ifindexByName`.
 * Non-unicast routes (unreachable, blackhole, prohibit) and unknown devices are skipped, so the
 * engine finds no route and counts the drop, as the kernel would.
 */
export function parseIp6RouteJson(json: string, ifindexByName: ReadonlyMap<string, number>): StaticRoute6[] {
  const out: StaticRoute6[] = [];
  for (const r of list<Ip6RouteJson>(json)) {
    if (typeof r?.dst !== 'string' || (r.type !== undefined && r.type !== 'unicast')) continue;
    const ifindex = r.dev === undefined ? undefined : ifindexByName.get(r.dev);
    if (ifindex === undefined) continue;
    let prefix: Uint8Array = new Uint8Array(16);
    let len = 0;
    if (r.dst !== 'default') {
      const [a, l] = r.dst.split('/');
      const p = parseIPv6(a ?? '');
      if (!p) continue;
      prefix = p;
      len = l === undefined ? 128 : Number(l);
      if (!Number.isInteger(len) || len < 0 || len > 128) continue;
    }
    const gateway = typeof r.gateway === 'string' ? parseIPv6(r.gateway) : undefined;
    const src = typeof r.prefsrc === 'string' ? parseIPv6(r.prefsrc) : undefined;
    const m = Array.isArray(r.metrics) ? r.metrics.find((x) => typeof x?.mtu === 'number')?.mtu : 0;
    const mtu = m !== undefined && m > 0 ? m : 0;
    out.push({
      prefix,
      len,
      ifindex,
      ...(gateway ? { gateway } : {}),
      ...(src ? { src } : {}),
      ...(mtu ? { mtu } : {}),
    });
  }
  return out;
}

// `ip -j` output as a list of records; anything else (not JSON, not an array) reads as empty.
function list<T>(json: string): (T | undefined)[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as (T | undefined)[]) : [];
  } catch {
    return [];
  }
}

/** The host's IPv6 view: addresses per ifindex and main-table routes (empty when `ip` fails). */
export interface HostConfig6 {
  readonly addrs: Map<number, Uint8Array>;
  readonly routes: StaticRoute6[];
}

/** Reads the host's IPv6 addresses and routes now; interfaces are named by `ifindexByName`. */
export function readHostConfig6(ifindexByName: ReadonlyMap<string, number>): HostConfig6 {
  const a = spawnSync('ip', ['-j', '-6', 'addr', 'show'], { encoding: 'utf8' });
  const r = spawnSync('ip', ['-j', '-6', 'route', 'show'], { encoding: 'utf8' });
  if (a.status !== 0 || r.status !== 0) return { addrs: new Map(), routes: [] };
  return {
    addrs: parseIp6AddrJson(a.stdout || '[]'),
    routes: parseIp6RouteJson(r.stdout || '[]', ifindexByName),
  };
}

/** An IPv6 route table whose contents are swapped whole when the host's routes change. */
export class HostRoutes6 implements RouteTable6 {
  /** The table in use. */
  current = new StaticRoutes6();

  lookup6(dst: Uint8Array, off: number, out: RouteResult6): boolean {
    return this.current.lookup6(dst, off, out);
  }
}
