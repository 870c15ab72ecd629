/**
 * The table's size as two gauges. The per-service and per-real-server families (the totals
 * `lvsadm -Ln --stats` shows, the rates `--rate` shows, persistence templates) are written by
 * table-writer.ts; labels there: `service` as lvsadm names it (`TCP 192.0.2.1:80`, `FWM 1`) and
 * `real_server` as `addr:port` (`[2001:db8::1]:80` for IPv6).
 */
import type { Exposition } from './exposition.js';

/** Writes lvs_services and lvs_real_servers. */
export function writeTableCounts(out: Exposition, services: number, dests: number): void {
  out.family('lvs_services', 'gauge', 'Virtual services in the table.');
  out.sample('lvs_services', '', services);
  out.family('lvs_real_servers', 'gauge', 'Real servers in the table, over all virtual services.');
  out.sample('lvs_real_servers', '', dests);
}
