/**
 * The per-service and per-real-server families written as bytes: the layout (table-layout.ts, the
 * families' headers and each line's label bytes) is kept from scrape to scrape while the table
 * holds the same services and real servers in the same order, and the body (series-body.ts) keeps
 * the previous scrape's lines, so a scrape writes only the values that changed. At 10,000 real
 * servers that is 150,000 lines, where building strings cost several times the 50 ms a scrape may
 * take (bench/metrics-scrape.ts).
 *
 * A scrape reads the counters straight from the core's Stats (writeView/writeRates, the numbers
 * Stats.view()/rates() give the listings) into one Float64Array, all at once so the body is one
 * moment's table ({@link TableWriter.read}); the body is then prepared from that array in steps
 * with a turn of the event loop between them ({@link TableWriter.prepare}).
 */
import type { Snapshot } from '../../control/views.js';
import type { Stats } from '../../core/stats.js';
import { type ServiceKey, serviceKeyText } from '../../core/types.js';
import { type BodyChunks, SeriesBody } from './series-body.js';
import {
  buildLayout,
  DEST_VALUES,
  type LabelCache,
  type LabelledService,
  SERVICE_VALUES,
  serviceValues,
  type TableLayout,
} from './table-layout.js';

/** What the writer reads of a core Stats. */
type CountedStats = Pick<Stats, 'writeView' | 'writeRates'>;

/** A real server as the writer reads it (core/dest.ts Dest). */
export interface CountedDest {
  readonly addr: string;
  readonly port: number;
  readonly af: number;
  readonly activeConns: number;
  readonly inactConns: number;
  readonly weight: number;
  readonly persistConns: number;
  readonly stats: CountedStats;
}

/** A virtual service as the writer reads it (core/service.ts Service). */
export interface CountedService {
  readonly key: ServiceKey;
  readonly stats: CountedStats;
  readonly dests: readonly CountedDest[];
}

/** The service table as the writer reads it (core/service-table.ts ServiceTable). */
export interface CountedTable {
  /** Bumped on every table change: while it holds, the services and real servers are the same. */
  readonly generation: number;
  /** Services in listing order (what `list` views follow). */
  enumerate(): readonly CountedService[];
}

/** One scrape's table families before they are written: the layout and the values read for it. */
export interface TableScrape {
  readonly layout: TableLayout;
  readonly values: Float64Array;
}

/** CPU time a preparation step takes at most before the event loop gets a turn, ms. */
export const STEP_MS = 4;

/** Keeps the layout and the body between scrapes. */
export class TableWriter {
  private readonly body: SeriesBody;
  private readonly labels: LabelCache = new WeakMap();
  private fromViews: { keys: readonly string[]; layout: TableLayout } | undefined;
  private fromTable:
    | {
        generation: number;
        services: readonly CountedService[];
        refs: readonly object[];
        layout: TableLayout;
      }
    | undefined;

  /** `blockBytes`: the body's block size (series-body.ts BLOCK_BYTES; smaller in tests). */
  constructor(blockBytes?: number) {
    this.body = new SeriesBody(blockBytes);
  }

  /** The layout of `table` and its counters, read now. */
  read(table: CountedTable): TableScrape {
    let t = this.fromTable;
    if (t?.generation !== table.generation) {
      const services = table.enumerate();
      if (t && sameShape(t.refs, services)) t = { ...t, generation: table.generation, services };
      else {
        const refs: object[] = [];
        // The layout's labels are worked out later, from these copies of the table's arrays.
        const shape: LabelledService[] = [];
        for (const s of services) {
          refs.push(s, ...s.dests);
          shape.push({ key: s.key, dests: s.dests.slice() });
        }
        t = { generation: table.generation, services, refs, layout: buildLayout(shape, this.labels) };
      }
      this.fromTable = t;
    }
    const { layout, services } = t;
    const values = new Float64Array(layout.nValues);
    let si = 0;
    let di = layout.nSvc * SERVICE_VALUES;
    for (const s of services) {
      s.stats.writeView(values, si);
      s.stats.writeRates(values, si + 5);
      si += SERVICE_VALUES;
      for (const d of s.dests) {
        values[di] = d.activeConns;
        values[di + 1] = d.inactConns;
        values[di + 2] = d.weight;
        d.stats.writeView(values, di + 3);
        d.stats.writeRates(values, di + 8);
        values[di + 13] = d.persistConns;
        di += DEST_VALUES;
      }
    }
    return { layout, values };
  }

  /** The layout and values of a snapshot's views (sources without a table, and tests). */
  readViews(snapshot: Snapshot): TableScrape {
    // Views are new objects at every query: the layout holds while the keys are the same.
    const keys: string[] = [];
    for (const s of snapshot.services) {
      keys.push(serviceKeyText(s.key));
      for (const d of s.dests) keys.push(`${d.addr}|${d.port}`);
    }
    let v = this.fromViews;
    if (!v || !sameStrings(v.keys, keys))
      v = this.fromViews = { keys, layout: buildLayout(snapshot.services, new WeakMap()) };
    const values = new Float64Array(v.layout.nValues);
    let si = 0;
    let di = v.layout.nSvc * SERVICE_VALUES;
    for (const s of snapshot.services) {
      serviceValues(values, si, s.stats, s.rates);
      si += SERVICE_VALUES;
      for (const d of s.dests) {
        values[di] = d.activeConns;
        values[di + 1] = d.inactConns;
        values[di + 2] = d.weight;
        serviceValues(values, di + 3, d.stats, d.rates);
        values[di + 13] = d.persistConns;
        di += DEST_VALUES;
      }
    }
    return { layout: v.layout, values };
  }

  /**
   * The body of `s`, prepared in steps of about {@link STEP_MS} with a turn of the event loop
   * between them; one preparation at a time, in call order.
   */
  prepare(s: TableScrape): Promise<BodyChunks> {
    return this.body.prepareStepped(s.layout, s.values, STEP_MS);
  }

  /** The body of `s` prepared at once (tests, the benchmark); not while {@link prepare} runs. */
  prepareNow(s: TableScrape): BodyChunks {
    return this.body.prepareNow(s.layout, s.values);
  }

  /** The node_ipvs_backend_*, lvs_service_* and lvs_real_server_* families of `snapshot`, as bytes. */
  render(snapshot: Snapshot): Buffer {
    return concatChunks(this.prepareNow(this.readViews(snapshot)));
  }
}

/** A prepared body's chunks as one buffer, their holds released. */
export function concatChunks(c: BodyChunks): Buffer {
  const all = Buffer.concat(c.chunks as Buffer[]);
  for (let i = 0; i < c.chunks.length; i++) c.release(i);
  return all;
}

/** Whether `services` and their real servers are, object for object and in order, `refs`. */
function sameShape(refs: readonly object[], services: readonly CountedService[]): boolean {
  let i = 0;
  for (const s of services) {
    if (refs[i++] !== s) return false;
    for (const d of s.dests) if (refs[i++] !== d) return false;
  }
  return i === refs.length;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
