/**
 * What the packet plane derives from the firewall-mark rules besides the classifier itself
 * (engine/mark-table.ts): whether a fwmark service can receive traffic at all, for the status
 * view, and the traffic the XDP filter and the ingress bypass must hand to lvsd for it. With the
 * kernel a fwmark service only sees packets some MARK rule marked (ip_vs_ctl.c
 * ip_vs_service_find() looks `skb->mark` up); here the rules lvsd was given play that part.
 */
import { formatIpBytes } from '../../core/addr.js';
import { MARK_PROTOS, type MarkRule, marksProduce } from '../../core/mark-rule.js';
import type { Service } from '../../core/service.js';
import type { BypassEndpoint } from '../../io/host/bypass-rules.js';

/**
 * Why the packet plane cannot serve fwmark service `s` under `rules`, or undefined when it can:
 * some rule must set its mark for its family, on an interface the plane serves (`served`).
 */
export function fwmarkUnserved(
  s: Service,
  rules: readonly MarkRule[],
  served: (ifname: string) => boolean,
): string | undefined {
  if (s.key.kind !== 'fwmark') return undefined;
  const live = rules.filter((r) => r.iif === undefined || served(r.iif));
  if (marksProduce(live, s.af === 6 ? 6 : 4, s.fwmark)) return undefined;
  const dead = live.length < rules.length && marksProduce(rules, s.af === 6 ? 6 : 4, s.fwmark);
  return `no mark rule sets mark ${s.fwmark} on IPv${s.af} traffic${dead ? ' on an interface lvsd serves' : ''} (give one with lvsd --mark or --mark-file)`;
}

/**
 * The single destination addresses of rules feeding an IPv4 fwmark service, as (address,
 * protocol) endpoints of any port: the traffic the XDP filter and the ingress bypass must pass
 * to lvsd (the kernel holds no such address; without them it would route or drop the packets).
 */
export function markEndpoints(services: readonly Service[], rules: readonly MarkRule[]): BypassEndpoint[] {
  const out: BypassEndpoint[] = [];
  for (const s of services) {
    if (s.key.kind !== 'fwmark' || s.af !== 4) continue;
    for (const r of rules) {
      if (r.mark !== s.fwmark >>> 0 || r.dst?.af !== 4 || r.dst.len !== 32) continue;
      const addr = formatIpBytes(r.dst.bytes);
      const protos = r.proto === MARK_PROTOS.any ? [6, 17, 132] : [r.proto];
      for (const protocol of protos) out.push({ af: 4, protocol, addr, port: 0 });
    }
  }
  return out;
}
