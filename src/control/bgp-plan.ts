/**
 * Which virtual addresses a director announces over BGP (`lvsd --bgp`, issue 18): the pure
 * decision. An address is announced while it is not drained and at least one of its services is
 * served by the data plane (a real server in the table with a weight above 0: ip_vs_sched.c
 * schedulers skip `weight <= 0`) and, when health checks run, has quorum (keepalived ipwrapper.c
 * `update_quorum_state`: the alive weight reaches quorum, and with `alpha` a server counts only
 * after a passing check). A router then sends a VIP's traffic only to the directors able to carry
 * it, as Maglev (NSDI 2016, section 3.1) has each Maglev announce its VIPs over BGP.
 */
import type { ServiceKey } from '../core/types.js';
import { serviceKeyText } from '../core/types.js';
import type { BgpVipView } from './bgp-views.js';
import type { VipStatus } from './protocol.js';

/** A service's quorum as the health checks see it (absent: no checks run for it). */
export interface ServiceQuorum {
  readonly up: boolean;
  /** Why it is down, e.g. `alive weight 0, quorum 1`. */
  readonly reason?: string;
}

/** Everything the decision reads, at one instant. */
export interface BgpPlanInput {
  /** The services in the table. */
  readonly services: readonly ServiceKey[];
  /** The data plane's status of each service (absent: no data plane runs). */
  readonly status?: readonly VipStatus[];
  /** Quorum by service text (`TCP 192.0.2.10:80`); services missing here have no checks. */
  readonly quorum: ReadonlyMap<string, ServiceQuorum>;
  /** `lvsadm --bgp-drain` with no address. */
  readonly drainedAll: boolean;
  /** Addresses drained one by one (canonical text, no prefix length). */
  readonly drained: ReadonlySet<string>;
}

/** The route of one address: a host route, /32 or /128. */
export function hostPrefix(addr: string): string {
  return addr.includes(':') ? `${addr}/128` : `${addr}/32`;
}

/** Why one service cannot carry new connections here, or undefined when it can. */
function serviceBlock(text: string, input: BgpPlanInput, status: ReadonlyMap<string, VipStatus>) {
  if (input.status === undefined) return 'no data plane serves it (--dataplane none)';
  const st = status.get(text);
  if (st === undefined) return 'the data plane does not report it';
  if (!st.serving) return `not served: ${st.reason ?? 'unknown'}`;
  const q = input.quorum.get(text);
  if (q && !q.up) return `quorum down${q.reason ? `: ${q.reason}` : ''}`;
  return undefined;
}

/**
 * Every address of a service in the table, sorted (IPv4 first), announced or withheld with the
 * reason. Fwmark services have no address of their own and are left out.
 */
export function planBgp(input: BgpPlanInput): BgpVipView[] {
  const status = new Map((input.status ?? []).map((s) => [s.service, s]));
  const byAddr = new Map<string, { af: 4 | 6; services: string[]; blocks: string[]; ok: boolean }>();
  for (const key of input.services) {
    if (key.kind === 'fwmark') continue;
    const text = serviceKeyText(key);
    let e = byAddr.get(key.addr);
    if (!e) byAddr.set(key.addr, (e = { af: key.af, services: [], blocks: [], ok: false }));
    e.services.push(text);
    const why = serviceBlock(text, input, status);
    if (why === undefined) e.ok = true;
    else e.blocks.push(`${text}: ${why}`);
  }
  const out: BgpVipView[] = [];
  for (const [addr, e] of byAddr) {
    const prefix = hostPrefix(addr);
    const services = [...e.services].sort();
    if (input.drainedAll || input.drained.has(addr)) {
      const how = input.drainedAll ? 'lvsadm --bgp-drain' : `lvsadm --bgp-drain ${addr}`;
      out.push({ prefix, announce: false, reason: `drained (${how})`, services });
    } else if (!e.ok) out.push({ prefix, announce: false, reason: e.blocks.join('; '), services });
    else out.push({ prefix, announce: true, services });
  }
  return out.sort(comparePrefix);
}

/** IPv4 before IPv6, then by address text: a stable order for the include file and the view. */
export function comparePrefix(a: { prefix: string }, b: { prefix: string }): number {
  const fa = a.prefix.includes(':') ? 6 : 4;
  const fb = b.prefix.includes(':') ? 6 : 4;
  if (fa !== fb) return fa - fb;
  return a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0;
}

/** The prefixes to announce, in the view's order. */
export function announcedPrefixes(vips: readonly BgpVipView[]): string[] {
  return vips.filter((v) => v.announce).map((v) => v.prefix);
}
