/**
 * How the HTTP API names a virtual service and a real server in a URL path: `tcp:192.0.2.10:80`,
 * `udp:[2001:db8::10]:53`, `sctp:…`, `fwm:1` (IPv4 firewall mark) or `fwm6:1`; a real server is
 * `198.51.100.1:80` or `[2001:db8::1]:80`. Each segment is percent-decoded first, so clients may
 * encode the brackets. Pure.
 */
import { canonicalIp, ipFamily } from '../../core/addr.js';
import { type DestKey, PROTO, type ServiceKey } from '../../core/types.js';
import { HttpError } from './http-errors.js';

const PROTO_NAME: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const NAME_PROTO: Readonly<Record<string, 6 | 17 | 132>> = {
  tcp: PROTO.TCP,
  udp: PROTO.UDP,
  sctp: PROTO.SCTP,
};

/** `addr:port`, bracketing an IPv6 address. */
export function hostPort(addr: string, port: number): string {
  return `${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

/** The id of a service key. */
export function serviceId(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `${k.af === 6 ? 'fwm6' : 'fwm'}:${k.fwmark}`;
  return `${PROTO_NAME[k.protocol] ?? 'tcp'}:${hostPort(k.addr, k.port)}`;
}

/** The id of a real server. */
export function destId(d: DestKey): string {
  return hostPort(d.addr, d.port);
}

function decode(seg: string, what: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new HttpError(400, 'ERR_LVS_HTTP_BAD_PATH', `${what}: bad percent-encoding`);
  }
}

/** Splits `addr:port` / `[v6]:port`; undefined when malformed. */
function splitHostPort(s: string): { addr: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const addr = canonicalIp(m[1]!);
  const port = Number(m[2]);
  if (!addr || port > 65535) return undefined;
  return { addr, port };
}

/** Parses a service id (a path segment); a coded 400 when malformed. */
export function parseServiceId(segment: string): ServiceKey {
  const s = decode(segment, 'service');
  const bad = () =>
    new HttpError(
      400,
      'ERR_LVS_HTTP_BAD_PATH',
      `service '${s.slice(0, 80)}': expected tcp|udp|sctp:ADDR:PORT or fwm|fwm6:MARK`,
    );
  const colon = s.indexOf(':');
  if (colon < 0) throw bad();
  const kind = s.slice(0, colon).toLowerCase();
  const rest = s.slice(colon + 1);
  if (kind === 'fwm' || kind === 'fwm6') {
    if (!/^\d{1,10}$/.test(rest)) throw bad();
    const fwmark = Number(rest);
    if (fwmark < 1 || fwmark > 0xffffffff) throw bad();
    return { kind: 'fwmark', af: kind === 'fwm6' ? 6 : 4, fwmark };
  }
  const protocol = NAME_PROTO[kind];
  const hp = splitHostPort(rest);
  if (protocol === undefined || !hp) throw bad();
  return { kind: 'addr', af: ipFamily(hp.addr) === 6 ? 6 : 4, protocol, addr: hp.addr, port: hp.port };
}

/** Parses a real server id (a path segment); a coded 400 when malformed. */
export function parseDestId(segment: string): DestKey {
  const s = decode(segment, 'real server');
  const hp = splitHostPort(s);
  if (!hp)
    throw new HttpError(
      400,
      'ERR_LVS_HTTP_BAD_PATH',
      `real server '${s.slice(0, 80)}': expected ADDR:PORT or [ADDR]:PORT`,
    );
  return hp;
}
