/**
 * node_exporter's ipvs collector families, with its names, help texts, types and labels exactly
 * (prometheus/node_exporter collector/ipvs_linux.go), so a dashboard built for kernel IPVS reads
 * lvsd unchanged. The collector reads /proc/net/ip_vs_stats for the five unlabelled totals (the
 * kernel's tot_stats) and /proc/net/ip_vs for one series per (service, real server), parsed by
 * prometheus/procfs ipvs.go: an FWM service has local_address "", local_port "0", proto "FWM" and
 * local_mark the mark as the kernel prints it (`%08X`, ip_vs_ctl.c ip_vs_info_seq_show()); an
 * address service has local_mark "" and its address in Go's net.IP text (dotted IPv4, RFC 5952
 * IPv6 without brackets).
 */
import type { StatsView } from '../../control/views.js';
import { canonicalIp } from '../../core/addr.js';
import { PROTO, type ServiceKey } from '../../core/types.js';
import { type Exposition, escapeLabel } from './exposition.js';

/** The service half of a backend's labels, as the collector writes them. */
function serviceLabels(k: ServiceKey): string {
  if (k.kind === 'fwmark') return 'local_address="",local_port="0",';
  return `local_address="${ipText(k.addr)}",local_port="${k.port}",`;
}

// Addresses repeat from scrape to scrape: their canonical text is worked out once.
const ipTexts = new Map<string, string>();

/** An address in RFC 5952 form (what Go's net.IP.String() prints), memoised. */
function ipText(addr: string): string {
  let t = ipTexts.get(addr);
  if (t === undefined) {
    if (ipTexts.size > 100_000) ipTexts.clear();
    t = escapeLabel(canonicalIp(addr) ?? addr);
    ipTexts.set(addr, t);
  }
  return t;
}

/** A mark as /proc/net/ip_vs prints it: `%08X`. */
function markText(fwmark: number): string {
  return (fwmark >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** `TCP`, `UDP`, `SCTP` or `FWM`: the first field of the service's /proc/net/ip_vs line. */
function protoText(k: ServiceKey): string {
  if (k.kind === 'fwmark') return 'FWM';
  return k.protocol === PROTO.TCP ? 'TCP' : k.protocol === PROTO.UDP ? 'UDP' : 'SCTP';
}

/** The label set `{local_address=…,local_mark=…}` of one real server (`addr`, `port`) of service `key`. */
export function backendLabels(key: ServiceKey, addr: string, port: number): string {
  const mark = key.kind === 'fwmark' ? markText(key.fwmark) : '';
  return `{${serviceLabels(key)}remote_address="${ipText(addr)}",remote_port="${port}",proto="${protoText(key)}",local_mark="${mark}"}`;
}

/**
 * Writes the five unlabelled node_ipvs_* totals; the three per-backend families are written by
 * table-writer.ts with the other per-real-server families.
 */
export function writeIpvsTotals(out: Exposition, totals: StatsView): void {
  const total = (name: string, help: string, v: number) => {
    out.family(name, 'counter', help);
    out.sample(name, '', v);
  };
  total('node_ipvs_connections_total', 'The total number of connections made.', totals.conns);
  total('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', totals.inpkts);
  total('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', totals.outpkts);
  total('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', totals.inbytes);
  total('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', totals.outbytes);
}
