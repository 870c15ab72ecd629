/**
 * What the engine forwards, per service, for the data plane's status view (`lvsadm --status`):
 * a service is served unless none of its real servers can be reached by a method the engine
 * carries for that family. Kept beside the paths that decide it (ip-path.ts, ip6-path.ts), so
 * the two cannot drift silently: the tests check each reason against a forwarded packet.
 */
import type { Dest } from '../core/dest.js';
import type { Service } from '../core/service.js';
import { FWD } from '../core/types.js';

/** Why the engine cannot forward to `d` of a service of family `af`, or undefined when it can. */
export function destUnsupported(af: number, d: Dest): string | undefined {
  if (d.af !== af && d.fwd !== FWD.TUNNEL) return 'real servers of the other family need a tunnel';
  // ip6-path.ts carries an IPv6 VIP's packets to IPv4 real servers (IPv6 in IPv4); the reverse is not yet.
  if (d.af !== af && af === 4) return 'tunnels from an IPv4 VIP to IPv6 real servers are not carried yet';
  return undefined;
}

/** The status of one service on the packet plane: served, or why not (every real server unsupported). */
export function serviceSupport(s: Service): { serving: boolean; reason?: string } {
  const reasons = new Set<string>();
  let ok = 0;
  for (const d of s.dests) {
    const r = destUnsupported(s.af, d);
    if (r === undefined) ok++;
    else reasons.add(r);
  }
  if (reasons.size === 0) return { serving: true };
  const reason = [...reasons].join('; ');
  return ok > 0
    ? { serving: true, reason: `some real servers skipped: ${reason}` }
    : { serving: false, reason };
}
