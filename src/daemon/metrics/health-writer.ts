/**
 * The health and availability families (health-families.ts names and helps them) written as a
 * kept body, as the table families are (table-writer.ts): while the services, real servers and
 * checkers with a result are the same, in the same order, the lines' labels are kept and a scrape
 * writes only the values that changed (series-body.ts). At 1,000 services × 10 real servers these
 * are about 97,000 lines, which health-families.ts rebuilt as strings at every scrape.
 *
 * A scrape reads every value from the views at once ({@link HealthWriter.read}), so the body is
 * one moment's health; the body is then prepared in steps with loop turns between them.
 */
import type { AvailabilityRow, AvailabilityView, HealthView } from '../../control/health-views.js';
import { escapeHelp, escapeLabel } from './exposition.js';
import { AVAILABILITY_FAMILIES, HEALTH_FAMILIES, rsText } from './health-families.js';
import { type BodyChunks, type LayoutPart, SeriesBody, type SeriesLayout } from './series-body.js';
import { encodeAll } from './table-layout.js';
import { STEP_MS } from './table-writer.js';

/** One scrape's health lines before they are written: the layout and the values read for it. */
export interface HealthScrape {
  readonly layout: SeriesLayout;
  readonly values: Float64Array;
}

/** What identifies the lines of a view pair: every id, address, port and checker, in order. */
type Shape = (string | number | boolean)[];

function shapeOf(h: HealthView | undefined, a: AvailabilityView | undefined): Shape {
  const k: Shape = [h !== undefined, a !== undefined];
  for (const s of h?.services ?? []) {
    k.push(s.id, s.reals.length);
    for (const r of s.reals) {
      k.push(r.addr, r.port, r.checkers.length);
      for (const c of r.checkers) k.push(c.type, c.last !== undefined);
    }
  }
  for (const s of a?.services ?? []) {
    k.push(s.service.subject, s.reals.length);
    for (const r of s.reals) k.push(r.subject);
  }
  return k;
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A family's lines: its name, help, type and the label set of each line. */
interface FamilyRows {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly labels: readonly string[];
}

/** Services whose label text one step works out (about 1,000 lines at 10 real servers each). */
const SERVICES_PER_STEP = 100;

/**
 * The families of a view pair, in health-families.ts order, with each line's labels; it yields
 * every {@link SERVICES_PER_STEP} services so a new layout is worked out in steps.
 */
function* familiesOf(
  h: HealthView | undefined,
  a: AvailabilityView | undefined,
): Generator<undefined, FamilyRows[]> {
  const out: FamilyRows[] = [];
  let n = 0;
  if (h) {
    const services: string[] = [];
    const reals: string[] = [];
    const checks: string[] = [];
    for (const s of h.services) {
      if (++n % SERVICES_PER_STEP === 0) yield;
      const svc = `service="${escapeLabel(s.id)}"`;
      services.push(`{${svc}} `);
      for (const r of s.reals) {
        const rl = `${svc},real_server="${escapeLabel(rsText(r.addr, r.port))}"`;
        reals.push(`{${rl}} `);
        r.checkers.forEach((c, i) => {
          if (c.last) checks.push(`{${rl},checker="${escapeLabel(c.type)}",index="${i}"} `);
        });
      }
    }
    const rows = [services, reals, checks, checks];
    HEALTH_FAMILIES.forEach((f, i) => {
      out.push({ ...f, labels: rows[i] as string[] });
    });
  }
  if (a) {
    const services: string[] = [];
    const reals: string[] = [];
    for (const s of a.services) {
      if (++n % SERVICES_PER_STEP === 0) yield;
      const svc = `service="${escapeLabel(s.service.subject)}"`;
      services.push(`{${svc}} `);
      for (const r of s.reals) reals.push(`{${svc},real_server="${escapeLabel(r.subject)}"} `);
    }
    for (const [prefix, labels, what] of [
      ['lvs_service', services, 'virtual service (quorum)'],
      ['lvs_real_server', reals, 'real server'],
    ] as const)
      for (const f of AVAILABILITY_FAMILIES)
        out.push({ name: `${prefix}_${f.stem}`, type: f.type, help: `${f.help} of the ${what}.`, labels });
  }
  // Exposition.series writes nothing, not even the header, for a family without lines.
  return out.filter((f) => f.labels.length > 0);
}

/** Lines per family of a view pair, in familiesOf's order, empty families included. */
function lineCounts(h: HealthView | undefined, a: AvailabilityView | undefined): number[] {
  const counts: number[] = [];
  if (h) {
    let reals = 0;
    let checks = 0;
    for (const s of h.services)
      for (const r of s.reals) {
        reals++;
        for (const c of r.checkers) if (c.last) checks++;
      }
    counts.push(h.services.length, reals, checks, checks);
  }
  if (a) {
    let reals = 0;
    for (const s of a.services) reals += s.reals.length;
    for (const rows of [a.services.length, reals]) for (const _ of AVAILABILITY_FAMILIES) counts.push(rows);
  }
  return counts;
}

/** The layout's parts in steps: the label text (familiesOf), then each label set's bytes. */
function* partsOf(
  h: HealthView | undefined,
  a: AvailabilityView | undefined,
): Generator<undefined, LayoutPart[]> {
  const families = yield* familiesOf(h, a);
  const parts: LayoutPart[] = [];
  const encoded = new Map<readonly string[], ReturnType<typeof encodeAll>>();
  let first = 0;
  for (const f of families) {
    parts.push({
      header: Buffer.from(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`),
    });
    let e = encoded.get(f.labels);
    if (e === undefined) {
      yield;
      e = encodeAll(f.labels);
      encoded.set(f.labels, e);
    }
    parts.push({ name: Buffer.from(f.name), labels: e.buf, ends: e.ends, first, stride: 1 });
    first += f.labels.length;
  }
  return parts;
}

/**
 * The layout of a view pair: each family's lines take one run of the value array. Only the sizes
 * are worked out here; the labels when the body is first written (parts(), in preparation steps
 * of their own), from these views, which nothing changes afterwards (each query builds new ones).
 */
function layoutOf(h: HealthView | undefined, a: AvailabilityView | undefined): SeriesLayout {
  const counts = lineCounts(h, a).filter((n) => n > 0);
  const nValues = counts.reduce((x, y) => x + y, 0);
  const stages = partsOf(h, a);
  let parts: LayoutPart[] | undefined;
  return {
    segments: nValues + counts.length,
    nValues,
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

/** Writes the values of a view pair in its layout's order (familiesOf). */
function valuesOf(h: HealthView | undefined, a: AvailabilityView | undefined, n: number): Float64Array {
  const v = new Float64Array(n);
  let at = 0;
  if (h) {
    let nSvc = 0;
    let nReal = 0;
    let nCheck = 0;
    for (const s of h.services) {
      nSvc++;
      for (const r of s.reals) {
        nReal++;
        for (const c of r.checkers) if (c.last) nCheck++;
      }
    }
    let si = at;
    let ri = at + nSvc;
    let ok = ri + nReal;
    let dur = ok + nCheck;
    for (const s of h.services) {
      v[si++] = s.quorumUp ? 1 : 0;
      for (const r of s.reals) {
        v[ri++] = r.up ? 1 : 0;
        for (const c of r.checkers)
          if (c.last) {
            v[ok++] = c.last.ok ? 1 : 0;
            v[dur++] = c.last.durationMs / 1000;
          }
      }
    }
    at = dur;
  }
  if (a) {
    const services: AvailabilityRow[] = [];
    const reals: AvailabilityRow[] = [];
    for (const s of a.services) {
      services.push(s.service);
      for (const r of s.reals) reals.push(r);
    }
    for (const rows of [services, reals])
      for (const f of AVAILABILITY_FAMILIES) for (const r of rows) v[at++] = f.value(r);
  }
  return v;
}

/** Keeps the health families' layout and body between scrapes. */
export class HealthWriter {
  private readonly body: SeriesBody;
  private shape: Shape = [];
  private layout: SeriesLayout | undefined;

  /** `blockBytes`: the body's block size (series-body.ts BLOCK_BYTES; smaller in tests). */
  constructor(blockBytes?: number) {
    this.body = new SeriesBody(blockBytes);
  }

  /** The layout of the views (kept while their lines are the same) and their values, read now. */
  read(h: HealthView | undefined, a: AvailabilityView | undefined): HealthScrape {
    const shape = shapeOf(h, a);
    if (!this.layout || !sameShape(shape, this.shape)) {
      this.layout = layoutOf(h, a);
      this.shape = shape;
    }
    return { layout: this.layout, values: valuesOf(h, a, this.layout.nValues) };
  }

  /** The body of `s`, prepared in steps with loop turns between; one at a time, in call order. */
  prepare(s: HealthScrape): Promise<BodyChunks> {
    return this.body.prepareStepped(s.layout, s.values, STEP_MS);
  }

  /** The body of `s` prepared at once (tests, the benchmark); not while {@link prepare} runs. */
  prepareNow(s: HealthScrape): BodyChunks {
    return this.body.prepareNow(s.layout, s.values);
  }
}
