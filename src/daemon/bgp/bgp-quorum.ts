/**
 * The health checks' quorum per table service, for the BGP decision (control/bgp-plan.ts): the
 * health view names a service by its configuration id (`TCP 192.0.2.10:80`, or `group VSG TCP`
 * for a virtual_server_group), the table by its keys, so the model joins the two.
 */
import type { LvsModel } from '../../config/model.js';
import type { ServiceQuorum } from '../../control/bgp-plan.js';
import type { HealthView } from '../../control/health-views.js';
import { serviceKeyText } from '../../core/types.js';

/**
 * Quorum by service text for every key of every configured service the health view reports; a
 * service with a sorry server in use counts as down (its real servers lost quorum, keepalived
 * ipwrapper.c `update_quorum_state` swapped the sorry server in).
 */
export function quorumByService(
  model: LvsModel | undefined,
  health: HealthView | undefined,
): Map<string, ServiceQuorum> {
  const out = new Map<string, ServiceQuorum>();
  if (!model || !health) return out;
  const byId = new Map(health.services.map((s) => [s.id, s]));
  for (const svc of model.services) {
    const h = byId.get(svc.id);
    if (!h) continue;
    const q: ServiceQuorum = h.quorumUp
      ? { up: true }
      : { up: false, reason: `alive weight ${h.weightSum}, quorum ${h.quorum}` };
    for (const key of svc.keys) out.set(serviceKeyText(key), q);
  }
  return out;
}
