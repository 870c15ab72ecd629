/**
 * The health and availability families' kept body (health-writer.ts) equals the line-by-line
 * rendering (health-families.ts writeHealthFamilies / writeAvailabilityFamilies) through any
 * views, values, shape changes and block sizes, and keeps its lines between scrapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AvailabilityView, HealthView } from '../../src/control/health-views.js';
import { Exposition } from '../../src/daemon/metrics/exposition.js';
import {
  rsText,
  writeAvailabilityFamilies,
  writeHealthFamilies,
} from '../../src/daemon/metrics/health-families.js';
import { HealthWriter } from '../../src/daemon/metrics/health-writer.js';
import { concatChunks } from '../../src/daemon/metrics/table-writer.js';

interface Shape {
  readonly withHealth: boolean;
  readonly withAvail: boolean;
  readonly services: readonly {
    readonly id: string;
    readonly reals: readonly {
      readonly addr: string;
      readonly port: number;
      readonly checkers: readonly { readonly type: string; readonly hasLast: boolean }[];
    }[];
  }[];
}

const text = fc.oneof(
  fc.constantFrom('TCP 192.0.2.1:80', 'FWM 7', 'a"b', 'back\\slash', 'new\nline', 'é→', ''),
  fc.string({ maxLength: 6 }),
);
const shapeArb: fc.Arbitrary<Shape> = fc.record({
  withHealth: fc.boolean(),
  withAvail: fc.boolean(),
  services: fc.array(
    fc.record({
      id: text,
      reals: fc.array(
        fc.record({
          addr: fc.constantFrom('198.51.100.1', '2001:db8::1', '203.0.113.9'),
          port: fc.integer({ min: 0, max: 65535 }),
          checkers: fc.array(
            fc.record({ type: fc.constantFrom('tcp', 'http', 'misc"x'), hasLast: fc.boolean() }),
            { maxLength: 3 },
          ),
        }),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 4 },
  ),
});
const valueArb = fc.oneof(
  fc.double(),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.constantFrom(Number.NaN, 0, -0, Number.POSITIVE_INFINITY, 1.5, 1e21),
);

/** The views of `shape` with values taken in turn from `pool` (booleans from their sign). */
function views(shape: Shape, pool: readonly number[]): { h?: HealthView; a?: AvailabilityView } {
  let i = 0;
  const num = () => pool[i++ % pool.length] as number;
  const bit = () => num() > 0;
  const row = (subject: string) => ({
    subject,
    up: bit(),
    since: num(),
    observedMs: num(),
    upMs: num(),
    downMs: num(),
    failures: num(),
    uptimePct: num(),
    mtbfMs: num(),
    mttrMs: num(),
    availability: num(),
  });
  const h: HealthView = {
    now: 0,
    services: shape.services.map((s) => ({
      id: s.id,
      quorumUp: bit(),
      since: 0,
      weightSum: 0,
      quorum: 0,
      hysteresis: 0,
      reals: s.reals.map((r) => ({
        addr: r.addr,
        port: r.port,
        up: bit(),
        since: 0,
        weight: 1,
        configuredWeight: 1,
        message: '',
        checkers: r.checkers.map((c) => ({
          type: c.type,
          up: true,
          since: 0,
          nextAt: 0,
          ...(c.hasLast ? { last: { ok: bit(), message: '', durationMs: num(), at: 0 } } : {}),
        })),
      })),
    })),
  };
  const a: AvailabilityView = {
    now: 0,
    services: shape.services.map((s) => ({
      service: row(s.id),
      reals: s.reals.map((r) => row(rsText(r.addr, r.port))),
    })),
  };
  return { ...(shape.withHealth ? { h } : {}), ...(shape.withAvail ? { a } : {}) };
}

function reference(v: { h?: HealthView; a?: AvailabilityView }): string {
  const out = new Exposition();
  if (v.h) writeHealthFamilies(out, v.h);
  if (v.a) writeAvailabilityFamilies(out, v.a);
  return out.text();
}

test('the kept health body equals a line-by-line rendering through any views, values and block sizes', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          shape: shapeArb,
          rounds: fc.array(fc.array(valueArb, { minLength: 1, maxLength: 12 }), {
            minLength: 1,
            maxLength: 4,
          }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      fc.integer({ min: 1, max: 2000 }),
      (steps, blockBytes) => {
        const w = new HealthWriter(blockBytes);
        for (const { shape, rounds } of steps)
          for (const pool of rounds) {
            const v = views(shape, pool);
            const got = concatChunks(w.prepareNow(w.read(v.h, v.a))).toString('utf8');
            assert.equal(got, reference(v));
          }
      },
    ),
    { numRuns: 200 },
  );
});

test('the layout is kept while the lines are the same, and rebuilt when a checker gets a result', async () => {
  const shape: Shape = {
    withHealth: true,
    withAvail: true,
    services: [
      {
        id: 'TCP 192.0.2.1:80',
        reals: [{ addr: '198.51.100.1', port: 80, checkers: [{ type: 'tcp', hasLast: true }] }],
      },
    ],
  };
  const w = new HealthWriter();
  const one = views(shape, [1, 2, 3]);
  const s1 = w.read(one.h, one.a);
  const two = views(shape, [5, -1]);
  const s2 = w.read(two.h, two.a);
  assert.equal(s2.layout, s1.layout, 'same lines: the same layout');
  assert.equal(concatChunks(await w.prepare(s2)).toString(), reference(two));
  const first = shape.services[0];
  assert.ok(first);
  const more: Shape = {
    ...shape,
    services: [
      {
        ...first,
        reals: [
          {
            addr: '198.51.100.1',
            port: 80,
            checkers: [
              { type: 'tcp', hasLast: true },
              { type: 'http', hasLast: true },
            ],
          },
        ],
      },
    ],
  };
  const three = views(more, [7]);
  const s3 = w.read(three.h, three.a);
  assert.notEqual(s3.layout, s1.layout);
  assert.equal(concatChunks(await w.prepare(s3)).toString(), reference(three));
  assert.match(reference(three), /checker="http",index="1"/);
});
