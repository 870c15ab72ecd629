/**
 * Tracking weights keepalived 2.2.7 ignores, reported as `keepalived -t` reports them
 * (keepalived/vrrp/vrrp.c vrrp_complete_instance(), "ignoring ... due to SYNC group"): those of an
 * instance in a sync group without `sync_group_tracking_weight`, and those of an address owner
 * (priority 255). The model is left as it is: lvsd's VRRP binding applies the same rule
 * (src/vrrp/vrrp-config.ts bindVrrpInstance()), so each message says what both do.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { VrrpInstance, VrrpScript, VrrpSyncGroup } from '../model.js';

/** Reports the tracking weights keepalived ignores for sync group members and address owners. */
export function reportSyncWeights(
  d: Diagnostics,
  instances: readonly VrrpInstance[],
  groups: readonly VrrpSyncGroup[],
  scripts: readonly VrrpScript[],
): void {
  const groupOf = new Map<string, VrrpSyncGroup>();
  for (const g of groups) for (const m of g.members) groupOf.set(m, g);
  const scriptWeight = new Map(scripts.map((s) => [s.name, s.weight]));
  for (const vi of instances) {
    const g = groupOf.get(vi.name);
    const inSync = g !== undefined && !g.trackingWeight;
    if (!inSync && vi.priority !== 255) continue;
    const why = inSync
      ? 'due to SYNC group (keepalived and lvsd track it with weight 0)'
      : 'due to address owner (keepalived stops tracking it)';
    for (const t of vi.trackInterfaces)
      if (t.weight)
        d.error('ERR_CONFIG_IGNORED', `(${vi.name}) ignoring ${t.name} tracked interface weight ${why}`, t);
    for (const t of vi.trackScripts)
      if (t.weight ?? scriptWeight.get(t.name))
        d.error(
          'ERR_CONFIG_IGNORED',
          `(${vi.name}) ignoring tracked script ${t.name} with weights ${
            inSync ? 'due to SYNC group (keepalived and lvsd stop tracking it)' : why
          }`,
          t,
        );
  }
}
