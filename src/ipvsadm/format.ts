/**
 * ipvsadm 1.31's listings, byte for byte: list_all/list_service/print_service_entry for every
 * -L view, list_conn for -c, list_timeout, list_daemon and the -S save format. Pure: names come
 * from a Resolver. Formats were checked against the real binary (test/fixtures/ipvsadm/golden).
 */

import type {
  ConnView,
  DaemonView,
  ServiceView,
  Snapshot,
  StatsView,
  TimeoutsView,
} from '../control/views.js';
import { type Af, ipBytes } from '../core/addr.js';
import { CONN_F } from '../core/conn-record.js';
import { FWD, PROTO, SVC_F, TUN_F, TUN_TYPE } from '../core/types.js';
import type { ListFormat } from './parse.js';
import { NUMERIC_RESOLVER, type Resolver, type ServiceProto } from './resolve.js';
import { sortDests, sortServices } from './sort.js';

/** Left-justifies like printf `%-Ns`. */
const ljust = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
/** Right-justifies like printf `%Ns`. */
const rjust = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

const protoOf = (p: number): ServiceProto | undefined =>
  p === PROTO.TCP ? 'tcp' : p === PROTO.UDP ? 'udp' : undefined;

/** addrport_to_anyname: numeric or resolved `addr:port`, IPv6 in brackets, cut to 59 bytes. */
export function addrPort(
  af: Af,
  addr: string,
  port: number,
  proto: number,
  numeric: boolean,
  r: Resolver,
): string {
  const [l, rb] = af === 6 ? ['[', ']'] : ['', ''];
  const host = numeric ? addr : (r.addrToHost(addr, af) ?? addr);
  const p = protoOf(proto);
  const svc = numeric || !p ? String(port) : (r.portToService(port, p) ?? String(port));
  return `${l}${host}${rb}:${svc}`.slice(0, 59); // malloc(60) + snprintf
}

/** print_largenum: K/M/G/T scaled into 9 columns, or exact with one leading space (--exact). */
export function largenum(n: number, exact: boolean): string {
  if (exact) {
    const s = String(n);
    return rjust(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 1e8) return rjust(String(n), 9);
  if (n < 1e9) return `${rjust(String(Math.floor(n / 1e3)), 8)}K`;
  if (n < 1e11) return `${rjust(String(Math.floor(n / 1e6)), 8)}M`;
  if (n < 1e14) return `${rjust(String(Math.floor(n / 1e9)), 8)}G`;
  return `${rjust(String(Math.floor(n / 1e12)), 8)}T`;
}

/** Forward column names (fwd_name), FULLNAT spelled as DPVS's ipvsadm prints it. */
const FWD_NAME: Record<number, string> = {
  [FWD.MASQ]: 'Masq',
  [FWD.LOCALNODE]: 'Local',
  [FWD.TUNNEL]: 'Tunnel',
  [FWD.DROUTE]: 'Route',
  [FWD.FULLNAT]: 'FullNat',
};
/** Save-format switches (fwd_switch): local node saves as -g; FULLNAT as DPVS's -b. */
const FWD_SWITCH: Record<number, string> = {
  [FWD.MASQ]: '-m',
  [FWD.LOCALNODE]: '-g',
  [FWD.TUNNEL]: '-i',
  [FWD.DROUTE]: '-g',
  [FWD.FULLNAT]: '-b',
};

/** Scheduler flag names: sh/mh own SCHED1/2 (SCHED3 prints nothing there), others flag-N. */
function schedFlagList(sched: string, flags: number): string {
  const out: string[] = [];
  if (sched === 'sh' || sched === 'mh') {
    if (flags & SVC_F.SCHED1) out.push(`${sched}-fallback`);
    if (flags & SVC_F.SCHED2) out.push(`${sched}-port`);
  } else {
    if (flags & SVC_F.SCHED1) out.push('flag-1');
    if (flags & SVC_F.SCHED2) out.push('flag-2');
    if (flags & SVC_F.SCHED3) out.push('flag-3');
  }
  return out.join(',');
}
const SCHED_MASK = SVC_F.SCHED1 | SVC_F.SCHED2 | SVC_F.SCHED3;

/** ipvsadm's service label: `TCP  addr:port` cut to 33 bytes (IPv4), `FWM  n [IPv6]`, or -S form. */
function serviceName(s: ServiceView, rule: boolean, numeric: boolean, r: Resolver): string {
  const k = s.key;
  if (k.kind === 'fwmark') {
    if (rule) return k.af === 6 ? `-f ${k.fwmark} -6` : `-f ${k.fwmark}`;
    return k.af === 6 ? `FWM  ${k.fwmark} IPv6` : `FWM  ${k.fwmark}`;
  }
  const v = addrPort(k.af, k.addr, k.port, k.protocol, numeric, r);
  if (rule)
    return `${k.protocol === PROTO.TCP ? '-t' : k.protocol === PROTO.UDP ? '-u' : '--sctp-service'} ${v}`;
  const name = `${ljust(k.protocol === PROTO.TCP ? 'TCP' : k.protocol === PROTO.UDP ? 'UDP' : 'SCTP', 4)} ${v}`;
  return k.af === 6 ? name : name.slice(0, 33);
}

/** Netmask suffix value, or undefined when it is the full-length default. */
function maskText(s: ServiceView): string | undefined {
  const m = s.config.netmask;
  if (s.key.af === 6) return m === '128' || m === '' ? undefined : m;
  return m === '255.255.255.255' || m === '' ? undefined : m;
}

const TUN_CSUM: Record<number, string> = { [TUN_F.NOCSUM]: '-c', [TUN_F.CSUM]: '+c', [TUN_F.REMCSUM]: 'r+c' };
const TUN_OPT: Record<number, string> = {
  [TUN_F.NOCSUM]: '--tun-nocsum',
  [TUN_F.CSUM]: '--tun-csum',
  [TUN_F.REMCSUM]: '--tun-remcsum',
};

function statsCols(st: StatsView, exact: boolean): string {
  return [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes].map((n) => largenum(n, exact)).join('');
}

/** One service and its destinations, as print_service_entry writes them. */
export function serviceEntry(s: ServiceView, f: ListFormat & { rule?: boolean }, r: Resolver): string {
  const rule = f.rule === true;
  const name = serviceName(s, rule, f.numeric, r);
  const c = s.config;
  const persistent = (c.flags & SVC_F.PERSISTENT) !== 0;
  const mask = maskText(s);
  let out: string;
  if (rule) {
    out = `-A ${name} -s ${c.scheduler}`;
    if (persistent) out += ` -p ${c.timeout}${mask !== undefined ? ` -M ${mask}` : ''}`;
    if (c.pe) out += ` --pe ${c.pe}`;
    if (c.flags & SVC_F.ONEPACKET) out += ' -o';
    if (c.flags & SCHED_MASK) out += ` -b ${schedFlagList(c.scheduler, c.flags)}`;
  } else if (f.stats) {
    out = ljust(name, 33) + statsCols(s.stats, f.exact);
  } else if (f.rate) {
    const t = s.rates;
    out =
      ljust(name, 33) +
      [t.cps, t.inpps, t.outpps, t.inbps, t.outbps].map((n) => largenum(n, f.exact)).join('');
  } else {
    out = `${name} ${c.scheduler}`;
    if (c.flags & SCHED_MASK) out += ` (${schedFlagList(c.scheduler, c.flags)})`;
    if (persistent) out += ` persistent ${c.timeout}${mask !== undefined ? ` mask ${mask}` : ''}`;
    if (c.pe) out += ` pe ${c.pe}`;
    if (c.flags & SVC_F.ONEPACKET) out += ' ops';
  }
  out += '\n';
  const proto = s.key.kind === 'fwmark' ? PROTO.TCP : s.key.protocol;
  for (const d of f.nosort ? s.dests : sortDests(s.dests)) {
    let dn = addrPort(d.af, d.addr, d.port, proto, f.numeric, r);
    if (!rule && s.key.af !== 6) dn = dn.slice(0, 28);
    if (rule) {
      out += `-a ${name} -r ${dn} ${FWD_SWITCH[d.fwd] ?? '-g'} -w ${d.weight}`;
      if (d.fwd === FWD.TUNNEL) {
        if (d.tunType === TUN_TYPE.GUE)
          out += ` --tun-type gue --tun-port ${d.tunPort} ${TUN_OPT[d.tunFlags] ?? ''}`;
        else if (d.tunType === TUN_TYPE.GRE) out += ` --tun-type gre ${TUN_OPT[d.tunFlags] ?? ''}`;
        else out += ' --tun-type ipip';
      }
      // Our extension: saved so that -R restores it (ipvsadm has no such option).
      if (d.proxyProtocol) out += ` --proxy-protocol v${d.proxyProtocol}`;
      out += '\n';
    } else if (f.stats) out += `  -> ${ljust(dn, 28)}${statsCols(d.stats, f.exact)}\n`;
    else if (f.rate) {
      const t = d.rates;
      out += `  -> ${ljust(dn, 28)} ${rjust(String(t.cps), 8)} ${rjust(String(t.inpps), 8)} ${rjust(String(t.outpps), 8)}`;
      out += `${largenum(t.inbps, f.exact)}${largenum(t.outbps, f.exact)}\n`;
    } else if (f.thresholds) {
      out += `  -> ${ljust(dn, 28)} ${[d.uThreshold, d.lThreshold, d.activeConns, d.inactConns].map((n) => ljust(String(n), 10)).join(' ')}\n`;
    } else if (f.persistentConn) {
      out += `  -> ${ljust(dn, 28)} ${ljust(String(d.weight), 9)} ${ljust(String(d.persistConns), 11)} ${ljust(String(d.activeConns), 10)} ${ljust(String(d.inactConns), 10)}\n`;
    } else {
      const fwd = ljust(FWD_NAME[d.fwd] ?? '', 7);
      const tail = `${ljust(String(d.weight), 6)} ${ljust(String(d.activeConns), 10)} ${ljust(String(d.inactConns), 10)}\n`;
      out += f.tunInfo
        ? `  -> ${ljust(dn, 28)} ${fwd} ${ljust(tunnelInfo(d), 13)} ${tail}`
        : `  -> ${ljust(dn, 28)} ${fwd} ${tail}`;
    }
  }
  return out;
}

/** The TunnelInfo column: ipip, gue:PORT:CSUM, gre:CSUM, or n/a for non-tunnel dests. */
function tunnelInfo(d: { fwd: number; tunType: number; tunPort: number; tunFlags: number }): string {
  if (d.fwd !== FWD.TUNNEL) return 'n/a';
  const cs = TUN_CSUM[d.tunFlags] ?? '-c';
  if (d.tunType === TUN_TYPE.GUE) return `gue:${d.tunPort}:${cs}`;
  if (d.tunType === TUN_TYPE.GRE) return `gre:${cs}`;
  return 'ipip';
}

/** print_title: the two column-heading lines of a services listing (none for -S). */
export function title(f: ListFormat): string {
  const head = (cols: string) => `${ljust('Prot LocalAddress:Port', 33)} ${cols}\n  -> RemoteAddress:Port\n`;
  const r8 = (a: string[]) => a.map((x) => rjust(x, 8)).join(' ');
  if (f.stats) return head(r8(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes']));
  if (f.rate) return head(r8(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS']));
  if (f.thresholds)
    return head(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((x) => ljust(x, 10)).join(' '));
  if (f.persistentConn) {
    return head(
      `${ljust('Weight', 9)} ${ljust('PersistConn', 11)} ${ljust('ActiveConn', 10)} ${ljust('InActConn', 10)}`,
    );
  }
  const second = f.tunInfo
    ? '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n'
    : '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  return `Prot LocalAddress:Port Scheduler Flags\n${second}`;
}

/** list_all: version line, titles, every service (sorted unless --nosort). */
export function formatServices(snap: Snapshot, f: ListFormat, r: Resolver = NUMERIC_RESOLVER): string {
  let out = `IP Virtual Server version 1.2.1 (size=${snap.connTabSize})\n${title(f)}`;
  for (const s of f.nosort ? snap.services : sortServices(snap.services)) out += serviceEntry(s, f, r);
  return out;
}

/** list_service: `-L -t VIP:port` prints titles and the one service, no version line. */
export function formatOneService(s: ServiceView, f: ListFormat, r: Resolver = NUMERIC_RESOLVER): string {
  return title(f) + serviceEntry(s, f, r);
}

/** `-S [-n]`: the rules that rebuild the table (thresholds, timeouts and daemons are not saved). */
export function formatSave(snap: Snapshot, numeric: boolean, r: Resolver = NUMERIC_RESOLVER): string {
  const f: ListFormat & { rule: true } = {
    rule: true,
    numeric,
    stats: false,
    rate: false,
    thresholds: false,
    persistentConn: false,
    tunInfo: false,
    exact: false,
    nosort: false,
  };
  return sortServices(snap.services)
    .map((s) => serviceEntry(s, f, r))
    .join('');
}

const PROTO_NAME: Record<number, string> = {
  0: 'IP',
  6: 'TCP',
  17: 'UDP',
  132: 'SCTP',
  1: 'ICMP',
  58: 'ICMPv6',
};

/** list_conn: `-c` rows as ipvsadm reprints /proc/net/ip_vs_conn; PE columns with --persistent-conn. */
export function formatConnections(
  conns: readonly ConnView[],
  f: ListFormat,
  r: Resolver = NUMERIC_RESOLVER,
): string {
  if (f.syncOrigin) return formatConnSync(conns);
  let out = 'IPVS connection entries\n';
  out += f.persistentConn
    ? `pro expire ${ljust('state', 11)} ${ljust('source', 18)} ${ljust('virtual', 18)} ${ljust('destination', 18)} ${ljust('pe name', 16)} pe_data\n`
    : `pro expire ${ljust('state', 11)} ${ljust('source', 18)} ${ljust('virtual', 18)} destination\n`;
  for (const c of conns) {
    const pname = PROTO_NAME[c.protocol] ?? `IP_${c.protocol}`;
    // ipvsadm resolves port names only for TCP and UDP rows.
    const proto = pname === 'TCP' ? PROTO.TCP : pname === 'UDP' ? PROTO.UDP : 0;
    const cn = addrPort(c.af, c.caddr, c.cport, proto, f.numeric, r);
    const vn = addrPort(c.af, c.vaddr, c.vport, proto, f.numeric, r);
    const dn = addrPort(c.af, c.daddr, c.dport, proto, f.numeric, r);
    const secs = Math.max(0, Math.floor(c.expiresMs / 1000));
    const expire = `${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
    const head = `${ljust(pname, 3)} ${ljust(expire, 6)} ${ljust(c.state, 11)} ${ljust(cn, 18)} ${ljust(vn, 18)}`;
    // ipvsadm 1.31 pads destination to 16 and pe name to 18 here, unlike its header.
    out +=
      f.persistentConn && c.peName
        ? `${head} ${ljust(dn, 16)} ${ljust(c.peName, 18)} ${c.peData ?? ''}\n`
        : `${head} ${dn}\n`;
  }
  return out;
}

// The kernel's %08X of a host-order IPv4 address, or %pI6 (eight 4-digit groups) of an IPv6 one.
function procAddr(addr: string): string {
  const b = ipBytes(addr) ?? new Uint8Array(4);
  const hex = (i: number) => ((b[i] as number) << 8) | (b[i + 1] as number);
  if (b.length === 4) return ((hex(0) * 65536 + hex(2)) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(hex(i).toString(16).padStart(4, '0'));
  return g.join(':');
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

/**
 * `-c --sync-origin` (ours): the rows of the kernel's /proc/net/ip_vs_conn_sync
 * (net/netfilter/ipvs/ip_vs_conn.c ip_vs_conn_sync_seq_show): hex addresses and ports, the state,
 * Origin SYNC for a conn the sync backup made and LOCAL for one scheduled here, seconds left.
 */
export function formatConnSync(conns: readonly ConnView[]): string {
  let out = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n';
  for (const c of conns) {
    const pname = PROTO_NAME[c.protocol] ?? `IP_${c.protocol}`;
    const origin = c.flags & CONN_F.SYNC ? 'SYNC' : 'LOCAL';
    const secs = String(Math.max(0, Math.floor(c.expiresMs / 1000)));
    out += `${ljust(pname, 3)} ${procAddr(c.caddr)} ${hex4(c.cport)} ${procAddr(c.vaddr)} ${hex4(c.vport)} `;
    out += `${procAddr(c.daddr)} ${hex4(c.dport)} ${ljust(c.state, 11)} ${ljust(origin, 6)} ${rjust(secs, 7)}\n`;
  }
  return out;
}

/** list_timeout. */
export function formatTimeouts(t: TimeoutsView): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpfin} ${t.udp}\n`;
}

/** list_daemon: master first, then backup; optional fields as ipvsadm 1.31 prints them. */
export function formatDaemons(ds: readonly DaemonView[]): string {
  let out = '';
  for (const state of ['master', 'backup'] as const) {
    const d = ds.find((x) => x.state === state);
    if (!d) continue;
    out += `${state} sync daemon (mcast=${d.mcastInterface}, syncid=${d.syncId}`;
    if (d.syncMaxLen) out += `, maxlen=${d.syncMaxLen}`;
    if (d.mcastGroup) out += `, group=${d.mcastGroup}`;
    if (d.mcastPort) out += `, port=${d.mcastPort}`;
    if (d.mcastTtl) out += `, ttl=${d.mcastTtl}`;
    out += ')\n';
  }
  return out;
}

/** Data a listing may need; the runner fetches what the request's view asks for. */
export interface ListData {
  readonly snapshot?: Snapshot;
  readonly conns?: readonly ConnView[];
  readonly timeouts?: TimeoutsView;
  readonly daemons?: readonly DaemonView[];
}

/** A listing's stdout, or the failure ipvsadm reports (exit 1) for a missing service. */
export type ListOutput =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly missing: 'service' };

const sameKey = (a: ServiceView['key'], b: ServiceView['key']) =>
  a.kind === 'fwmark'
    ? b.kind === 'fwmark' && a.fwmark === b.fwmark && a.af === b.af
    : b.kind === 'addr' &&
      a.af === b.af &&
      a.protocol === b.protocol &&
      a.addr === b.addr &&
      a.port === b.port;

/**
 * One entry point for every ipvsadm view: `-L` (all or one service), `-c`, `--timeout`, `--daemon`,
 * and `-G` local addresses. A missing single service yields `{ok:false}`: print
 * errorMessage('get-service', 'ESRCH') ("No such service", exit 1) as ipvsadm does.
 * The extension views status/health/availability are formatted by their owners, not here.
 */
export function format(
  req: { readonly view: string; readonly format: ListFormat; readonly service?: ServiceView['key'] },
  data: ListData,
  r: Resolver = NUMERIC_RESOLVER,
): ListOutput {
  const snap = data.snapshot ?? { connTabSize: 4096, services: [] };
  switch (req.view) {
    case 'connections':
      return { ok: true, text: formatConnections(data.conns ?? [], req.format, r) };
    case 'timeout':
      return { ok: true, text: formatTimeouts(data.timeouts ?? { tcp: 900, tcpfin: 120, udp: 300 }) };
    case 'daemon':
      return { ok: true, text: formatDaemons(data.daemons ?? []) };
    case 'laddrs':
      return { ok: true, text: formatLaddrs(snap, req.format, r, req.service) };
    default: {
      if (!req.service) return { ok: true, text: formatServices(snap, req.format, r) };
      const key = req.service;
      const s = snap.services.find((x) => sameKey(x.key, key));
      return s ? { ok: true, text: formatOneService(s, req.format, r) } : { ok: false, missing: 'service' };
    }
  }
}

/**
 * `-G`: FULLNAT local addresses per service (our extension; loosely DPVS's `VIP:VPORT … SNAT_IP`
 * columns, one row per local address).
 */
export function formatLaddrs(snap: Snapshot, f: ListFormat, r: Resolver, only?: ServiceView['key']): string {
  let out = `${ljust('VIP:VPORT', 33)} LADDR\n`;
  for (const s of f.nosort ? snap.services : sortServices(snap.services)) {
    if (only && !sameKey(s.key, only)) continue;
    const name = serviceName(s, false, f.numeric, r);
    for (const l of s.laddrs ?? []) out += `${ljust(name, 33)} ${l}\n`;
  }
  return out;
}
