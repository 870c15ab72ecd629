/**
 * The layout of the per-service and per-real-server families (node_ipvs_backend_*, lvs_service_*,
 * lvs_real_server_*): every family header, each family's name and the label sets of its lines,
 * encoded once as bytes while the table holds the same services and real servers in the same
 * order, and for each line the index of its value in a scrape's value array (services first, 10
 * values each, then real servers, 14 each, in listing order). series-body.ts writes the lines.
 */
import type { ServiceView, StatsView } from '../../control/views.js';
import { type ServiceKey, serviceKeyText } from '../../core/types.js';
import { escapeLabel } from './exposition.js';
import { backendLabels } from './ipvs-families.js';
import type { LayoutPart, SeriesLayout } from './series-body.js';

/** A family's name, type and help text. */
export type Fam = { readonly name: string; readonly type: 'counter' | 'gauge'; readonly help: string };

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
export const DEST_FAMS: readonly Fam[] = [
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
/** Per service: the five totals, then the five rates. */
export const SVC_FAMS: readonly Fam[] = statFamilies('lvs_service', 'Virtual service');
/** The node_ipvs_backend_* families, the first of {@link DEST_FAMS}. */
export const NODE_IPVS = 3;

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

/** A service as the layout labels it: core/service.ts Service and control/views.ts ServiceView alike. */
export interface LabelledService {
  readonly key: ServiceKey;
  readonly dests: readonly { readonly addr: string; readonly port: number; readonly af: number }[];
}

/** The table families' lines: a {@link SeriesLayout} and the table's size. */
export interface TableLayout extends SeriesLayout {
  readonly nSvc: number;
  readonly nDest: number;
}

/**
 * Label text worked out per service and real server object, kept while the object lives: a
 * layout after one real server is added computes one new label set, not 10,000.
 */
export type LabelCache = WeakMap<object, readonly string[]>;

/** Strings encoded into one buffer, with each one's end offset. */
export interface Encoded {
  readonly buf: Buffer;
  readonly ends: Uint32Array;
}

/** Encodes `strs` into one UTF-8 buffer with each one's end offset (a {@link LayoutPart}'s labels). */
export function encodeAll(strs: readonly string[]): Encoded {
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

/** `{service="…"} `, then per real server `{service="…",real_server="…"} ` and the node_ipvs set. */
function labelsOf(s: LabelledService, cache: LabelCache): readonly string[] {
  // Keyed by the key object, which a service keeps for life (the layout's service objects are copies).
  let l = cache.get(s.key);
  if (l === undefined) {
    l = [`service="${escapeLabel(serviceKeyText(s.key))}"`];
    cache.set(s.key, l);
  }
  return l;
}

function destLabelsOf(
  s: LabelledService,
  svc: string,
  d: LabelledService['dests'][number],
  cache: LabelCache,
): readonly string[] {
  let l = cache.get(d);
  if (l === undefined) {
    const rs = d.af === 6 ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`;
    l = [`{${svc},real_server="${escapeLabel(rs)}"} `, `${backendLabels(s.key, d.addr, d.port)} `];
    cache.set(d, l);
  }
  return l;
}

/**
 * The layout of `services` (their labels; values are not read). Only the sizes are worked out
 * here; the label bytes when the body is first written for it (parts(), in preparation steps of
 * their own): label text comes from `cache` for objects seen before, one string per label kind is
 * encoded, and each line is copied from it by series-body.ts. `services` and their `dests` must
 * not change afterwards (callers pass copies of the table's arrays).
 */
export function buildLayout(services: readonly LabelledService[], cache: LabelCache): TableLayout {
  const nSvc = services.length;
  let nDest = 0;
  for (const s of services) nDest += s.dests.length;
  const families = (nDest > 0 ? DEST_FAMS.length : 0) + (nSvc > 0 ? SVC_FAMS.length : 0);
  let parts: LayoutPart[] | undefined;
  const stages = layoutStages(services, cache, nSvc, nDest);
  return {
    nSvc,
    nDest,
    nValues: nSvc * SERVICE_VALUES + nDest * DEST_VALUES,
    segments: families + (nDest > 0 ? DEST_FAMS.length * nDest : 0) + (nSvc > 0 ? SVC_FAMS.length * nSvc : 0),
    parts: () => {
      if (parts === undefined) {
        const r = stages.next();
        if (!r.done) return undefined;
        parts = r.value;
      }
      return parts;
    },
  };
}

/** The parts in stages (label text, then each kind's bytes), a few ms each at 10,000 real servers. */
function* layoutStages(
  services: readonly LabelledService[],
  cache: LabelCache,
  nSvc: number,
  nDest: number,
): Generator<undefined, LayoutPart[]> {
  const svcLabels: string[] = [];
  const destLabels: string[] = [];
  const ipvsLabels: string[] = [];
  for (const s of services) {
    const svc = labelsOf(s, cache)[0] as string;
    svcLabels.push(`{${svc}} `);
    for (const d of s.dests) {
      const l = destLabelsOf(s, svc, d, cache);
      destLabels.push(l[0] as string);
      ipvsLabels.push(l[1] as string);
    }
  }
  yield;
  const dest = encodeAll(destLabels);
  yield;
  const ipvs = encodeAll(ipvsLabels);
  yield;
  const svc = encodeAll(svcLabels);
  const parts: LayoutPart[] = [];
  const header = (f: Fam) =>
    parts.push({ header: Buffer.from(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`, 'utf8') });
  const serviceFamilies = () =>
    SVC_FAMS.forEach((sf, j) => {
      if (nSvc === 0) return;
      header(sf);
      parts.push({
        name: Buffer.from(sf.name),
        labels: svc.buf,
        ends: svc.ends,
        first: j,
        stride: SERVICE_VALUES,
      });
    });
  // node_ipvs families first, then lvs_service_*, then lvs_real_server_*.
  DEST_FAMS.forEach((f, k) => {
    if (nDest === 0) return;
    header(f);
    const l = k < NODE_IPVS ? ipvs : dest;
    parts.push({
      name: Buffer.from(f.name),
      labels: l.buf,
      ends: l.ends,
      first: nSvc * SERVICE_VALUES + k,
      stride: DEST_VALUES,
    });
    if (k === NODE_IPVS - 1) serviceFamilies();
  });
  if (nDest === 0) serviceFamilies();
  return parts;
}
