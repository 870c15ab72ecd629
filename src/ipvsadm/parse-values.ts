/**
 * Value parsers that reproduce the C library calls ipvsadm uses (strtol, atoi, inet_aton,
 * inet_pton), so odd inputs such as `010.0.0.1`, `10.1` or `-w +5` are read the same way.
 */
import { type Af, canonicalIp, formatIPv4, parseIPv6 } from '../core/addr.js';
import type { Resolver, ServiceProto } from './resolve.js';

/** INT_MAX: upper bound of weights and thresholds in ipvsadm 1.31. */
export const INT_MAX = 2147483647;
/** MAX_TIMEOUT in ipvsadm.c: 31 days, the ceiling of -p and --set values. */
export const MAX_TIMEOUT = 86400 * 31;

/** ipvsadm's string_to_number: strtol base 10 over the whole string, then a range check; -1 if bad. */
export function stringToNumber(s: string, min: number, max: number): number {
  // strtol skips leading white space and takes one sign; the whole rest must be digits.
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d+)$/.exec(s);
  if (!m) return -1;
  const n = Number(`${m[1]}${m[2]}`);
  if (!Number.isFinite(n) || n < min || n > max) return -1;
  return n;
}

/** C atoi: optional white space and sign, then leading digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(INT_MAX, n));
}

/** One inet_aton number part: 0x hex, leading-0 octal or decimal (strtoul base 0). */
function atonPart(p: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]*$/.test(p)) return p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
  if (/^0[0-7]*$/.test(p)) return p.length === 1 ? 0 : Number.parseInt(p.slice(1), 8);
  if (/^[1-9]\d*$/.test(p)) return Number(p);
  return undefined;
}

/**
 * glibc inet_aton: 1 to 4 dot-separated parts, the last one filling the remaining bytes
 * (so `10.1` is 10.0.0.1 and `24` is 0.0.0.24). Returns dotted-quad text or undefined.
 */
export function inetAton(s: string): string | undefined {
  // inet_aton stops at the first white space; argv tokens never contain one.
  const parts = s.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const n = atonPart(p);
    if (n === undefined || n > 0xffffffff) return undefined;
    nums.push(n);
  }
  const last = nums.pop() ?? 0;
  let v = 0;
  for (const n of nums) {
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  const tailBytes = 4 - nums.length;
  if (last >= 2 ** (8 * tailBytes)) return undefined;
  v = v * 2 ** (8 * tailBytes) + last;
  return formatIPv4(v >>> 0);
}

/** Canonical IPv6 text if `s` is what inet_pton(AF_INET6) accepts, else undefined. */
export function inetPton6(s: string): string | undefined {
  return parseIPv6(s) ? canonicalIp(s) : undefined;
}

/** Result of parse_service: SERVICE_NONE, or the address with a port when one was given. */
export type ServiceParse =
  | { readonly ok: false }
  | { readonly ok: true; readonly af: Af; readonly addr: string; readonly port?: number };

/**
 * ipvsadm's parse_service for `-t/-u/--sctp-service/-r host[:port]`. IPv6 needs brackets to carry a
 * port; `[v4]:port` loses its port (ipvsadm re-searches the bracket-less text); all-digit text is
 * refused; the host may be a name, the port a service name (TCP/UDP only, as ipvsadm).
 */
export function parseService(buf: string, proto: ServiceProto | undefined, r: Resolver): ServiceParse {
  const none = { ok: false } as const;
  if (/^\d*$/.test(buf)) return none;
  let host = buf;
  let portText: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return none;
    if (host[close + 1] !== ':') return none;
    portText = host.slice(close + 2);
    host = host.slice(1, close);
  }
  const v6 = inetPton6(host);
  let af: Af;
  let addr: string;
  if (v6 !== undefined) {
    af = 6;
    addr = v6;
  } else {
    const colon = host.lastIndexOf(':');
    portText = colon >= 0 ? host.slice(colon + 1) : undefined;
    if (colon >= 0) host = host.slice(0, colon);
    const v4 = inetAton(host) ?? r.hostToAddr(host);
    if (v4 === undefined) return none;
    af = 4;
    addr = v4;
  }
  if (portText === undefined) return { ok: true, af, addr };
  let port = stringToNumber(portText, 0, 65535);
  if (port === -1) port = proto ? (r.serviceToPort(portText, proto) ?? -1) : -1;
  if (port === -1) return none;
  return { ok: true, af, addr, port };
}

/** ipvsadm's parse_fwmark: strtol base 10, 1..UINT_MAX; undefined when invalid. */
export function parseFwmark(s: string): number | undefined {
  const n = stringToNumber(s, 1, 0xffffffff);
  return n === -1 ? undefined : n;
}
