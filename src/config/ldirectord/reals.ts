/**
 * ldirectord.cf server lines: `real=` (address ranges, forwarding method, weight, per-server
 * request/receive and thresholds) and `fallback=`, with addresses and ports resolved as
 * ldirectord does. Split from parser.ts, which maps whole virtual sections.
 */
import { canonicalIp, ipFamily } from '../../core/addr.js';
import { type DestConfig, FWD } from '../../core/types.js';
import type { Diagnostics } from '../diagnostics.js';
import { PORT_NAMES } from './checks.js';
import type { LdFallback, LdirectordOptions } from './directives.js';

/** A literal address of family `af`, or a host name through `opts.resolveHost`; undefined if neither fits. */
export function resolveAddr(host: string, af: 4 | 6, opts: LdirectordOptions): string | undefined {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  const lit = canonicalIp(h);
  if (lit) return ipFamily(lit) === af ? lit : undefined;
  const r = opts.resolveHost?.(h, af);
  const c = r === undefined ? undefined : canonicalIp(r);
  return c && ipFamily(c) === af ? c : undefined;
}

/** Resolves a numeric port or a service name (ldirectord `ld_getservbyname`). */
export function resolvePort(p: string): number | undefined {
  if (/^\d+$/.test(p)) return Number(p) <= 65535 ? Number(p) : undefined;
  return PORT_NAMES[p];
}

/** ldirectord forwarding method names. */
const FWD_OF = { gate: FWD.DROUTE, masq: FWD.MASQ, ipip: FWD.TUNNEL } as const;

/** The sorry server of a `fallback=` line (weight 1; port defaults to the virtual port). */
export function fallbackDest(
  d: Diagnostics,
  file: string,
  fb: LdFallback,
  af: 4 | 6,
  vport: number,
  opts: LdirectordOptions,
): DestConfig | undefined {
  const addr = resolveAddr(fb.host, af, opts);
  const port = fb.port === undefined ? vport : resolvePort(fb.port);
  if (!addr || port === undefined) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid fallback server ${fb.host}`, { file, line: fb.line });
    return undefined;
  }
  return {
    addr,
    port,
    af,
    fwd: FWD_OF[fb.forward],
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
  };
}

/** One real server of a `real=` line, with its own check request/receive when given. */
export interface ParsedReal {
  dest: DestConfig;
  request?: string;
  receive?: string;
}

const REAL_RE =
  /^(\d+\.\d+\.\d+\.\d+|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?:->(\d+\.\d+\.\d+\.\d+|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]))?(?::(\d+|[A-Za-z0-9_-]+))?\s+(.*)$/;

/** Parses a `real=` value (ldirectord `_ld_read_config_real_resolve`, `add_real_server`). */
export function parseReal(
  d: Diagnostics,
  file: string,
  line: number,
  spec: string,
  af: 4 | 6,
  opts: LdirectordOptions,
): ParsedReal[] {
  const pos = { file, line };
  const m = REAL_RE.exec(spec.trim());
  if (!m) {
    d.error('ERR_CONFIG_SYNTAX', 'invalid address for real server (wrong format)', pos);
    return [];
  }
  const first = resolveAddr(m[1]!, af, opts);
  const port = resolvePort(m[3] ?? '0');
  if (!first || port === undefined) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid address (${m[1]}) or port for real server`, pos);
    return [];
  }
  const f =
    /^(gate|masq|ipip)(?:\s+(\d+))?(?:\s+"(.*)"[, ]\s*"(.*?)")?(?:\s+l:(\d+))?(?:\s+u:(\d+))?\s*$/.exec(
      m[4]!,
    );
  if (!f) {
    d.error(
      'ERR_CONFIG_SYNTAX',
      /^(gate|masq|ipip)\b/.test(m[4]!)
        ? `invalid real server line, around "${m[4]}"`
        : 'forward method must be gate, masq or ipip',
      pos,
    );
    return [];
  }
  let addrs = [first];
  if (m[2] !== undefined) {
    const last = resolveAddr(m[2], af, opts);
    if (af === 6) {
      d.error('ERR_CONFIG_BAD_VALUE', 'address range for IPv6 is not supported yet', pos);
      return [];
    }
    const a = v4num(first);
    const b = last ? v4num(last) : -1;
    if (b < a || b - a > 4095) {
      d.error('ERR_CONFIG_BAD_VALUE', `invalid range ${m[1]}->${m[2]}`, pos);
      return [];
    }
    addrs = [];
    for (let i = a; i <= b; i++) addrs.push([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255].join('.'));
  }
  const request = f[3] === undefined ? undefined : f[3].startsWith('/') ? f[3] : `/${f[3]}`;
  return addrs.map((addr) => ({
    dest: {
      addr,
      port,
      af,
      fwd: FWD_OF[f[1] as keyof typeof FWD_OF],
      weight: f[2] === undefined ? 1 : Number(f[2]),
      lThreshold: Number(f[5] ?? 0),
      uThreshold: Number(f[6] ?? 0),
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    },
    ...(request !== undefined ? { request, receive: f[4]! } : {}),
  }));
}

function v4num(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
