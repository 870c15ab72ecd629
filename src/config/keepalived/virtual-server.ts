/**
 * virtual_server, real_server and virtual_server_group blocks (keepalived.conf(5), keepalived
 * check_parser.c). Values are read as written; defaults and fix-ups are applied in validate.ts.
 */
import { type Af, canonicalIp, ipFamily } from '../../core/addr.js';
import { FWD, PROTO, SVC_F, TUN_F, TUN_TYPE } from '../../core/types.js';
import type { Diagnostics } from '../diagnostics.js';
import { parseChecker } from './checkers.js';
import type { RawMethod, RawReal, RawVs } from './raw.js';
import { timingKeyword } from './timing.js';
import type { Node } from './tree.js';
import { bool, INT32_MAX, int, ip, port, script, set, str } from './values.js';

/** Schedulers keepalived accepts (check_parser.c `lvs_schedulers`). */
export const KEEPALIVED_SCHEDULERS = new Set([
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'sh',
  'mh',
  'dh',
  'fo',
  'ovf',
  'lblcr',
  'sed',
  'nq',
  'twos',
]);
const MAX_PERSIST = 31 * 24 * 3600;

/** Reads `lvs_method`/`lb_kind` arguments from index `i` (check_parser.c `svr_forwarding_handler`). */
export function parseMethod(d: Diagnostics, n: Node, i = 0): RawMethod | undefined {
  const kind = (n.args[i] ?? '').toUpperCase();
  if (kind === 'NAT') return { fwd: FWD.MASQ, tunType: 0, tunPort: 0, tunFlags: 0 };
  if (kind === 'DR') return { fwd: FWD.DROUTE, tunType: 0, tunPort: 0, tunFlags: 0 };
  if (kind !== 'TUN') {
    d.error('ERR_CONFIG_BAD_VALUE', `unknown [${n.args[i] ?? ''}] routing method`, n);
    return undefined;
  }
  let tunType: number = TUN_TYPE.IPIP;
  let tunPort = 0;
  let tunFlags: number = TUN_F.NOCSUM;
  let csumSet = false;
  for (let j = i + 1; j < n.args.length; j++) {
    const a = n.args[j]!;
    if (a === 'type') {
      const t = n.args[++j];
      if (t === 'ipip') tunType = TUN_TYPE.IPIP;
      else if (t === 'gue') tunType = TUN_TYPE.GUE;
      else if (t === 'gre') tunType = TUN_TYPE.GRE;
      else return bad(d, n, `unknown tunnel type '${t ?? ''}'`);
    } else if (a === 'port') {
      const p = Number(n.args[++j]);
      if (!Number.isInteger(p) || p < 1 || p > 65535) return bad(d, n, 'invalid tunnel port');
      tunPort = p;
    } else if (a === 'nocsum' || a === 'csum' || a === 'remcsum') {
      tunFlags = a === 'nocsum' ? TUN_F.NOCSUM : a === 'csum' ? TUN_F.CSUM : TUN_F.REMCSUM;
      csumSet = true;
    } else return bad(d, n, `unknown tunnel option '${a}'`);
  }
  // check_data.c: gue requires a port, others forbid it; ipip takes no checksum option; gre no remcsum.
  if (tunType === TUN_TYPE.GUE && tunPort === 0) return bad(d, n, 'GUE tunnel requires a port');
  if (tunType !== TUN_TYPE.GUE && tunPort !== 0) return bad(d, n, 'tunnel port only valid for GUE');
  if (tunType === TUN_TYPE.IPIP && csumSet) return bad(d, n, 'IPIP tunnel takes no checksum option');
  if (tunType === TUN_TYPE.GRE && tunFlags === TUN_F.REMCSUM)
    return bad(d, n, 'GRE tunnel cannot use remcsum');
  return { fwd: FWD.TUNNEL, tunType, tunPort, tunFlags };
}

function bad(d: Diagnostics, n: Node, msg: string): undefined {
  d.error('ERR_CONFIG_BAD_VALUE', `${n.kw}: ${msg}`, n);
  return undefined;
}

function family(addr: string): Af {
  return ipFamily(addr) === 6 ? 6 : 4;
}

/** Parses a `virtual_server` block; undefined when its header is unusable. */
export function parseVirtualServer(d: Diagnostics, n: Node): RawVs | undefined {
  const base = {
    file: n.file,
    line: n.line,
    af: 4 as Af,
    port: 0,
    flags: 0,
    ops: false,
    haSuspend: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    weight: 1,
    inhibit: false,
    reals: [] as RawReal[],
  };
  let vs: RawVs;
  const a0 = n.args[0];
  if (a0 === 'fwmark') {
    const m = int(d, n, 1, 0, 4294967295);
    if (m === undefined) return undefined;
    vs = { ...base, kind: 'fwmark', fwmark: m };
  } else if (a0 === 'group') {
    const g = str(d, n, 1);
    if (g === undefined) return undefined;
    vs = { ...base, kind: 'group', group: g };
  } else {
    const addr = ip(d, n, 0);
    if (addr === undefined) return undefined;
    const p = n.args[1] === undefined ? 0 : port(d, n, 1);
    if (p === undefined) return undefined;
    vs = { ...base, kind: 'addr', addr, af: family(addr), port: p };
  }
  for (const c of n.children ?? []) vsKeyword(d, c, vs);
  return vs;
}

function vsKeyword(d: Diagnostics, c: Node, vs: RawVs): void {
  if (timingKeyword(d, c, vs, 1)) return;
  switch (c.kw) {
    case 'real_server': {
      const rs = parseRealServer(d, c);
      if (rs) vs.reals.push(rs);
      return;
    }
    case 'lvs_sched':
    case 'lb_algo': {
      const s = str(d, c);
      if (s !== undefined && KEEPALIVED_SCHEDULERS.has(s)) vs.sched = s;
      else if (s !== undefined) d.error('ERR_CONFIG_BAD_VALUE', `invalid lvs_scheduler '${s}' - ignoring`, c);
      return;
    }
    case 'lvs_method':
    case 'lb_kind':
      set(vs, 'method', parseMethod(d, c));
      return;
    case 'ops':
      vs.ops = true;
      return;
    case 'hashed':
      return; // legacy flag, accepted with no effect (check_parser.c)
    case 'flag-1':
    case 'flag-2':
    case 'flag-3':
    case 'sh-port':
    case 'sh-fallback':
    case 'mh-port':
    case 'mh-fallback':
      schedFlag(d, c, vs);
      return;
    case 'persistence_engine':
      set(vs, 'pe', str(d, c));
      return;
    case 'persistence_timeout':
      vs.persistTimeout = c.args.length === 0 ? 360 : (int(d, c, 0, 1, MAX_PERSIST) ?? vs.persistTimeout);
      return;
    case 'persistence_granularity':
      granularity(d, c, vs);
      return;
    case 'protocol': {
      const p = (c.args[0] ?? '').toUpperCase();
      const v = p === 'TCP' ? PROTO.TCP : p === 'UDP' ? PROTO.UDP : p === 'SCTP' ? PROTO.SCTP : undefined;
      if (v === undefined) d.error('ERR_CONFIG_BAD_VALUE', `unknown protocol '${c.args[0] ?? ''}'`, c);
      else vs.protocol = v;
      return;
    }
    case 'ha_suspend':
      vs.haSuspend = true;
      return;
    case 'smtp_alert':
      set(vs, 'smtpAlert', bool(d, c));
      return;
    case 'virtualhost':
      set(vs, 'virtualhost', str(d, c));
      return;
    case 'snmp_name':
      set(vs, 'name', str(d, c));
      return;
    case 'omega':
      vs.omega = true;
      return;
    case 'quorum':
      set(vs, 'quorum', int(d, c, 0, 1, 4294967295));
      return;
    case 'hysteresis':
      set(vs, 'hysteresis', int(d, c, 0, 0, 4294967295));
      return;
    case 'quorum_up':
      set(vs, 'quorumUp', script(d, c));
      return;
    case 'quorum_down':
      set(vs, 'quorumDown', script(d, c));
      return;
    case 'ip_family': {
      const f = c.args[0];
      if (f === 'inet' || f === 'inet6') vs.ipFamily = f === 'inet' ? 4 : 6;
      else d.error('ERR_CONFIG_BAD_VALUE', `unknown ip_family '${f ?? ''}'`, c);
      return;
    }
    case 'weight':
      set(vs, 'weight', int(d, c, 0, 1, INT32_MAX));
      return;
    case 'sorry_server': {
      const addr = ip(d, c, 0);
      const p = c.args[1] === undefined ? undefined : port(d, c, 1);
      if (addr !== undefined) vs.sorry = { addr, af: family(addr), port: p, inhibit: false, pos: c };
      return;
    }
    case 'sorry_server_inhibit':
      if (vs.sorry) vs.sorry.inhibit = bool(d, c) ?? true;
      else d.error('ERR_CONFIG_CONFLICT', 'sorry_server_inhibit must follow sorry_server', c);
      return;
    case 'sorry_server_lvs_method':
      if (vs.sorry) set(vs.sorry, 'method', parseMethod(d, c));
      else d.error('ERR_CONFIG_CONFLICT', 'sorry_server_lvs_method must follow sorry_server', c);
      return;
    case 'inhibit_on_failure':
      vs.inhibit = bool(d, c) ?? vs.inhibit;
      return;
    case 'nb_get_retry':
      d.warn('ERR_CONFIG_DEPRECATED', "nb_get_retry is deprecated - please use 'retry'", c);
      set(vs, 'retry', int(d, c, 0, 1, INT32_MAX));
      return;
    default:
      d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
  }
}

function schedFlag(d: Diagnostics, c: Node, vs: RawVs): void {
  // sh-*/mh-* are only valid after `lvs_sched sh|mh` (check_parser.c `lbflags_handler`).
  const need = c.kw.startsWith('sh-') ? 'sh' : c.kw.startsWith('mh-') ? 'mh' : undefined;
  if (need && vs.sched !== need) {
    d.error('ERR_CONFIG_CONFLICT', `${c.kw} is only valid for scheduler ${need} (after lvs_sched)`, c);
    return;
  }
  const bit =
    c.kw === 'flag-1' || c.kw.endsWith('-fallback')
      ? SVC_F.SCHED1
      : c.kw === 'flag-2' || c.kw.endsWith('-port')
        ? SVC_F.SCHED2
        : SVC_F.SCHED3;
  vs.flags |= bit;
}

function granularity(d: Diagnostics, c: Node, vs: RawVs): void {
  const g = c.args[0] ?? '';
  const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(g) && canonicalIp(g) !== undefined;
  const v6 = /^\d+$/.test(g) && Number(g) >= 1 && Number(g) <= 128;
  if (!v4 && !v6) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid persistence_granularity '${g}'`, c);
    return;
  }
  vs.granularity = g;
  if (vs.persistTimeout === undefined) vs.persistTimeout = 360;
}

/** Parses a `real_server` block. */
export function parseRealServer(d: Diagnostics, n: Node): RawReal | undefined {
  const addr = ip(d, n, 0);
  if (addr === undefined) return undefined;
  const p = n.args[1] === undefined ? undefined : port(d, n, 1);
  const rs: RawReal = {
    file: n.file,
    line: n.line,
    addr,
    af: family(addr),
    port: p,
    uThreshold: 0,
    lThreshold: 0,
    checkers: [],
  };
  for (const c of n.children ?? []) {
    if (timingKeyword(d, c, rs, 1)) continue;
    if (c.children !== undefined && /_CHECK$|^HTTP_GET$|^SSL_GET$/.test(c.kw)) {
      rs.checkers.push(...parseChecker(d, c));
      continue;
    }
    switch (c.kw) {
      case 'weight':
        set(rs, 'weight', int(d, c, 0, 0, INT32_MAX));
        break;
      case 'lvs_method':
      case 'lb_kind':
        set(rs, 'method', parseMethod(d, c));
        break;
      case 'notify_up':
        set(rs, 'notifyUp', script(d, c));
        break;
      case 'notify_down':
        set(rs, 'notifyDown', script(d, c));
        break;
      case 'uthreshold':
        set(rs, 'uThreshold', int(d, c, 0, 0, 4294967295));
        break;
      case 'lthreshold':
        set(rs, 'lThreshold', int(d, c, 0, 0, 4294967295));
        break;
      case 'smtp_alert':
        set(rs, 'smtpAlert', bool(d, c));
        break;
      case 'virtualhost':
        set(rs, 'virtualhost', str(d, c));
        break;
      case 'snmp_name':
        break;
      case 'inhibit_on_failure':
        set(rs, 'inhibit', bool(d, c));
        break;
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  return rs;
}
