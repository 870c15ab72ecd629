/**
 * lvsd's own per-service and per-real-server families: the totals `lvsadm -Ln --stats` shows and
 * the rates `--rate` shows (the 2-second estimator, ip_vs_est.c), plus each real server's weight
 * and connection counts. Labels: `service` as lvsadm names it (`TCP 192.0.2.1:80`, `FWM 1`) and
 * `real_server` as `addr:port` (`[2001:db8::1]:80` for IPv6).
 */
import type { DestView, ServiceView, Snapshot } from '../../control/views.js';
import { serviceKeyText } from '../../core/types.js';
import { type Exposition, escapeLabel } from './exposition.js';

/** The counter and rate fields shared by services and real servers, with their family stems. */
const FIELDS = [
  ['connections', 'conns', 'cps', 'connections scheduled'],
  ['in_packets', 'inpkts', 'inpps', 'packets from clients'],
  ['out_packets', 'outpkts', 'outpps', 'packets to clients'],
  ['in_bytes', 'inbytes', 'inbps', 'bytes from clients'],
  ['out_bytes', 'outbytes', 'outbps', 'bytes to clients'],
] as const;

type Subject = Pick<ServiceView, 'stats' | 'rates'>;

function writeStatsAndRates<T extends Subject>(
  out: Exposition,
  prefix: string,
  what: string,
  rows: readonly { readonly labels: string; readonly s: T }[],
): void {
  for (const [stem, stat, , words] of FIELDS) {
    out.series(
      `${prefix}_${stem}_total`,
      'counter',
      `${what}: ${words} since it was added or zeroed (lvsadm -Ln --stats).`,
      rows,
      (r) => r.labels,
      (r) => r.s.stats[stat],
    );
  }
  for (const [stem, , rate, words] of FIELDS) {
    out.series(
      `${prefix}_${stem}_per_second`,
      'gauge',
      `${what}: ${words} per second, the 2-second estimator's average (lvsadm -Ln --rate).`,
      rows,
      (r) => r.labels,
      (r) => r.s.rates[rate],
    );
  }
}

/** Writes the lvs_service_* and lvs_real_server_* families of a table listing. */
export function writeTableFamilies(out: Exposition, snapshot: Snapshot): void {
  const services: { labels: string; s: ServiceView }[] = [];
  const dests: { labels: string; s: DestView }[] = [];
  for (const s of snapshot.services) {
    const svc = `service="${escapeLabel(serviceKeyText(s.key))}"`;
    services.push({ labels: `{${svc}}`, s });
    for (const d of s.dests) {
      const rs = d.af === 6 ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`;
      dests.push({ labels: `{${svc},real_server="${escapeLabel(rs)}"}`, s: d });
    }
  }
  out.family('lvs_services', 'gauge', 'Virtual services in the table.');
  out.sample('lvs_services', '', services.length);
  out.family('lvs_real_servers', 'gauge', 'Real servers in the table, over all virtual services.');
  out.sample('lvs_real_servers', '', dests.length);
  writeStatsAndRates(out, 'lvs_service', 'Virtual service', services);
  writeStatsAndRates(out, 'lvs_real_server', 'Real server', dests);
  // Weight and active/inactive connections per real server are node_ipvs_backend_weight and
  // node_ipvs_backend_connections_{active,inactive}: not written twice, a scrape of 10,000 real
  // servers is large enough (bench/metrics-scrape.ts).
  out.series(
    'lvs_real_server_persistent_connections',
    'gauge',
    'Real server persistence templates (PersistConn).',
    dests,
    (r) => r.labels,
    (r) => r.s.persistConns,
  );
}
