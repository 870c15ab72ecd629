/**
 * Name resolution as a pure interface. parse() and format() stay free of I/O: they receive a
 * Resolver whose lookups are synchronous. programs/lvsadm/system-resolver.ts builds one from /etc/hosts,
 * /etc/services and DNS answers fetched ahead of time.
 */
import type { Af } from '../core/addr.js';

/** Transport names /etc/services knows; SCTP has none in ipvsadm (service_to_port). */
export type ServiceProto = 'tcp' | 'udp';

/** Synchronous lookups used by parse (forward) and format (reverse). */
export interface Resolver {
  /** IPv4 address text of a host name, as gethostbyname(3) would answer; undefined if unknown. */
  hostToAddr(name: string): string | undefined;
  /** Port number of a service name in /etc/services for that transport; undefined if unknown. */
  serviceToPort(name: string, proto: ServiceProto): number | undefined;
  /** Reverse name of an address (gethostbyaddr); undefined prints the address numerically. */
  addrToHost(addr: string, af: Af): string | undefined;
  /** Service name of a port in /etc/services for that transport; undefined prints the number. */
  portToService(port: number, proto: ServiceProto): string | undefined;
}

/** A resolver that knows no names: what `-n` behaves like, and the safe default. */
export const NUMERIC_RESOLVER: Resolver = {
  hostToAddr: () => undefined,
  serviceToPort: () => undefined,
  addrToHost: () => undefined,
  portToService: () => undefined,
};

/** Tables for {@link tableResolver}: each maps a key to its answer. */
export interface ResolverTables {
  readonly hosts?: ReadonlyMap<string, string>;
  readonly reverse?: ReadonlyMap<string, string>;
  /** Keys are `name/proto`, e.g. `http/tcp`. */
  readonly services?: ReadonlyMap<string, number>;
  /** Keys are `port/proto`, e.g. `80/tcp`. */
  readonly ports?: ReadonlyMap<string, string>;
}

/** A resolver answering from in-memory tables (tests, and the system resolver's cache). */
export function tableResolver(t: ResolverTables): Resolver {
  return {
    hostToAddr: (name) => t.hosts?.get(name),
    serviceToPort: (name, proto) => t.services?.get(`${name}/${proto}`),
    addrToHost: (addr) => t.reverse?.get(addr),
    portToService: (port, proto) => t.ports?.get(`${port}/${proto}`),
  };
}
