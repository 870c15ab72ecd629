/**
 * Families from `lvsadm --status` and `--vrrp` data: the data plane's drops by reason, relay and
 * AF_PACKET/AF_XDP ring counters, the sync daemons' datagrams and queue drops, and each VRRP
 * instance's state, priority and advert counters. The VRRP names follow the common keepalived
 * exporters (keepalived_vrrp_state{iname,intf,vrid} with keepalived's own numbering INIT 0,
 * BACKUP 1, MASTER 2, FAULT 3; keepalived_advertisements_received_total, ...), under lvs_vrrp_.
 */
import type { StatusView } from '../../control/protocol.js';
import type { VrrpView } from '../../control/vrrp-views.js';
import { type Exposition, escapeLabel } from './exposition.js';

type Row = { readonly labels: string; readonly v: number };

function rows(
  out: Exposition,
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  r: readonly Row[],
): void {
  out.series(
    name,
    type,
    help,
    r,
    (x) => x.labels,
    (x) => x.v,
  );
}

/** camelCase counter names as snake_case label values (`connectFailures` → `connect_failures`). */
function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** XDP socket fields that are levels, not event counts. */
const XDP_GAUGES = new Set(['freeChunks', 'txBudget', 'busyPoll']);

/** Writes the daemon, data plane and sync families of a status view. */
export function writeStatusFamilies(out: Exposition, st: StatusView): void {
  const dp = `dataplane="${escapeLabel(st.dataplane)}"`;
  rows(out, 'lvs_dataplane_info', 'gauge', 'The running data plane (value 1).', [
    { labels: `{${dp}}`, v: 1 },
  ]);
  rows(out, 'lvs_build_info', 'gauge', 'The lvsd version (value 1).', [
    { labels: `{version="${escapeLabel(st.version)}"}`, v: 1 },
  ]);
  const unserved = st.vips.filter((v) => !v.serving).length;
  rows(
    out,
    'lvs_services_unserved',
    'gauge',
    'Virtual services the data plane does not serve (see lvsadm --status).',
    [{ labels: '', v: unserved }],
  );
  const df = st.defense;
  if (df) {
    rows(
      out,
      'lvs_defense_active',
      'gauge',
      'Whether a connection-table defense is in force (1) or not (0): drop_entry, drop_packet, secure_tcp.',
      ['drop_entry', 'drop_packet', 'secure_tcp'].map((n) => ({
        labels: `{defense="${n}"}`,
        v: df.active.includes(n) ? 1 : 0,
      })),
    );
    rows(
      out,
      'lvs_defense_drops_total',
      'counter',
      'New connections dropped (drop_packet) or refused (conn_max), and entries removed (drop_entry; conn_max_early_drop: half-open ones evicted at conn_max).',
      [
        { labels: '{defense="drop_packet"}', v: df.droppedPackets },
        { labels: '{defense="conn_max"}', v: df.refusedConnMax },
        { labels: '{defense="drop_entry"}', v: df.droppedEntries },
        { labels: '{defense="conn_max_early_drop"}', v: df.evictedConnMax ?? 0 },
      ],
    );
  }
  const p = st.plane;
  if (p) {
    rows(
      out,
      'lvs_dataplane_drops_total',
      'counter',
      'Packets (packet plane) or client connections and UDP datagrams (proxy plane) dropped, by reason.',
      Object.entries(p.drops).map(([reason, v]) => ({
        labels: `{${dp},reason="${escapeLabel(reason)}"}`,
        v,
      })),
    );
    if (p.relay)
      rows(
        out,
        'lvs_proxy_relay_events_total',
        'counter',
        'TCP relay events of the proxy plane (accepted, no_dest, connect_failures, retries, expired, native, local_errors).',
        Object.entries(p.relay).map(([e, v]) => ({ labels: `{event="${escapeLabel(snake(e))}"}`, v })),
      );
    const ifs = p.interfaces ?? [];
    for (const [field, stem, help] of [
      ['rxFrames', 'rx_frames', 'Frames received'],
      ['rxBytes', 'rx_bytes', 'Bytes received'],
      ['txFrames', 'tx_frames', 'Frames sent'],
      ['txBytes', 'tx_bytes', 'Bytes sent'],
      ['txDropped', 'tx_dropped', 'Frames the AF_PACKET ring could not send'],
    ] as const)
      rows(
        out,
        `lvs_packet_interface_${stem}_total`,
        'counter',
        `${help} by the packet plane on the interface.`,
        ifs.map((i) => ({ labels: `{interface="${escapeLabel(i.name)}"}`, v: i[field] })),
      );
    const xdpEvents: Row[] = [];
    const xdpFree: Row[] = [];
    for (const x of p.xdp ?? []) {
      const ifl = `interface="${escapeLabel(x.name)}"`;
      for (const [k, v] of Object.entries(x.counters)) {
        if (k === 'freeChunks') xdpFree.push({ labels: `{${ifl}}`, v });
        else if (!XDP_GAUGES.has(k))
          xdpEvents.push({ labels: `{${ifl},event="${escapeLabel(snake(k))}"}`, v });
      }
    }
    rows(
      out,
      'lvs_xdp_ring_events_total',
      'counter',
      'AF_XDP socket ring counters (XDP_STATISTICS and transmit counts), by event.',
      xdpEvents,
    );
    rows(out, 'lvs_xdp_free_chunks', 'gauge', 'AF_XDP UMEM chunks free for receive.', xdpFree);
  }
  const sync = st.sync ?? [];
  const role = (s: { state: string }) => `{role="${s.state}"}`;
  rows(
    out,
    'lvs_sync_datagrams_total',
    'counter',
    'Sync datagrams sent (master) or received (backup) by the running sync daemon.',
    sync.map((s) => ({ labels: role(s), v: s.datagrams })),
  );
  rows(
    out,
    'lvs_sync_queue_drops_total',
    'counter',
    'Sync messages dropped because the send queue held sync_qlen_max.',
    sync.map((s) => ({ labels: role(s), v: s.queueDrops })),
  );
  rows(
    out,
    'lvs_sync_errors_total',
    'counter',
    'Sync socket errors.',
    sync.map((s) => ({ labels: role(s), v: s.errors })),
  );
}

/** keepalived's numbering of VRRP states (vrrp.h VRRP_STATE_*). */
export const VRRP_STATE_VALUE: Readonly<Record<string, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 };

/** Writes the VRRP instance families. */
export function writeVrrpFamilies(out: Exposition, v: VrrpView): void {
  const inst = v.instances.map((i) => ({
    i,
    labels: `{iname="${escapeLabel(i.name)}",intf="${escapeLabel(i.interface)}",vrid="${i.vrid}"}`,
  }));
  const g = (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    f: (i: (typeof inst)[number]['i']) => number,
  ) =>
    rows(
      out,
      name,
      type,
      help,
      inst.map((x) => ({ labels: x.labels, v: f(x.i) })),
    );
  g(
    'lvs_vrrp_state',
    'gauge',
    'VRRP instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.',
    (i) => VRRP_STATE_VALUE[i.state] ?? -1,
  );
  g(
    'lvs_vrrp_priority',
    'gauge',
    'Effective priority (after tracked scripts and interfaces).',
    (i) => i.effectivePriority,
  );
  g('lvs_vrrp_base_priority', 'gauge', 'Configured priority.', (i) => i.basePriority);
  g('lvs_vrrp_transitions_total', 'counter', 'State transitions of the instance.', (i) => i.transitions);
  g('lvs_vrrp_advertisements_sent_total', 'counter', 'Adverts sent.', (i) => i.advertsSent);
  g(
    'lvs_vrrp_advertisements_received_total',
    'counter',
    'Adverts received and accepted.',
    (i) => i.advertsReceived,
  );
  const errs: Row[] = [];
  for (const x of inst)
    for (const [reason, n] of Object.entries(x.i.rxErrors))
      errs.push({ labels: `${x.labels.slice(0, -1)},reason="${escapeLabel(reason)}"}`, v: n });
  rows(
    out,
    'lvs_vrrp_receive_errors_total',
    'counter',
    'Adverts discarded (or accepted with a note), by VRRP_RX_* reason.',
    errs,
  );
}
