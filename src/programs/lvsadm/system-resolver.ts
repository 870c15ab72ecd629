/**
 * The I/O side of name resolution: /etc/hosts and /etc/services read as glibc's "files" backend
 * reads them, then DNS, all done before parse/format run so their lookups can stay synchronous.
 * Matches ipvsadm's sources: gethostbyname (IPv4 only), gethostbyaddr, getservbyname/port.
 */
import { readFileSync } from 'node:fs';
import type { ConnView, Snapshot } from '../../control/views.js';
import type { Af } from '../../core/addr.js';
import { type Resolver, tableResolver } from '../../ipvsadm/resolve.js';

/** Paths and limits; tests point these at fixtures. */
export interface SystemResolverOptions {
  readonly hostsFile?: string;
  readonly servicesFile?: string;
  /** Per-lookup DNS time limit; a timeout prints the address numerically. */
  readonly dnsTimeoutMs?: number;
  /** Skip DNS entirely (files only). */
  readonly noDns?: boolean;
}

const readOr = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Parses /etc/services: `name port/proto aliases…`; the first line for a port wins (getservbyport). */
export function parseServices(text: string): { byName: Map<string, number>; byPort: Map<string, string> } {
  const byName = new Map<string, number>();
  const byPort = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const [name, pp, ...aliases] = (raw.split('#')[0] ?? '').trim().split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(pp ?? '');
    if (!name || !m) continue;
    const port = Number(m[1]);
    const proto = m[2] ?? '';
    for (const n of [name, ...aliases]) if (!byName.has(`${n}/${proto}`)) byName.set(`${n}/${proto}`, port);
    if (!byPort.has(`${port}/${proto}`)) byPort.set(`${port}/${proto}`, name);
  }
  return { byName, byPort };
}

/** Parses /etc/hosts: forward IPv4 answers and the first (canonical) name of each address. */
export function parseHosts(text: string): { forward: Map<string, string>; reverse: Map<string, string> } {
  const forward = new Map<string, string>();
  const reverse = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const [addr, ...names] = (raw.split('#')[0] ?? '').trim().split(/\s+/);
    if (!addr || names.length === 0 || names[0] === '') continue;
    if (!reverse.has(addr)) reverse.set(addr, names[0] ?? '');
    if (addr.includes(':')) continue; // gethostbyname answers IPv4 only
    for (const n of names) if (!forward.has(n)) forward.set(n, addr);
  }
  return { forward, reverse };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

/** What to resolve ahead of time. */
export interface Wanted {
  /** Host names from argv (parse.ts namesIn). */
  readonly names?: readonly string[];
  /** Addresses to print by name (addressesIn). */
  readonly addrs?: ReadonlyArray<{ readonly addr: string; readonly af: Af }>;
}

/**
 * Builds a synchronous Resolver with every wanted name and address looked up in advance. With
 * nothing wanted (a numeric listing, an argv of addresses) no file is read and no DNS module is
 * loaded until a lookup happens: lvsadm starts once per command, so that is most of its calls.
 */
export async function createSystemResolver(want: Wanted, o: SystemResolverOptions = {}): Promise<Resolver> {
  let files: { services: ReturnType<typeof parseServices>; hosts: ReturnType<typeof parseHosts> } | undefined;
  const read = () =>
    (files ??= {
      services: parseServices(readOr(o.servicesFile ?? '/etc/services')),
      hosts: parseHosts(readOr(o.hostsFile ?? '/etc/hosts')),
    });
  const names = want.names ?? [];
  const addrs = [...new Set((want.addrs ?? []).map((a) => a.addr))];
  if (names.length === 0 && addrs.length === 0) {
    return {
      hostToAddr: (n) => read().hosts.forward.get(n),
      serviceToPort: (n, proto) => read().services.byName.get(`${n}/${proto}`),
      addrToHost: (a) => read().hosts.reverse.get(a),
      portToService: (port, proto) => read().services.byPort.get(`${port}/${proto}`),
    };
  }
  const { services, hosts } = read();
  const ms = o.dnsTimeoutMs ?? 2000;
  const forward = new Map(hosts.forward);
  const reverse = new Map(hosts.reverse);
  const askNames = names.filter((n) => !forward.has(n));
  const askAddrs = addrs.filter((a) => !reverse.has(a));
  if (!o.noDns && askNames.length + askAddrs.length > 0) {
    const { promises: dns } = await import('node:dns');
    await Promise.all([
      ...askNames.map(async (n) => {
        const r = await withTimeout(dns.lookup(n, { family: 4 }), ms);
        if (r) forward.set(n, r.address);
      }),
      ...askAddrs.map(async (a) => {
        const r = await withTimeout(dns.reverse(a), ms);
        if (r?.[0]) reverse.set(a, r[0]);
      }),
    ]);
  }
  return tableResolver({ hosts: forward, reverse, services: services.byName, ports: services.byPort });
}

/** Every address a listing of this snapshot (and connections) would print. */
export function addressesIn(
  snap: Snapshot,
  conns: readonly ConnView[] = [],
): Array<{ addr: string; af: Af }> {
  const out: Array<{ addr: string; af: Af }> = [];
  for (const s of snap.services) {
    if (s.key.kind === 'addr') out.push({ addr: s.key.addr, af: s.key.af });
    for (const d of s.dests) out.push({ addr: d.addr, af: d.af });
  }
  for (const c of conns) {
    out.push({ addr: c.caddr, af: c.af }, { addr: c.vaddr, af: c.af }, { addr: c.daddr, af: c.af });
  }
  return out;
}
