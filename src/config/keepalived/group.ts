/**
 * virtual_server_group blocks (keepalived.conf(5), keepalived check_parser.c `vsg_handler`): addresses,
 * address ranges and fwmarks that share one real-server list.
 */
import { type Af, canonicalIp, ipFamily } from '../../core/addr.js';
import type { Diagnostics } from '../diagnostics.js';
import type { RawGroup, RawGroupEntry } from './raw.js';
import type { Node } from './tree.js';
import { int, port, str } from './values.js';

function family(addr: string): Af {
  return ipFamily(addr) === 6 ? 6 : 4;
}

/** Parses a `virtual_server_group` block (check_parser.c `vsg_handler`). */
export function parseGroup(d: Diagnostics, n: Node): RawGroup | undefined {
  const name = str(d, n, 0);
  if (name === undefined) return undefined;
  const entries: RawGroupEntry[] = [];
  for (const c of n.children ?? []) {
    if (c.kw === 'fwmark') {
      const m = int(d, c, 0, 0, 4294967295);
      const fam = c.args[1];
      if (m === undefined) continue;
      if (fam !== undefined && fam !== 'inet' && fam !== 'inet6') {
        d.error('ERR_CONFIG_BAD_VALUE', `unknown family '${fam}'`, c);
        continue;
      }
      entries.push({ kind: 'fwmark', fwmark: m, ...(fam ? { af: fam === 'inet' ? 4 : 6 } : {}), pos: c });
      continue;
    }
    const p = c.args[0] === undefined ? 0 : port(d, c, 0);
    if (p === undefined) continue;
    const addrs = expandRange(c.kw);
    if (addrs === undefined) {
      d.error('ERR_CONFIG_BAD_VALUE', `invalid virtual server group entry '${c.kw}'`, c);
      continue;
    }
    for (const a of addrs) entries.push({ kind: 'addr', addr: a, af: family(a), port: p, pos: c });
  }
  if (entries.length === 0)
    d.error('ERR_CONFIG_IGNORED', `virtual server group ${name} is empty - removing`, n);
  const fams = new Set(entries.map((e) => (e.kind === 'addr' ? e.af : (e.af ?? 0))));
  if (fams.has(4) && fams.has(6) && fams.has(0)) {
    d.error(
      'ERR_CONFIG_CONFLICT',
      `virtual server group ${name} mixes IPv4, IPv6 and family-less fwmarks`,
      n,
    );
  }
  return { file: n.file, line: n.line, name, entries };
}

const MAX_RANGE = 4096;

/** Expands `a.b.c.d`, `a.b.c.d-e`, `a.b.c.d/nn`, `v6::x-y` to addresses (capped). */
export function expandRange(s: string): string[] | undefined {
  const single = canonicalIp(s);
  if (single) return [single];
  const dash = /^(.*?)-([0-9a-fA-F.]+)$/.exec(s);
  if (dash) {
    const start = canonicalIp(dash[1]!);
    if (!start) return undefined;
    if (ipFamily(start) === 4) {
      const oct = start.split('.').map(Number);
      const endParts = dash[2]!.split('.').map(Number);
      if (endParts.some((x) => !Number.isInteger(x) || x > 255) || endParts.length > 4) return undefined;
      const end = [...oct.slice(0, 4 - endParts.length), ...endParts];
      return v4Range(toNum(oct), toNum(end));
    }
    const last = Number.parseInt(start.split(':').pop() || '0', 16);
    const endV = Number.parseInt(dash[2]!, 16);
    if (!(endV >= last) || endV > 0xffff || endV - last >= MAX_RANGE) return undefined;
    const prefix = start.slice(0, start.lastIndexOf(':') + 1);
    const out: string[] = [];
    for (let v = last; v <= endV; v++) out.push(canonicalIp(prefix + v.toString(16))!);
    return out;
  }
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
  if (cidr && canonicalIp(cidr[1]!) && Number(cidr[2]) <= 32) {
    const base = toNum(cidr[1]!.split('.').map(Number));
    const size = 2 ** (32 - Number(cidr[2]));
    const net = base - (base % size);
    return v4Range(net, net + size - 1);
  }
  return undefined;
}

function toNum(o: number[]): number {
  return ((o[0]! * 256 + o[1]!) * 256 + o[2]!) * 256 + o[3]!;
}

function v4Range(a: number, b: number): string[] | undefined {
  if (b < a || b - a >= MAX_RANGE) return undefined;
  const out: string[] = [];
  for (let v = a; v <= b; v++) out.push([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
  return out;
}
