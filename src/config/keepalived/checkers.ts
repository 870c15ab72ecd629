/**
 * Checker blocks inside real_server (keepalived.conf(5); keepalived check_{tcp,http,smtp,dns,udp,misc,
 * file}.c and check_api.c common keywords).
 */
import type { Diagnostics } from '../diagnostics.js';
import type { HttpUrl } from '../model.js';
import type { RawChecker } from './raw.js';
import { timingKeyword } from './timing.js';
import type { Node } from './tree.js';
import { bool, int, ip, port, script, set, str, timer } from './values.js';

const TYPES: Record<string, RawChecker['type']> = {
  TCP_CHECK: 'tcp',
  HTTP_GET: 'http',
  SSL_GET: 'https',
  SMTP_CHECK: 'smtp',
  DNS_CHECK: 'dns',
  UDP_CHECK: 'udp',
  PING_CHECK: 'ping',
  MISC_CHECK: 'misc',
  FILE_CHECK: 'file',
  BFD_CHECK: 'bfd',
};
/** DNS query types DNS_CHECK accepts (check_dns.c). */
export const DNS_TYPES = new Set(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY']);

/**
 * Parses one checker block. Returns several checkers for SMTP_CHECK `host {}` sub-blocks (each
 * host is probed separately) and none for a block keepalived drops.
 */
export function parseChecker(d: Diagnostics, n: Node): RawChecker[] {
  const type = TYPES[n.kw];
  if (type === undefined) {
    d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${n.kw}'`, n);
    return [];
  }
  const ck: RawChecker = { type, file: n.file, line: n.line, urls: [] };
  const hosts: RawChecker[] = [];
  for (const c of n.children ?? []) {
    if (type !== 'file' && type !== 'bfd' && timingKeyword(d, c, ck, 0)) continue;
    if (type !== 'file' && type !== 'bfd' && type !== 'misc' && connKeyword(d, c, ck)) continue;
    if (!specific(d, c, ck, hosts)) d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
  }
  // check_http.c `http_get_check_end`: no url → checker dropped.
  if ((type === 'http' || type === 'https') && ck.urls.length === 0) {
    d.error('ERR_CONFIG_IGNORED', `${n.kw} has no url - ignoring`, n);
    return [];
  }
  if (type === 'misc' && ck.script === undefined) {
    d.error('ERR_CONFIG_IGNORED', 'MISC_CHECK has no misc_path - ignoring', n);
    return [];
  }
  if (type === 'file' && ck.trackFile === undefined) {
    d.error('ERR_CONFIG_IGNORED', 'FILE_CHECK has no track_file - ignoring', n);
    return [];
  }
  if (hosts.length > 0) return hosts.map((h) => ({ ...ck, ...definedOnly(h), urls: [] }));
  return [ck];
}

function definedOnly(o: RawChecker): Partial<RawChecker> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<RawChecker>;
}

function connKeyword(d: Diagnostics, c: Node, ck: RawChecker): boolean {
  switch (c.kw) {
    case 'connect_ip':
      set(ck, 'connectIp', ip(d, c));
      return true;
    case 'connect_port':
      set(ck, 'connectPort', port(d, c));
      return true;
    case 'bindto':
      set(ck, 'bindTo', ip(d, c));
      return true;
    case 'bind_if':
      set(ck, 'bindIf', str(d, c));
      return true;
    case 'bind_port':
      set(ck, 'bindPort', port(d, c));
      return true;
    case 'fwmark':
      set(ck, 'fwmark', int(d, c, 0, 0, 4294967295));
      return true;
    default:
      return false;
  }
}

function specific(d: Diagnostics, c: Node, ck: RawChecker, hosts: RawChecker[]): boolean {
  switch (ck.type) {
    case 'http':
    case 'https':
      return httpKeyword(d, c, ck);
    case 'smtp':
      if (c.kw === 'helo_name') set(ck, 'heloName', str(d, c));
      else if (c.kw === 'host' && c.children) {
        const h: RawChecker = { type: 'smtp', file: c.file, line: c.line, urls: [] };
        for (const x of c.children) {
          if (!connKeyword(d, x, h) && !timingKeyword(d, x, h, 0)) {
            d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${x.kw}'`, x);
          }
        }
        hosts.push(h);
      } else return false;
      return true;
    case 'dns':
      if (c.kw === 'type') {
        const t = (c.args[0] ?? '').toUpperCase();
        if (DNS_TYPES.has(t)) ck.dnsType = t;
        else d.error('ERR_CONFIG_BAD_VALUE', `unknown DNS check type '${c.args[0] ?? ''}'`, c);
      } else if (c.kw === 'name') set(ck, 'dnsName', str(d, c));
      else return false;
      return true;
    case 'udp':
      return udpKeyword(d, c, ck);
    case 'misc':
      if (c.kw === 'misc_path') set(ck, 'script', script(d, c));
      else if (c.kw === 'misc_timeout') set(ck, 'miscTimeout', timer(d, c));
      else if (c.kw === 'misc_dynamic') ck.miscDynamic = bool(d, c) ?? true;
      else if (c.kw === 'user') {
        if (ck.script && c.args[0])
          ck.script = { ...ck.script, user: c.args[0], ...(c.args[1] ? { group: c.args[1] } : {}) };
      } else return false;
      return true;
    case 'file':
      if (c.kw === 'track_file') set(ck, 'trackFile', str(d, c));
      else if (c.kw === 'weight') {
        set(ck, 'fileWeight', int(d, c, 0, -2147483647, 2147483647));
        ck.fileReverse = c.args[1] === 'reverse';
      } else return false;
      return true;
    case 'bfd':
      if (c.kw === 'name') set(ck, 'trackFile', str(d, c));
      else if (c.kw === 'alpha') set(ck, 'alpha', bool(d, c));
      else return false;
      return true;
    default:
      return false;
  }
}

function httpKeyword(d: Diagnostics, c: Node, ck: RawChecker): boolean {
  switch (c.kw) {
    case 'http_protocol': {
      const v = c.args[0];
      if (v === '1.0' || v === '1.0C' || v === '1.1') ck.httpProtocol = v;
      else d.error('ERR_CONFIG_BAD_VALUE', `invalid http_protocol '${v ?? ''}'`, c);
      return true;
    }
    case 'fast_recovery':
      set(ck, 'fastRecovery', bool(d, c));
      return true;
    case 'virtualhost':
      set(ck, 'virtualhost', str(d, c));
      return true;
    case 'enable_sni':
      set(ck, 'enableSni', bool(d, c));
      return true;
    case 'sni_name':
      set(ck, 'sniName', str(d, c));
      return true;
    case 'tls_compliant':
      return true;
    case 'nb_get_retry':
      d.warn('ERR_CONFIG_DEPRECATED', "nb_get_retry is deprecated - please use 'retry'", c);
      set(ck, 'retry', int(d, c, 0, 0, 2147483647));
      return true;
    case 'url': {
      const u = parseUrl(d, c);
      if (u) ck.urls.push(u);
      return true;
    }
    default:
      return false;
  }
}

function parseUrl(d: Diagnostics, n: Node): HttpUrl | undefined {
  let path: string | undefined;
  let digest: string | undefined;
  let virtualhost: string | undefined;
  let regex: string | undefined;
  let regexNoMatch = false;
  let codes: Array<[number, number]> = [];
  for (const c of n.children ?? []) {
    switch (c.kw) {
      case 'path':
        path = str(d, c) ?? path;
        break;
      case 'digest': {
        const h = c.args[0] ?? '';
        if (/^[0-9a-fA-F]{32}$/.test(h)) digest = h.toLowerCase();
        else d.error('ERR_CONFIG_BAD_VALUE', `digest '${h}' is not 32 hex digits`, c);
        break;
      }
      case 'status_code':
        for (const a of c.args) {
          const m = /^(\d{3})(?:-(\d{3}))?$/.exec(a);
          const lo = Number(m?.[1]);
          const hi = m?.[2] === undefined ? lo : Number(m[2]);
          if (m && lo >= 100 && hi <= 599 && lo <= hi) codes.push([lo, hi]);
          else d.error('ERR_CONFIG_BAD_VALUE', `invalid status_code '${a}'`, c);
        }
        break;
      case 'virtualhost':
        virtualhost = str(d, c) ?? virtualhost;
        break;
      case 'regex':
        regex = str(d, c) ?? regex;
        break;
      case 'regex_no_match':
        regexNoMatch = true;
        break;
      case 'regex_options':
      case 'regex_stack':
      case 'regex_min_offset':
      case 'regex_max_offset':
        break;
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  if (path === undefined) {
    d.error('ERR_CONFIG_IGNORED', 'url has no path - ignoring', n);
    return undefined;
  }
  if (codes.length === 0) codes = [[200, 299]];
  return {
    path,
    statusCodes: codes,
    regexNoMatch,
    ...(digest ? { digest } : {}),
    ...(virtualhost ? { virtualhost } : {}),
    ...(regex ? { regex } : {}),
  };
}

function udpKeyword(d: Diagnostics, c: Node, ck: RawChecker): boolean {
  switch (c.kw) {
    case 'payload': {
      const h = parseHex(c.args.join(' '));
      if (h) ck.payload = h.bytes;
      else d.error('ERR_CONFIG_BAD_VALUE', 'invalid payload hex', c);
      return true;
    }
    case 'require_reply': {
      const h = parseHex(c.args.join(' '));
      if (h) ck.requireReply = h;
      else d.error('ERR_CONFIG_BAD_VALUE', 'invalid require_reply hex', c);
      return true;
    }
    case 'min_reply_length':
      set(ck, 'minReplyLength', int(d, c, 0, 0, 65535));
      return true;
    case 'max_reply_length':
      set(ck, 'maxReplyLength', int(d, c, 0, 0, 65535));
      return true;
    default:
      return false;
  }
}

/**
 * Parses keepalived's free-form HEX: whitespace separates groups, each group is read as pairs
 * of nibbles with a lone trailing nibble padded on the left ("Ab12f 3 456" → AB 12 0F 03 45 06);
 * an `X` nibble is a wildcard (mask nibble 0).
 */
export function parseHex(s: string): { bytes: Uint8Array; mask: Uint8Array } | undefined {
  const bytes: number[] = [];
  const mask: number[] = [];
  for (const group of s.trim().split(/\s+/).filter(Boolean)) {
    if (!/^[0-9a-fA-FxX]+$/.test(group)) return undefined;
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.length - i === 1 ? `0${group[i]}` : group.slice(i, i + 2);
      let b = 0;
      let m = 0;
      for (const ch of pair) {
        b <<= 4;
        m <<= 4;
        if (ch !== 'x' && ch !== 'X') {
          b |= Number.parseInt(ch, 16);
          m |= 0xf;
        }
      }
      bytes.push(b);
      mask.push(m);
    }
  }
  return { bytes: Uint8Array.from(bytes), mask: Uint8Array.from(mask) };
}
