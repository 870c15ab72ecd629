/**
 * Counters of events no view keeps, counted from the instrumentation channels
 * (control/channels.ts) with prom-client: config loads and reloads by result, health transitions,
 * VRRP masterships gained and released (keepalived exporters' become_master / release_master),
 * data-plane faults by code, and table commands by origin and op. Low cardinality, so prom-client's
 * labelled counters cost nothing per scrape worth measuring.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type DataplaneFaultMessage,
  dataplaneFaultChannel,
  type HealthTransitionMessage,
  healthTransitionChannel,
  type ReloadMessage,
  reloadChannel,
  type TableChangeMessage,
  tableChangeChannel,
  type VrrpTransitionMessage,
  vrrpTransitionChannel,
} from '../../control/channels.js';

/** Subscribes the counters to the channels; the returned function unsubscribes them. */
export function subscribeEventCounters(registry: Registry): () => void {
  const reg = { registers: [registry] };
  const reloads = new Counter({
    name: 'lvs_config_reloads_total',
    help: 'Loads (initial="true") and reloads of --config, by result: success or failure (kept the running configuration).',
    labelNames: ['initial', 'result'],
    ...reg,
  });
  const lastReload = new Gauge({
    name: 'lvs_config_last_reload_successful',
    help: 'Whether the last load or reload of --config was applied (1) or refused (0).',
    ...reg,
  });
  const lastReloadAt = new Gauge({
    name: 'lvs_config_last_reload_timestamp_seconds',
    help: 'Unix time of the last load or reload of --config that finished or failed.',
    ...reg,
  });
  const health = new Counter({
    name: 'lvs_health_transitions_total',
    help: 'Health transitions of real servers (real_server set) and service quorums (real_server=""), by new state.',
    labelNames: ['service', 'real_server', 'state'],
    ...reg,
  });
  const vrrp = new Counter({
    name: 'lvs_vrrp_state_changes_total',
    help: 'VRRP instance transitions by the state entered (keepalived exporters count MASTER as become_master).',
    labelNames: ['iname', 'state'],
    ...reg,
  });
  const release = new Counter({
    name: 'lvs_vrrp_release_master_total',
    help: 'Times a VRRP instance left MASTER.',
    labelNames: ['iname'],
    ...reg,
  });
  const faults = new Counter({
    name: 'lvs_dataplane_faults_total',
    help: 'Faults at the data plane edge (socket, relay, XDP, nft), by stable code.',
    labelNames: ['plane', 'code'],
    ...reg,
  });
  const commands = new Counter({
    name: 'lvs_table_commands_total',
    help: 'Table commands applied, by origin (socket: lvsadm or API; daemon: health checks, reloads) and op.',
    labelNames: ['origin', 'op'],
    ...reg,
  });

  const onReload = (m: ReloadMessage) => {
    if (m.phase === 'finished' || m.phase === 'failed') {
      const ok = m.phase === 'finished';
      reloads.inc({ initial: ok && m.initial ? 'true' : 'false', result: ok ? 'success' : 'failure' });
      lastReload.set(ok ? 1 : 0);
      lastReloadAt.set(Date.now() / 1000);
    }
  };
  const onHealth = (m: HealthTransitionMessage) =>
    health.inc({ service: m.svc, real_server: m.rs ?? '', state: m.up ? 'up' : 'down' });
  const onVrrp = (m: VrrpTransitionMessage) => {
    vrrp.inc({ iname: m.instance, state: m.to });
    if (m.from === 'MASTER' && m.to !== 'MASTER') release.inc({ iname: m.instance });
  };
  const onFault = (m: DataplaneFaultMessage) => faults.inc({ plane: m.plane, code: m.code });
  const onTable = (m: TableChangeMessage) => commands.inc({ origin: m.origin, op: m.cmd.op });
  reloadChannel.subscribe(onReload);
  healthTransitionChannel.subscribe(onHealth);
  vrrpTransitionChannel.subscribe(onVrrp);
  dataplaneFaultChannel.subscribe(onFault);
  tableChangeChannel.subscribe(onTable);
  return () => {
    reloadChannel.unsubscribe(onReload);
    healthTransitionChannel.unsubscribe(onHealth);
    vrrpTransitionChannel.unsubscribe(onVrrp);
    dataplaneFaultChannel.unsubscribe(onFault);
    tableChangeChannel.unsubscribe(onTable);
  };
}
