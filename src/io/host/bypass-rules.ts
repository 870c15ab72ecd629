/**
 * The nftables ruleset behind `lvsd --dataplane packet --ingress-bypass`, generated as text by
 * pure functions (no I/O here; ingress-bypass.ts runs `nft -f -`).
 *
 * Why: AF_PACKET taps see a frame before the netdev ingress hook, so lvsd receives every frame
 * it forwards, and the director's kernel then routes the same frame a second time only to drop
 * it (ip_forward is off and it does not hold the VIP: ip_route_input_slow, ip_error, dst
 * freeing through RCU, about 11% of the director CPU in BENCHMARKS.md "Packet data plane"). A
 * netdev ingress `drop` ends the kernel's copy right after the taps, so lvsd still gets it.
 *
 * What is dropped, and nothing else (ARP in particular passes, so the kernel keeps its own
 * neighbour table; lvsd answers ARP for VIPs and LIPs from the tap anyway):
 * - frames to VIP:port (protocol-exact; port 0 services: every port of the protocol);
 * - frames to FULLNAT local addresses (LIPs), for the protocols of the services using them,
 *   unless the host itself holds the LIP (then the kernel's own traffic on it would die too);
 * - NAT replies, saddr RIP:rport of masquerading real servers, except those addressed to the
 *   host's own addresses, which are the director's own connections (health checks).
 *
 * One table per served interface, `lvsd_bypass_<ifname>`, with one `ingress` base chain. Every
 * install declares, deletes and re-creates the table in one `nft -f` transaction, so the swap
 * is atomic, stale contents from a crashed run go, and an empty rule list leaves no table.
 */
import { type Af, canonicalIp, ipFamily } from '../../core/addr.js';
import { FWD, PROTO } from '../../core/types.js';

/** One address/protocol/port a rule matches (port 0: every port of the protocol). */
export interface BypassEndpoint {
  readonly af: Af;
  readonly protocol: number;
  readonly addr: string;
  readonly port: number;
}

/** Everything the ruleset is made of; built by {@link bypassSpecFromServices}. */
export interface BypassSpec {
  /** Served interfaces: one table each, all with the same rules (VIP traffic may come in anywhere). */
  readonly interfaces: readonly string[];
  /** Destinations lvsd takes: VIP:port of served services. */
  readonly vips: readonly BypassEndpoint[];
  /** FULLNAT local addresses (port 0 always). */
  readonly lips: readonly BypassEndpoint[];
  /** Sources of NAT replies lvsd rewrites: RIP:rport of masquerading real servers. */
  readonly natReplies: readonly BypassEndpoint[];
  /** The host's own addresses (both families): never dropped as NAT replies or LIPs. */
  readonly localAddrs: readonly string[];
}

/** The part of a core Service the ruleset needs (structural, so tests can pass plain objects). */
export interface BypassService {
  readonly key:
    | {
        readonly kind: 'addr';
        readonly af: Af;
        readonly protocol: number;
        readonly addr: string;
        readonly port: number;
      }
    | { readonly kind: 'fwmark'; readonly af: Af; readonly fwmark: number };
  readonly laddrs: readonly string[];
  readonly dests: readonly {
    readonly addr: string;
    readonly port: number;
    readonly af: Af;
    readonly fwd: number;
  }[];
}

/** Options of {@link bypassSpecFromServices}. */
export interface BypassSpecOptions {
  readonly interfaces: readonly string[];
  readonly localAddrs: readonly string[];
  /** Address families lvsd's engine serves; services of other families stay the kernel's. */
  readonly families: readonly Af[];
}

/** nftables name of lvsd's bypass table on `ifname` (characters nft rejects become `_`). */
export function bypassTableName(ifname: string): string {
  return `lvsd_bypass_${ifname.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/**
 * The bypass spec of a service table. fwmark services are left out: their mark is set by the
 * kernel's own rules after the ingress hook, so at ingress nothing identifies their traffic.
 */
export function bypassSpecFromServices(services: readonly BypassService[], o: BypassSpecOptions): BypassSpec {
  const vips: BypassEndpoint[] = [];
  const lips: BypassEndpoint[] = [];
  const natReplies: BypassEndpoint[] = [];
  const local = new Set(o.localAddrs.map((a) => canonicalIp(a) ?? a));
  for (const s of services) {
    const k = s.key;
    if (k.kind !== 'addr' || !o.families.includes(k.af)) continue;
    vips.push({ af: k.af, protocol: k.protocol, addr: k.addr, port: k.port });
    for (const l of s.laddrs) {
      const af = ipFamily(l);
      if (af === 0 || local.has(canonicalIp(l) ?? l)) continue;
      lips.push({ af, protocol: k.protocol, addr: l, port: 0 });
    }
    for (const d of s.dests) {
      if (d.fwd === FWD.MASQ) natReplies.push({ af: d.af, protocol: k.protocol, addr: d.addr, port: d.port });
    }
  }
  return { interfaces: o.interfaces, vips, lips, natReplies, localAddrs: o.localAddrs };
}

function protoName(p: number): string {
  return p === PROTO.TCP ? 'tcp' : p === PROTO.UDP ? 'udp' : p === PROTO.SCTP ? 'sctp' : String(p);
}

/** Canonical, de-duplicated, sorted element texts, so equal tables give equal rulesets. */
function elements(list: readonly BypassEndpoint[], af: Af, withPort: boolean): string[] {
  const out = new Set<string>();
  for (const e of list) {
    if (e.af !== af || (e.port === 0) === withPort) continue;
    const a = canonicalIp(e.addr);
    if (a === undefined) continue;
    out.add(withPort ? `${a} . ${protoName(e.protocol)} . ${e.port}` : `${a} . ${protoName(e.protocol)}`);
  }
  return [...out].sort();
}

/** The rule lines of the ingress chain (the same on every interface). */
export function bypassRules(spec: BypassSpec): string[] {
  const rules: string[] = [];
  for (const af of [4, 6] as const) {
    const ip = af === 4 ? 'ip' : 'ip6';
    const locals = [
      ...new Set(spec.localAddrs.filter((a) => ipFamily(a) === af).map((a) => canonicalIp(a) ?? a)),
    ].sort();
    const notLocal = locals.length ? ` ${ip} daddr != { ${locals.join(', ')} }` : '';
    const add = (match: string, els: string[], extra: string, what: string): void => {
      if (els.length)
        rules.push(`${match} { ${els.join(', ')} }${extra} counter drop comment "lvsd: ${what}"`);
    };
    add(`${ip} daddr . meta l4proto . th dport`, elements(spec.vips, af, true), '', 'VIP:port');
    add(`${ip} daddr . meta l4proto`, elements(spec.vips, af, false), '', 'VIP, every port');
    add(`${ip} daddr . meta l4proto`, elements(spec.lips, af, false), '', 'FULLNAT LIP');
    add(`${ip} saddr . meta l4proto . th sport`, elements(spec.natReplies, af, true), notLocal, 'NAT reply');
    add(
      `${ip} saddr . meta l4proto`,
      elements(spec.natReplies, af, false),
      notLocal,
      'NAT reply, every port',
    );
  }
  return rules;
}

/** Interfaces whose names can be quoted in a ruleset (no quote, backslash or control characters). */
function usable(ifnames: readonly string[]): string[] {
  return [...new Set(ifnames)].filter((i) => i !== '' && !/["\\\s]/.test(i));
}

/**
 * The whole `nft -f` script: per interface, declare + delete the table (so it goes whatever it
 * held), then re-create it with the rules when there are any. One transaction: nft applies all
 * of it or nothing.
 */
export function bypassRuleset(spec: BypassSpec): string {
  const rules = bypassRules(spec);
  let out = '';
  for (const ifname of usable(spec.interfaces)) {
    const t = bypassTableName(ifname);
    out += `table netdev ${t}\ndelete table netdev ${t}\n`;
    if (rules.length === 0) continue;
    out += `table netdev ${t} {\n\tchain ingress {\n`;
    // Priority -500: ahead of other ingress chains, whose work would be wasted on these frames.
    out += `\t\ttype filter hook ingress device "${ifname}" priority -500; policy accept;\n`;
    for (const r of rules) out += `\t\t${r}\n`;
    out += '\t}\n}\n';
  }
  return out;
}

/** The `nft -f` script that removes lvsd's tables of `interfaces` (absent tables are fine). */
export function bypassRemoval(interfaces: readonly string[]): string {
  return bypassRuleset({ interfaces, vips: [], lips: [], natReplies: [], localAddrs: [] });
}
