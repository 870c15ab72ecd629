/**
 * The byte writer of the per-real-server families against a Prometheus parser: any counter and
 * rate values (integers up to 2^53 and non-integers alike) and any sequence of table layouts
 * (the cached label prefixes must follow every change) read back as the views said.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DestView, ServiceView, Snapshot } from '../../src/control/views.js';
import { PROTO } from '../../src/core/types.js';
import { TableWriter } from '../../src/daemon/metrics/table-writer.js';
import { parseExposition, seriesValue } from '../helpers/http-routes.js';
import { destConfig } from '../helpers/table.js';

const num = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.double({ min: 0, max: 1e6, noNaN: true }));
const five = fc.tuple(num, num, num, num, num);

const destArb = fc.record({
  host: fc.integer({ min: 1, max: 6 }),
  weight: fc.nat(100),
  s: five,
  r: five,
  a: fc.nat(),
});
const svcArb = fc.record({
  port: fc.integer({ min: 1, max: 4 }),
  dests: fc.uniqueArray(destArb, { maxLength: 4, selector: (d) => d.host }),
  s: five,
});
const tableArb = fc.uniqueArray(svcArb, { maxLength: 4, selector: (s) => s.port });

type Five = readonly [number, number, number, number, number];
const stats = ([conns, inpkts, outpkts, inbytes, outbytes]: Five) => ({
  conns,
  inpkts,
  outpkts,
  inbytes,
  outbytes,
});
const rates = ([cps, inpps, outpps, inbps, outbps]: Five) => ({ cps, inpps, outpps, inbps, outbps });

type Table = typeof tableArb extends fc.Arbitrary<infer T> ? T : never;

function snapshot(t: Table): Snapshot {
  const services: ServiceView[] = t.map((s) => ({
    key: { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.1', port: s.port },
    config: { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
    stats: stats(s.s),
    rates: rates(s.s),
    dests: s.dests.map(
      (d): DestView => ({
        ...destConfig(`198.51.100.${d.host}`, 80, { weight: d.weight }),
        activeConns: d.a,
        inactConns: 0,
        persistConns: 0,
        stats: stats(d.s),
        rates: rates(d.r),
      }),
    ),
  }));
  return { connTabSize: 0, services };
}

test('the byte writer reads back every value through any sequence of table layouts', () => {
  fc.assert(
    fc.property(fc.array(tableArb, { minLength: 1, maxLength: 4 }), (tables) => {
      const w = new TableWriter();
      for (const t of tables) {
        const m = parseExposition(w.render(snapshot(t)).toString('utf8'));
        const rows = t.flatMap((s) => s.dests.map((d) => ({ s, d })));
        assert.equal(m.get('node_ipvs_backend_weight')?.metrics.length ?? 0, rows.length);
        for (const { s, d } of rows) {
          const sel = { service: `TCP 192.0.2.1:${s.port}`, real_server: `198.51.100.${d.host}:80` };
          assert.equal(seriesValue(m, 'lvs_real_server_in_bytes_total', sel), d.s[3]);
          assert.equal(seriesValue(m, 'lvs_real_server_out_bytes_per_second', sel), d.r[4]);
          const ipvs = { local_port: String(s.port), remote_address: `198.51.100.${d.host}` };
          assert.equal(seriesValue(m, 'node_ipvs_backend_weight', ipvs), d.weight);
          assert.equal(seriesValue(m, 'node_ipvs_backend_connections_active', ipvs), d.a);
        }
        for (const s of t)
          assert.equal(
            seriesValue(m, 'lvs_service_connections_total', { service: `TCP 192.0.2.1:${s.port}` }),
            s.s[0],
          );
      }
    }),
    { numRuns: 200 },
  );
});
