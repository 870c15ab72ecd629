/**
 * A VRRP `virtual_ipaddress` (control/ports.ts VrrpVip) as both data planes key it: the parsed
 * address, and one text key per address whatever way it was written (`2001:db8::1` and
 * `2001:DB8:0::1` are one VIP), for the sets built off the hot path.
 */
import type { VrrpVip } from '../control/ports.js';
import { parseIPv4, parseIPv6 } from '../core/addr.js';

/** A parsed VIP: IPv4 as a host-order u32, IPv6 as 16 bytes, with its {@link addrKey}. */
export type ParsedVip =
  | { readonly af: 4; readonly v4: number; readonly key: string }
  | { readonly af: 6; readonly v6: Uint8Array; readonly key: string };

/** Parses a VIP's address; undefined when it does not parse (the configuration checked it). */
export function parseVip(v: Pick<VrrpVip, 'af' | 'addr'>): ParsedVip | undefined {
  if (v.af === 4) {
    const a = parseIPv4(v.addr);
    return a === undefined ? undefined : { af: 4, v4: a >>> 0, key: key4(a >>> 0) };
  }
  const b = parseIPv6(v.addr);
  return b === undefined ? undefined : { af: 6, v6: b, key: key6(b) };
}

/** The key of the address `addr` of family `af` (text), or undefined when it does not parse. */
export function addrKey(af: number, addr: string): string | undefined {
  return af === 4 || af === 6 ? parseVip({ af, addr })?.key : undefined;
}

/** The key of an IPv4 address (host-order u32). */
export function key4(a: number): string {
  return `4:${a >>> 0}`;
}

/** The key of an IPv6 address (16 bytes). */
export function key6(a: Uint8Array): string {
  let s = '6:';
  for (let i = 0; i < 16; i++) s += (a[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
