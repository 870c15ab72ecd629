/**
 * The layout of the per-service and per-real-server families (node_ipvs_backend_*, lvs_service_*,
 * lvs_real_server_*): every line's `name{labels} ` prefix and every family header, encoded once as
 * bytes while the table holds the same services and real servers in the same order, and for each
 * line the index of its value in a scrape's value array (services first, 10 values each, then real
 * servers, 14 each, in listing order). table-writer.ts copies the prefixes and writes the digits.
 */
import type { ServiceView, Snapshot, StatsView } from '../../control/views.js';
import { serviceKeyText } from '../../core/types.js';
import { escapeLabel } from './exposition.js';
import { backendRows } from './ipvs-families.js';

type Fam = { readonly name: string; readonly type: 'counter' | 'gauge'; readonly help: string };

const FIELDS = [
  ['connections', 'conns', 'cps', 'connections scheduled'],
  ['in_packets', 'inpkts', 'inpps', 'packets from clients'],
  ['out_packets', 'outpkts', 'outpps', 'packets to clients'],
  ['in_bytes', 'inbytes', 'inbps', 'bytes from clients'],
  ['out_bytes', 'outbytes', 'outbps', 'bytes to clients'],
] as const;

function statFamilies(prefix: string, what: string): Fam[] {
  return [
    ...FIELDS.map(([stem, , , words]) => ({
      name: `${prefix}_${stem}_total`,
      type: 'counter' as const,
      help: `${what}: ${words} since it was added or zeroed (lvsadm -Ln --stats).`,
    })),
    ...FIELDS.map(([stem, , , words]) => ({
      name: `${prefix}_${stem}_per_second`,
      type: 'gauge' as const,
      help: `${what}: ${words} per second, the 2-second estimator's average (lvsadm -Ln --rate).`,
    })),
  ];
}

/** Per backend, in this order: node_ipvs_backend_* (3), then lvs_real_server_* (11). */
const DEST_FAMS: readonly Fam[] = [
  {
    name: 'node_ipvs_backend_connections_active',
    type: 'gauge',
    help: 'The current active connections by local and remote address.',
  },
  {
    name: 'node_ipvs_backend_connections_inactive',
    type: 'gauge',
    help: 'The current inactive connections by local and remote address.',
  },
  {
    name: 'node_ipvs_backend_weight',
    type: 'gauge',
    help: 'The current backend weight by local and remote address.',
  },
  ...statFamilies('lvs_real_server', 'Real server'),
  // Weight and active/inactive connections per real server are the node_ipvs_backend_* series.
  {
    name: 'lvs_real_server_persistent_connections',
    type: 'gauge',
    help: 'Real server persistence templates (PersistConn).',
  },
];
const SVC_FAMS: readonly Fam[] = statFamilies('lvs_service', 'Virtual service');
const NODE_IPVS = 3;

/** Values per service in a scrape's value array: the five totals, then the five rates. */
export const SERVICE_VALUES = SVC_FAMS.length;
/** Values per real server: active, inactive, weight, five totals, five rates, persistence templates. */
export const DEST_VALUES = DEST_FAMS.length;

/** Writes one service's ten values (totals, then rates) at `at`. */
export function serviceValues(out: Float64Array, at: number, s: StatsView, r: ServiceView['rates']): void {
  out[at] = s.conns;
  out[at + 1] = s.inpkts;
  out[at + 2] = s.outpkts;
  out[at + 3] = s.inbytes;
  out[at + 4] = s.outbytes;
  out[at + 5] = r.cps;
  out[at + 6] = r.inpps;
  out[at + 7] = r.outpps;
  out[at + 8] = r.inbps;
  out[at + 9] = r.outbps;
}

/** The encoded prefixes of one table layout. */
export interface Layout {
  /** Segments in output order: a family header (value slot -1) or a sample prefix. */
  readonly bytes: Buffer;
  /** End offset of each segment in `bytes`. */
  readonly ends: Uint32Array;
  /** For each segment, the index into the scrape's value array, or -1 for a header. */
  readonly slot: Int32Array;
  /** The longest segment, bytes (a chunk must hold it and its value). */
  readonly maxSegment: number;
  readonly nSvc: number;
  readonly nDest: number;
  /** Length of a scrape's value array. */
  readonly nValues: number;
}

/** Strings encoded into one buffer, with each one's end offset. */
interface Encoded {
  readonly buf: Buffer;
  readonly ends: Uint32Array;
}

function encodeAll(strs: readonly string[]): Encoded {
  const all = strs.join('');
  const buf = Buffer.from(all, 'utf8');
  // Offsets are string lengths where the text is ASCII (addresses, ports, protocols), else bytes.
  const ascii = buf.length === all.length;
  const ends = new Uint32Array(strs.length);
  let n = 0;
  strs.forEach((t, i) => {
    n += ascii ? t.length : Buffer.byteLength(t, 'utf8');
    ends[i] = n;
  });
  return { buf, ends };
}

/** Builds the layout of `snapshot`'s services and real servers (their labels; values are not read). */
export function buildLayout(snapshot: Snapshot): Layout {
  const svcLabels: string[] = [];
  const destLabels: string[] = [];
  const ipvsLabels = backendRows(snapshot).map((r) => r.labels);
  for (const s of snapshot.services) {
    const svc = `service="${escapeLabel(serviceKeyText(s.key))}"`;
    svcLabels.push(`{${svc}}`);
    for (const d of s.dests) {
      const rs = d.af === 6 ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`;
      destLabels.push(`{${svc},real_server="${escapeLabel(rs)}"}`);
    }
  }
  const nSvc = svcLabels.length;
  const nDest = destLabels.length;
  // Every label set and name is encoded once and the lines are assembled by copying bytes: as
  // 150,000 template strings joined and encoded, the layout of 10,000 real servers took 250 ms of
  // mostly garbage collection (bench/metrics-scrape.ts).
  const dest = encodeAll(destLabels);
  const ipvs = encodeAll(ipvsLabels);
  const svc = encodeAll(svcLabels);
  type Part = { header: Buffer } | { name: Buffer; labels: Encoded; first: number };
  const parts: Part[] = [];
  const header = (f: Fam) =>
    parts.push({ header: Buffer.from(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`, 'utf8') });
  const serviceFamilies = () =>
    SVC_FAMS.forEach((sf, j) => {
      if (nSvc === 0) return;
      header(sf);
      parts.push({ name: Buffer.from(sf.name), labels: svc, first: j });
    });
  // node_ipvs families first, then lvs_service_*, then lvs_real_server_*.
  DEST_FAMS.forEach((f, k) => {
    if (nDest === 0) return;
    header(f);
    parts.push({
      name: Buffer.from(f.name),
      labels: k < NODE_IPVS ? ipvs : dest,
      first: nSvc * SERVICE_VALUES + k,
    });
    if (k === NODE_IPVS - 1) serviceFamilies();
  });
  if (nDest === 0) serviceFamilies();

  let size = 0;
  let segments = 0;
  for (const p of parts) {
    if ('header' in p) {
      size += p.header.length;
      segments++;
    } else {
      const count = p.labels.ends.length;
      size += (p.name.length + 1) * count + p.labels.buf.length;
      segments += count;
    }
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  const ends = new Uint32Array(segments);
  const slot = new Int32Array(segments);
  let at = 0;
  let i = 0;
  let maxSegment = 0;
  for (const p of parts) {
    if ('header' in p) {
      at += p.header.copy(bytes, at);
      maxSegment = Math.max(maxSegment, p.header.length);
      ends[i] = at;
      slot[i++] = -1;
      continue;
    }
    const { buf, ends: le } = p.labels;
    const stride = p.labels === svc ? SERVICE_VALUES : DEST_VALUES;
    let start = 0;
    for (let r = 0; r < le.length; r++) {
      const end = le[r] as number;
      const line = at;
      at += p.name.copy(bytes, at);
      at += buf.copy(bytes, at, start, end);
      bytes[at++] = 32;
      start = end;
      maxSegment = Math.max(maxSegment, at - line);
      ends[i] = at;
      slot[i++] = p.first + r * stride;
    }
  }
  return {
    bytes,
    ends,
    slot,
    maxSegment,
    nSvc,
    nDest,
    nValues: nSvc * SERVICE_VALUES + nDest * DEST_VALUES,
  };
}
