/**
 * The per-service and per-real-server families written as bytes: the layout (table-layout.ts, every
 * line's encoded `name{labels} ` prefix) is kept from scrape to scrape while the table holds the
 * same services and real servers in the same order, and each scrape copies the prefixes into
 * chunks with the values' digits written in place. At 10,000 real servers that is 150,000 lines,
 * where building strings cost several times the 50 ms a scrape may take (bench/metrics-scrape.ts).
 *
 * A scrape reads the counters straight from the core's Stats (writeView/writeRates, the numbers
 * Stats.view()/rates() give the listings) into one Float64Array, all at once so the body is one
 * moment's table; the chunks are then written from that array, so a caller may hand each chunk to
 * the socket and yield to the event loop before writing the next.
 */
import type { Snapshot } from '../../control/views.js';
import type { Stats } from '../../core/stats.js';
import { serviceKeyText } from '../../core/types.js';
import { formatValue } from './exposition.js';
import { buildLayout, DEST_VALUES, type Layout, SERVICE_VALUES, serviceValues } from './table-layout.js';

/** What the writer reads of a core Stats. */
type CountedStats = Pick<Stats, 'writeView' | 'writeRates'>;

/** A real server as the writer reads it (core/dest.ts Dest). */
export interface CountedDest {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly weight: number;
  readonly persistConns: number;
  readonly stats: CountedStats;
}

/** A virtual service as the writer reads it (core/service.ts Service). */
export interface CountedService {
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

/** Room a value takes at most: String() of a double is at most 24 characters, then the newline. */
const VALUE_ROOM = 32;

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

/** One scrape's table families: a layout and the values read for it, written out chunk by chunk. */
export class TableChunks {
  private seg = 0;

  constructor(
    private readonly layout: Layout,
    private readonly values: Float64Array,
  ) {}

  /** Whether every line has been written. */
  get done(): boolean {
    return this.seg >= this.layout.ends.length;
  }

  /** Virtual services in this scrape. */
  get services(): number {
    return this.layout.nSvc;
  }

  /** Real servers in this scrape, over all virtual services. */
  get realServers(): number {
    return this.layout.nDest;
  }

  /** The smallest chunk {@link TableChunks.fill} can always make progress with. */
  get minChunk(): number {
    return this.layout.maxSegment + VALUE_ROOM;
  }

  /** Writes whole lines from `out`'s start while they fit; returns the bytes written. */
  fill(out: Buffer): number {
    const { bytes, ends, slot } = this.layout;
    const values = this.values;
    const room = out.length - VALUE_ROOM;
    let at = 0;
    let i = this.seg;
    let start = i === 0 ? 0 : (ends[i - 1] as number);
    for (; i < ends.length; i++) {
      const end = ends[i] as number;
      if (at + (end - start) > room) break;
      at += bytes.copy(out, at, start, end);
      start = end;
      const k = slot[i] as number;
      if (k < 0) continue;
      const v = values[k] as number;
      if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) at = writeUint(out, at, v);
      else at += out.write(formatValue(v), at, 'latin1');
      out[at++] = 10;
    }
    this.seg = i;
    return at;
  }

  /** The remaining lines as one buffer (tests, and callers that do not stream). */
  rest(): Buffer {
    const out = Buffer.allocUnsafe(this.layout.bytes.length + this.values.length * VALUE_ROOM + VALUE_ROOM);
    return out.subarray(0, this.fill(out));
  }
}

/** Keeps the layout between scrapes and reads each scrape's values. */
export class TableWriter {
  private fromViews: { keys: readonly string[]; layout: Layout } | undefined;
  private fromTable:
    | { generation: number; services: readonly CountedService[]; refs: readonly object[]; layout: Layout }
    | undefined;

  /**
   * The table families of `table`, its counters read now. `list` gives the views the layout's labels
   * are built from when the services or real servers changed (the daemon's `list` query).
   */
  scrape(table: CountedTable, list: () => Snapshot): TableChunks {
    let t = this.fromTable;
    if (t?.generation !== table.generation) {
      const services = table.enumerate();
      if (t && sameShape(t.refs, services)) t = { ...t, generation: table.generation, services };
      else {
        const refs: object[] = [];
        for (const s of services) refs.push(s, ...s.dests);
        t = { generation: table.generation, services, refs, layout: buildLayout(list()) };
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
    return new TableChunks(layout, values);
  }

  /** The table families of a snapshot's views (sources without a table, and tests). */
  scrapeViews(snapshot: Snapshot): TableChunks {
    const keys: string[] = [];
    for (const s of snapshot.services) {
      keys.push(serviceKeyText(s.key));
      for (const d of s.dests) keys.push(`${d.addr}|${d.port}`);
    }
    let v = this.fromViews;
    if (!v || !sameStrings(v.keys, keys)) v = this.fromViews = { keys, layout: buildLayout(snapshot) };
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
    return new TableChunks(v.layout, values);
  }

  /** The node_ipvs_backend_*, lvs_service_* and lvs_real_server_* families of `snapshot`, as bytes. */
  render(snapshot: Snapshot): Buffer {
    return this.scrapeViews(snapshot).rest();
  }
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
