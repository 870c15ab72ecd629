/**
 * The per-service and per-real-server status both data planes report for `lvsadm -L --status`:
 * each plane says why it cannot carry one real server (a method it lacks) or the virtual address
 * (not local, port busy, VRRP not MASTER); the rules that follow from the table alone live here,
 * so the two planes word them alike. A real server with weight 0 gets no new connection
 * (ip_vs_sched.c schedulers skip `weight <= 0`), and a service whose every real server is out
 * refuses new connections (ip_vs_schedule() finds no dest: the client gets a reset or ICMP).
 */
import type { DestStatus, VipStatus } from '../control/protocol.js';
import type { Dest } from '../core/dest.js';
import type { Service } from '../core/service.js';
import { serviceKeyText } from '../core/types.js';

/** Why a plane cannot send to one real server at all, or undefined when it can. */
export type DestSupport = (svc: Service, d: Dest) => string | undefined;

/** `198.51.100.1:80` or `[2001:db8::1]:80`. */
export function destText(d: Dest): string {
  return d.af === 6 ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`;
}

/** Each real server of `svc`: unsupported by the plane, weight 0, or served. */
export function destStatuses(svc: Service, support: DestSupport): DestStatus[] {
  return svc.dests.map((d) => {
    const why = support(svc, d) ?? (d.weight <= 0 ? 'weight 0: gets no new connections' : undefined);
    return why === undefined
      ? { dest: destText(d), serving: true }
      : { dest: destText(d), serving: false, reason: why };
  });
}

/**
 * The status of `svc`: not served for `addressReason` (the plane's own reason about the virtual
 * address), else not served when no real server is, else served; with its real servers.
 */
export function serviceStatus(svc: Service, support: DestSupport, addressReason?: string): VipStatus {
  const service = serviceKeyText(svc.key);
  const dests = destStatuses(svc, support);
  if (addressReason) return { service, serving: false, reason: addressReason, dests };
  if (dests.length === 0)
    return {
      service,
      serving: false,
      reason: 'no real server in the table (none configured, or every one failed its checks)',
      dests,
    };
  if (!dests.some((d) => d.serving)) {
    const reasons = [...new Set(dests.map((d) => d.reason))];
    const reason =
      reasons.length === 1 && reasons[0]?.startsWith('weight 0')
        ? 'no healthy real server (every weight is 0)'
        : `no real server can be reached: ${reasons.join('; ')}`;
    return { service, serving: false, reason, dests };
  }
  return { service, serving: true, dests };
}
