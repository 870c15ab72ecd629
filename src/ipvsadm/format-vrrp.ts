/**
 * Text for `lvsadm --vrrp` (our extension): one row per VRRP instance with its state, effective
 * and base priority, the master's address, advert interval (ours, and the master's a v3 backup
 * adopted), time in state, transitions, adverts, and discarded adverts by reason (the VRRP_RX_
 * codes without their prefix, e.g. `AUTH_FAILURE=2`).
 */
import type { VrrpView } from '../control/vrrp-views.js';

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))}s`;
}

function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** Formats the `--vrrp` view as a table, a header and one row per instance. */
export function formatVrrp(v: VrrpView): string {
  const rows: string[][] = [
    [
      'Instance',
      'VRID',
      'Ver',
      'Interface',
      'State',
      'Prio',
      'Base',
      'Master',
      'Advert',
      'InState',
      'Trans',
      'Sent',
      'Rcvd',
      'RxErrors',
    ],
  ];
  for (const i of v.instances) {
    const advert =
      i.masterAdvertIntMs === i.advertIntMs
        ? seconds(i.advertIntMs)
        : `${seconds(i.advertIntMs)}/${seconds(i.masterAdvertIntMs)}`;
    const errs = Object.entries(i.rxErrors)
      .map(([k, n]) => `${k.replace(/^VRRP_RX_/, '')}=${n}`)
      .join(',');
    rows.push([
      i.name,
      String(i.vrid),
      `v${i.version}`,
      i.interface,
      i.state,
      String(i.effectivePriority),
      String(i.basePriority),
      i.masterAddr === undefined
        ? '-'
        : i.masterAddr === i.primaryAddr && i.state === 'MASTER'
          ? `${i.masterAddr}(us)`
          : i.masterAddr,
      advert,
      seconds(Math.max(0, v.now - i.since)),
      String(i.transitions),
      String(i.advertsSent),
      String(i.advertsReceived),
      errs || '-',
    ]);
  }
  return `${columns(rows)}\n`;
}
