/**
 * The director's own network configuration, read from the host each time it changes: interfaces
 * (index, MAC, MTU, IPv4 addresses) from `ip -j addr` and IPv4 routes from `ip -j route`. The
 * packet plane never keeps a second, hand-written copy: `ip monitor` tells it when to re-read.
 * The parsers are pure so they are tested on captured JSON.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { parseIPv4 } from '../../core/addr.js';

/** One IPv4 address of an interface. */
export interface HostAddr {
  /** Host-order u32. */
  readonly addr: number;
  readonly prefixLen: number;
}

/** One interface of the host. */
export interface HostInterface {
  readonly ifindex: number;
  readonly name: string;
  /** 6-byte MAC (zeros for loopback). */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly up: boolean;
  readonly addrs: readonly HostAddr[];
}

/** One IPv4 route, in the shape of engine/routes.ts StaticRoute (addresses host-order u32). */
export interface HostRoute {
  readonly prefix: number;
  readonly len: number;
  readonly ifindex: number;
  /** Gateway (0 = on-link). */
  readonly gateway: number;
  /** Preferred source (0 = interface address). */
  readonly src: number;
  /** Route MTU (0 = the interface's). */
  readonly mtu: number;
  /** A host address (the kernel's local table): engine/routes.ts StaticRoute.local. */
  readonly local?: boolean;
}

/** Interfaces and routes as read together. */
export interface HostConfig {
  readonly interfaces: readonly HostInterface[];
  readonly routes: readonly HostRoute[];
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  mtu?: number;
  flags?: string[];
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  type?: string;
  metrics?: { mtu?: number }[];
}

function macBytes(s: string | undefined): Uint8Array {
  const out = new Uint8Array(6);
  const parts = (s ?? '').split(':');
  if (parts.length === 6) for (let i = 0; i < 6; i++) out[i] = Number.parseInt(parts[i]!, 16) || 0;
  return out;
}

/** Parses `ip -j addr show` output. */
export function parseIpAddrJson(json: string): HostInterface[] {
  const list = JSON.parse(json) as IpAddrJson[];
  return list.map((l) => ({
    ifindex: l.ifindex,
    name: l.ifname,
    mac: macBytes(l.address),
    mtu: l.mtu ?? 1500,
    up: (l.flags ?? []).includes('UP'),
    addrs: (l.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => ({ addr: parseIPv4(a.local)! >>> 0, prefixLen: a.prefixlen })),
  }));
}

/**
 * Parses `ip -j route show` (main table) into engine routes. Unreachable/blackhole/prohibit
 * routes and routes over unknown devices are skipped: the engine then finds no route and counts
 * the drop, which is what the kernel would do.
 */
export function parseIpRouteJson(json: string, ifs: readonly HostInterface[]): HostRoute[] {
  const byName = new Map(ifs.map((i) => [i.name, i.ifindex]));
  const out: HostRoute[] = [];
  for (const r of JSON.parse(json) as IpRouteJson[]) {
    if (r.type !== undefined && r.type !== 'unicast') continue;
    const ifindex = r.dev === undefined ? undefined : byName.get(r.dev);
    if (ifindex === undefined) continue;
    let prefix = 0;
    let len = 0;
    if (r.dst !== 'default') {
      const [a, l] = r.dst.split('/');
      const p = parseIPv4(a ?? '');
      if (p === undefined) continue;
      prefix = p >>> 0;
      len = l === undefined ? 32 : Number(l);
    }
    const gw = r.gateway === undefined ? 0 : (parseIPv4(r.gateway) ?? 0) >>> 0;
    const src = r.prefsrc === undefined ? 0 : (parseIPv4(r.prefsrc) ?? 0) >>> 0;
    const mtu = r.metrics?.find((m) => m.mtu !== undefined)?.mtu ?? 0;
    out.push({ prefix, len, ifindex, gateway: gw, src, mtu });
  }
  return out;
}

/**
 * The host's own IPv4 addresses as local routes (what `ip route show table local` lists as type
 * local): each interface address /32, and 127.0.0.0/8 on the loopback device. The engine hands a
 * packet whose real server is one of them to the host (ACT.LOCAL), as the kernel's
 * __ip_vs_get_out_rt() does on a local route.
 */
export function hostLocalRoutes(ifs: readonly HostInterface[]): HostRoute[] {
  const out: HostRoute[] = [];
  const lo = ifs.find((i) => i.name === 'lo');
  for (const i of ifs)
    for (const a of i.addrs)
      out.push({
        prefix: a.addr >>> 0,
        len: 32,
        ifindex: i.ifindex,
        gateway: 0,
        src: 0,
        mtu: 0,
        local: true,
      });
  if (lo)
    out.push({ prefix: 0x7f000000, len: 8, ifindex: lo.ifindex, gateway: 0, src: 0, mtu: 0, local: true });
  return out;
}

/** Reads the host's interfaces, IPv4 main-table routes and local addresses (hostLocalRoutes) now. */
export function readHostConfig(): HostConfig {
  const a = spawnSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const all = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  if (a.status !== 0 || all.status !== 0) throw new Error(`ip -j addr failed: ${a.stderr}${all.stderr}`);
  // `ip -4 addr` omits the MAC and interfaces without IPv4 addresses; `ip link` has every
  // interface with its MAC, so links come from there and addresses are merged in.
  const addrsOf = new Map(parseIpAddrJson(a.stdout).map((i) => [i.ifindex, i.addrs]));
  const interfaces = parseIpAddrJson(all.stdout).map((i) => ({ ...i, addrs: addrsOf.get(i.ifindex) ?? [] }));
  const r = spawnSync('ip', ['-j', '-4', 'route', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -j route failed: ${r.stderr}`);
  return {
    interfaces,
    routes: [...hostLocalRoutes(interfaces), ...parseIpRouteJson(r.stdout || '[]', interfaces)],
  };
}

/**
 * Calls `onChange` (debounced by `debounceMs`) whenever an address, route or link changes, as
 * `ip monitor` reports it. Returns a stop function.
 */
export function watchHostConfig(onChange: () => void, debounceMs = 100): () => void {
  let timer: NodeJS.Timeout | undefined;
  let child: ChildProcess | undefined = spawn('ip', ['monitor', 'address', 'route', 'link'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout?.on('data', () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  child.on('error', () => {
    child = undefined;
  });
  child.unref();
  return () => {
    if (timer) clearTimeout(timer);
    child?.kill();
    child = undefined;
  };
}

/** The interface whose connected subnet holds `addr` (host-order u32), else undefined. */
export function interfaceForAddr(ifs: readonly HostInterface[], addr: number): HostInterface | undefined {
  for (const i of ifs) {
    for (const a of i.addrs) {
      const m = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
      if ((a.addr & m) >>> 0 === (addr & m) >>> 0) return i;
    }
  }
  return undefined;
}

/** Every address (IPv4 and IPv6, any scope) in `ip -j addr show` output, as text. */
export function parseLocalAddrsJson(json: string): string[] {
  const list = JSON.parse(json) as IpAddrJson[];
  return list.flatMap((l) =>
    (l.addr_info ?? []).filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => a.local),
  );
}

/**
 * The host's own addresses, both families: the ingress bypass must never drop traffic addressed
 * to the director itself (its health checks' replies, its own LIPs). Empty when `ip` fails.
 */
export function readLocalAddrs(): string[] {
  const r = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return parseLocalAddrsJson(r.stdout || '[]');
}
