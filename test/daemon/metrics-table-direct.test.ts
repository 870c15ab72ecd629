/**
 * The counters /metrics reads straight from the core's Stats (TableWriter.read) against the
 * `list` views lvsadm reads (TableWriter.readViews): byte for byte the same families through any
 * sequence of table changes, traffic, estimator ticks and zeroing; and the
 * body GET /metrics streams in chunks is the body renderBytes builds at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import type { Command } from '../../src/control/commands.js';
import type { Snapshot } from '../../src/control/views.js';
import { PROTO, type ServiceKey } from '../../src/core/types.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { createMetrics } from '../../src/daemon/metrics/metrics.js';
import { BLOCK_BYTES } from '../../src/daemon/metrics/series-body.js';
import { concatChunks, TableWriter } from '../../src/daemon/metrics/table-writer.js';
import { F, pkt } from '../core/director/helpers.js';
import { serveRoutes } from '../helpers/http-routes.js';
import { destConfig } from '../helpers/table.js';

const cfg = { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' };
const key = (port: number): ServiceKey => ({
  kind: 'addr',
  af: 4,
  protocol: PROTO.TCP,
  addr: '192.0.2.1',
  port,
});

async function daemon(): Promise<Daemon> {
  return startDaemon({
    socket: join(mkdtempSync(join(tmpdir(), 'lvs-metrics-direct-')), 'lvsd.sock'),
    connTabBits: 10,
    tickMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
}

const list = (d: Daemon) => (): Snapshot => {
  const r = d.query({ q: 'list' });
  assert.equal(r.q, 'list');
  return r.snapshot;
};

const opArb = fc.oneof(
  fc.record({ op: fc.constant('add-service' as const), port: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('del-service' as const), port: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    op: fc.constant('add-dest' as const),
    port: fc.integer({ min: 1, max: 3 }),
    host: fc.integer({ min: 1, max: 5 }),
    weight: fc.nat(9),
  }),
  fc.record({
    op: fc.constant('edit-dest' as const),
    port: fc.integer({ min: 1, max: 3 }),
    host: fc.integer({ min: 1, max: 5 }),
    weight: fc.nat(9),
  }),
  fc.record({
    op: fc.constant('del-dest' as const),
    port: fc.integer({ min: 1, max: 3 }),
    host: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ op: fc.constant('traffic' as const), port: fc.integer({ min: 1, max: 3 }), n: fc.nat(200) }),
  fc.record({ op: fc.constant('tick' as const) }),
  fc.record({ op: fc.constant('tick' as const) }),
  fc.record({ op: fc.constant('zero' as const) }),
);

test('counters read from the core equal the list views, byte for byte, through any table history', async () => {
  const d = await daemon();
  try {
    let now = Date.now();
    let sport = 1024;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        d.apply({ op: 'clear' });
        const direct = new TableWriter();
        const views = new TableWriter();
        // A served real server with traffic and rates first, then anything.
        const start = [
          { op: 'add-service', port: 1 },
          { op: 'add-dest', port: 1, host: 1, weight: 5 },
          { op: 'traffic', port: 1, n: 50 },
          { op: 'tick' },
        ] as const;
        for (const o of [...start, ...ops]) {
          let cmd: Command | undefined;
          if (o.op === 'add-service') cmd = { op: 'add-service', service: key(o.port), config: cfg };
          else if (o.op === 'del-service') cmd = { op: 'del-service', service: key(o.port) };
          else if (o.op === 'add-dest' || o.op === 'edit-dest')
            cmd = {
              op: o.op,
              service: key(o.port),
              dest: destConfig(`198.51.100.${o.host}`, 80, { weight: o.weight }),
            };
          else if (o.op === 'del-dest')
            cmd = { op: 'del-dest', service: key(o.port), dest: destConfig(`198.51.100.${o.host}`, 80) };
          else if (o.op === 'zero') cmd = { op: 'zero' };
          else if (o.op === 'tick') {
            // Two estimator periods: the first after traffic can only set the estimator's baseline.
            d.director.director.tick((now += 2000));
            d.director.director.tick((now += 2000));
          } else
            for (let i = 0; i < o.n; i++)
              d.director.director.inPacket(
                pkt('tcp', '203.0.113.9', sport++, '192.0.2.1', o.port, { flags: F.SYN, len: 60 + i }),
                now,
              );
          if (cmd)
            try {
              d.apply(cmd);
            } catch {
              // Refused commands (no such service, exists) leave the table as it was.
            }
          const want = views.render(list(d)());
          const got = concatChunks(direct.prepareNow(direct.read(d.director.table)));
          assert.equal(got.toString(), want.toString());
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    await d.close();
  }
});

test('GET /metrics streams in chunks the same body renderBytes builds at once', async () => {
  const d = await daemon();
  const metrics = createMetrics(d, { processMetrics: false });
  const http = await serveRoutes(metrics.routes);
  try {
    // 300 services × 10 real servers: some 5 MB, many chunks.
    for (let s = 0; s < 300; s++) {
      d.apply({ op: 'add-service', service: key(1000 + s), config: cfg });
      for (let r = 1; r <= 10; r++)
        d.apply({
          op: 'add-dest',
          service: key(1000 + s),
          dest: destConfig(`198.51.100.${r}`, 80, { weight: r }),
        });
      d.director.director.inPacket(
        pkt('tcp', '203.0.113.9', 2000 + s, '192.0.2.1', 1000 + s, { flags: F.SYN, len: 60 }),
        Date.now(),
      );
    }
    const res = await fetch(`${http.url}/metrics`);
    assert.equal(res.status, 200);
    const streamed = Buffer.from(await res.arrayBuffer());
    const whole = await metrics.renderBytes();
    assert.ok(streamed.length > 4 * BLOCK_BYTES, `body of ${streamed.length} bytes spans several chunks`);
    // The event counters count the scrape's own table changes alike; everything else is the same.
    assert.equal(streamed.toString(), whole.toString());
  } finally {
    await http.close();
    metrics.close();
    await d.close();
  }
});
