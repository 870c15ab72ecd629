/**
 * The per-service and per-real-server families written as bytes: every line's `name{labels} `
 * prefix is kept, encoded once, from scrape to scrape while the table holds the same services and
 * real servers in the same order, and each scrape copies the prefixes into one Buffer with the
 * values' digits written in place. At 10,000 real servers that is 150,000 lines, where building
 * strings cost several times the 50 ms a scrape may take (bench/metrics-scrape.ts).
 */
import type { DestView, ServiceView, Snapshot, StatsView } from '../../control/views.js';
import { serviceKeyText } from '../../core/types.js';
import { escapeLabel, formatValue } from './exposition.js';
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

function statValues(out: Float64Array, at: number, s: StatsView, r: ServiceView['rates']): void {
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
interface Layout {
  /** One key per service and real server, to tell whether a snapshot has this layout. */
  readonly keys: readonly string[];
  /** Segments in output order: a family header (value slot -1) or a sample prefix. */
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
  /** For each segment, the index into the scrape's value array, or -1 for a header. */
  readonly slot: Int32Array;
  readonly nSvc: number;
  readonly nDest: number;
}

function layoutKeys(snapshot: Snapshot): string[] {
  const keys: string[] = [];
  for (const s of snapshot.services) {
    keys.push(serviceKeyText(s.key));
    for (const d of s.dests) keys.push(`${d.addr}|${d.port}`);
  }
  return keys;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildLayout(snapshot: Snapshot, keys: string[]): Layout {
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
  const texts: string[] = [];
  const slots: number[] = [];
  const nSvc = svcLabels.length;
  const nDest = destLabels.length;
  const header = (f: Fam) => {
    texts.push(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`);
    slots.push(-1);
  };
  // Values: services first (10 each), then real servers (14 each).
  DEST_FAMS.forEach((f, k) => {
    if (nDest === 0) return;
    header(f);
    const labels = k < NODE_IPVS ? ipvsLabels : destLabels;
    for (let i = 0; i < nDest; i++) {
      texts.push(`${f.name}${labels[i]} `);
      slots.push(nSvc * SVC_FAMS.length + i * DEST_FAMS.length + k);
    }
    // node_ipvs families first, then lvs_service_*, then lvs_real_server_*.
    if (k === NODE_IPVS - 1)
      SVC_FAMS.forEach((sf, j) => {
        header(sf);
        for (let i = 0; i < nSvc; i++) {
          texts.push(`${sf.name}${svcLabels[i]} `);
          slots.push(i * SVC_FAMS.length + j);
        }
      });
  });
  if (nDest === 0)
    SVC_FAMS.forEach((sf, j) => {
      if (nSvc === 0) return;
      header(sf);
      for (let i = 0; i < nSvc; i++) {
        texts.push(`${sf.name}${svcLabels[i]} `);
        slots.push(i * SVC_FAMS.length + j);
      }
    });
  const parts = texts.map((t) => Buffer.from(t, 'utf8'));
  const ends = new Uint32Array(parts.length);
  let n = 0;
  parts.forEach((p, i) => {
    n += p.length;
    ends[i] = n;
  });
  return { keys, bytes: Buffer.concat(parts, n), ends, slot: Int32Array.from(slots), nSvc, nDest };
}

/** Writes a non-negative integer's digits at `at`; returns the new end. */
function writeUint(buf: Buffer, at: number, v: number): number {
  if (v < 10) {
    buf[at] = 48 + v;
    return at + 1;
  }
  let len = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) len++;
  let x = v;
  for (let i = at + len - 1; i >= at; i--) {
    buf[i] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + len;
}

/** Keeps the layout between scrapes and renders the table families of a snapshot. */
export class TableWriter {
  private layout: Layout | undefined;

  /** The node_ipvs_backend_*, lvs_service_* and lvs_real_server_* families of `snapshot`, as bytes. */
  render(snapshot: Snapshot): Buffer {
    const keys = layoutKeys(snapshot);
    let l = this.layout;
    if (!l || !sameKeys(l.keys, keys)) l = this.layout = buildLayout(snapshot, keys);
    const values = new Float64Array(l.nSvc * SVC_FAMS.length + l.nDest * DEST_FAMS.length);
    let si = 0;
    let di = l.nSvc * SVC_FAMS.length;
    for (const s of snapshot.services) {
      statValues(values, si, s.stats, s.rates);
      si += SVC_FAMS.length;
      for (const d of s.dests as readonly DestView[]) {
        values[di] = d.activeConns;
        values[di + 1] = d.inactConns;
        values[di + 2] = d.weight;
        statValues(values, di + NODE_IPVS, d.stats, d.rates);
        values[di + NODE_IPVS + 10] = d.persistConns;
        di += DEST_FAMS.length;
      }
    }
    // Integers up to 2^53 take at most 16 digits; anything else is written as formatValue text.
    const out = Buffer.allocUnsafe(l.bytes.length + values.length * 24);
    let at = 0;
    let start = 0;
    const { bytes, ends, slot } = l;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      out.set(bytes.subarray(start, end), at);
      at += end - start;
      start = end;
      const k = slot[i]!;
      if (k < 0) continue;
      const v = values[k]!;
      if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) at = writeUint(out, at, v);
      else at += out.write(formatValue(v), at, 'latin1');
      out[at++] = 10;
    }
    return out.subarray(0, at);
  }
}
