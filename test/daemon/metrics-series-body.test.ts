/**
 * The kept scrape body (series-body.ts through TableWriter) against a straightforward rendering:
 * for any sequence of service tables (address and mark services, IPv4 and IPv6, any values:
 * integers up to and past 2^53, fractions, negatives, NaN, infinities) and any sequence of scrapes
 * of the same table with new values, whatever the block size and whether the previous scrape's
 * chunks are still being sent, the bytes are those of one string per line written from the views.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DestView, ServiceView, Snapshot } from '../../src/control/views.js';
import { canonicalIp } from '../../src/core/addr.js';
import { PROTO, type ServiceKey, serviceKeyText } from '../../src/core/types.js';
import { Exposition, labelText } from '../../src/daemon/metrics/exposition.js';
import { type BodyChunks, SeriesBody, writeValue } from '../../src/daemon/metrics/series-body.js';
import { DEST_FAMS, NODE_IPVS, SVC_FAMS } from '../../src/daemon/metrics/table-layout.js';
import { concatChunks, TableWriter } from '../../src/daemon/metrics/table-writer.js';
import { destConfig } from '../helpers/table.js';

/** The straightforward rendering: one template string per line, from the views. */
function reference(snap: Snapshot): string {
  const out = new Exposition();
  const svcs = snap.services;
  const dests = svcs.flatMap((s) => s.dests.map((d) => ({ s, d })));
  const five = (st: ServiceView['stats'], r: ServiceView['rates']) => [
    st.conns,
    st.inpkts,
    st.outpkts,
    st.inbytes,
    st.outbytes,
    r.cps,
    r.inpps,
    r.outpps,
    r.inbps,
    r.outbps,
  ];
  const destVals = (d: DestView) => [
    d.activeConns,
    d.inactConns,
    d.weight,
    ...five(d.stats, d.rates),
    d.persistConns,
  ];
  const svcLabel = (s: ServiceView) => labelText({ service: serviceKeyText(s.key) });
  const rsLabel = ({ s, d }: { s: ServiceView; d: DestView }) =>
    labelText({
      service: serviceKeyText(s.key),
      real_server: d.af === 6 ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`,
    });
  const ipvsLabel = ({ s, d }: { s: ServiceView; d: DestView }) => {
    const k = s.key;
    return labelText({
      local_address: k.kind === 'fwmark' ? '' : (canonicalIp(k.addr) ?? k.addr),
      local_port: k.kind === 'fwmark' ? '0' : String(k.port),
      remote_address: canonicalIp(d.addr) ?? d.addr,
      remote_port: String(d.port),
      proto:
        k.kind === 'fwmark'
          ? 'FWM'
          : k.protocol === PROTO.TCP
            ? 'TCP'
            : k.protocol === PROTO.UDP
              ? 'UDP'
              : 'SCTP',
      local_mark: k.kind === 'fwmark' ? k.fwmark.toString(16).toUpperCase().padStart(8, '0') : '',
    });
  };
  const services = () => {
    SVC_FAMS.forEach((f, j) => {
      out.series(f.name, f.type, f.help, svcs, svcLabel, (s) => five(s.stats, s.rates)[j]);
    });
  };
  DEST_FAMS.forEach((f, k) => {
    out.series(f.name, f.type, f.help, dests, k < NODE_IPVS ? ipvsLabel : rsLabel, (r) => destVals(r.d)[k]);
    if (k === NODE_IPVS - 1 && dests.length > 0) services();
  });
  if (dests.length === 0) services();
  return out.text();
}

const value = fc.oneof(
  fc.nat(20),
  fc.maxSafeNat(),
  fc.integer({ min: -1000, max: -1 }),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 60, 1e21, 0.1, -0, Number.NaN, Number.POSITIVE_INFINITY),
);
/** A real server or service's values in each of `rounds` scrapes. */
const valuesArb = (n: number) =>
  fc.array(fc.array(value, { minLength: n, maxLength: n }), { minLength: 4, maxLength: 4 });

const keyArb: fc.Arbitrary<ServiceKey> = fc.oneof(
  fc.record({
    kind: fc.constant('addr' as const),
    af: fc.constant(4 as const),
    protocol: fc.constantFrom(PROTO.TCP, PROTO.UDP, PROTO.SCTP),
    addr: fc.constantFrom('192.0.2.1', '192.0.2.2'),
    port: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('addr' as const),
    af: fc.constant(6 as const),
    protocol: fc.constant(PROTO.TCP),
    addr: fc.constantFrom('2001:db8::1', '2001:0db8:0:0::2'),
    port: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    af: fc.constantFrom(4 as const, 6 as const),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
  }),
);
const destArb = fc.record({
  addr: fc.constantFrom('198.51.100.1', '198.51.100.2', '2001:db8::a', '2001:db8:0::b'),
  port: fc.integer({ min: 0, max: 65535 }),
  v: valuesArb(14),
});
const svcArb = fc.record({
  key: keyArb,
  dests: fc.uniqueArray(destArb, { maxLength: 5, selector: (d) => `${d.addr}|${d.port}` }),
  v: valuesArb(10),
});
const tableArb = fc.uniqueArray(svcArb, { maxLength: 5, selector: (s) => serviceKeyText(s.key) });
type Table = typeof tableArb extends fc.Arbitrary<infer T> ? T : never;

function snapshot(t: Table, round: number): Snapshot {
  const services: ServiceView[] = t.map((s) => {
    const v = s.v[round] as number[];
    return {
      key: s.key,
      config: { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
      stats: { conns: v[0]!, inpkts: v[1]!, outpkts: v[2]!, inbytes: v[3]!, outbytes: v[4]! },
      rates: { cps: v[5]!, inpps: v[6]!, outpps: v[7]!, inbps: v[8]!, outbps: v[9]! },
      dests: s.dests.map((d): DestView => {
        const w = d.v[round] as number[];
        return {
          ...destConfig(d.addr, d.port, { weight: w[2]! }),
          activeConns: w[0]!,
          inactConns: w[1]!,
          stats: { conns: w[3]!, inpkts: w[4]!, outpkts: w[5]!, inbytes: w[6]!, outbytes: w[7]! },
          rates: { cps: w[8]!, inpps: w[9]!, outpps: w[10]!, inbps: w[11]!, outbps: w[12]! },
          persistConns: w[13]!,
        };
      }),
    };
  });
  return { connTabSize: 0, services };
}

test('the kept body equals a line-by-line rendering through any tables, values and block sizes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ t: tableArb, rounds: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }) }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.integer({ min: 1, max: 2000 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      (tables, blockBytes, holds) => {
        const w = new TableWriter(blockBytes);
        let n = 0;
        const held: { c: BodyChunks; text: string }[] = [];
        for (const { t, rounds } of tables)
          for (const round of rounds) {
            const snap = snapshot(t, round);
            const c = w.prepareNow(w.readViews(snap));
            const got = Buffer.concat(c.chunks as Buffer[]).toString('utf8');
            assert.equal(got, reference(snap));
            // Sometimes the chunks stay held, as while the socket still sends them, over later scrapes.
            if (holds[n++ % holds.length]) held.push({ c, text: got });
            else concatChunks(c);
            for (const h of held)
              assert.equal(Buffer.concat(h.c.chunks as Buffer[]).toString('utf8'), h.text);
            if (held.length > 2) concatChunks((held.shift() as { c: BodyChunks }).c);
          }
      },
    ),
    { numRuns: 150 },
  );
});

test('chunks still being sent keep their bytes while later scrapes rewrite the body', () => {
  const body = new SeriesBody(64);
  const layout = {
    parts: () => [
      { header: Buffer.from('# TYPE x gauge\n') },
      {
        name: Buffer.from('x'),
        labels: Buffer.from('{a="1"} {a="2"} {a="3"} '),
        ends: Uint32Array.of(8, 16, 24),
        first: 0,
        stride: 1,
      },
    ],
    segments: 4,
    nValues: 3,
  };
  const first = body.prepareNow(layout, Float64Array.of(1, 2, 3));
  const firstText = Buffer.concat(first.chunks as Buffer[]).toString();
  assert.equal(firstText, '# TYPE x gauge\nx{a="1"} 1\nx{a="2"} 2\nx{a="3"} 3\n');
  const second = body.prepareNow(layout, Float64Array.of(10, 2, 300));
  assert.equal(
    Buffer.concat(second.chunks as Buffer[]).toString(),
    '# TYPE x gauge\nx{a="1"} 10\nx{a="2"} 2\nx{a="3"} 300\n',
  );
  // The first scrape's chunks are still held: a third scrape must not write into them.
  const third = body.prepareNow(layout, Float64Array.of(7, 7, 7));
  assert.equal(Buffer.concat(first.chunks as Buffer[]).toString(), firstText);
  assert.equal(
    Buffer.concat(third.chunks as Buffer[]).toString(),
    '# TYPE x gauge\nx{a="1"} 7\nx{a="2"} 7\nx{a="3"} 7\n',
  );
});

test('a block moved to a new buffer is not freed by sends of its old one', () => {
  const body = new SeriesBody(1 << 16);
  const layout = {
    parts: () => [
      { name: Buffer.from('y'), labels: Buffer.from(' '), ends: Uint32Array.of(1), first: 0, stride: 1 },
    ],
    segments: 1,
    nValues: 1,
  };
  const text = (c: BodyChunks) => Buffer.concat(c.chunks as Buffer[]).toString();
  const a = body.prepareNow(layout, Float64Array.of(1)); // half 0
  const b = body.prepareNow(layout, Float64Array.of(2)); // half 1
  const c = body.prepareNow(layout, Float64Array.of(3)); // half 0 is a's: a new buffer, its half 1
  assert.equal(text(c), 'y 3\n');
  concatChunks(a);
  concatChunks(b); // the old buffer's half 1, not the new one's
  body.prepareNow(layout, Float64Array.of(4)); // the new buffer's half 0
  body.prepareNow(layout, Float64Array.of(5)); // its half 1 is still c's
  assert.equal(text(c), 'y 3\n');
});

test('values are written as String() writes them', () => {
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.maxSafeNat(), fc.integer()), (v) => {
      const b = Buffer.alloc(40);
      const end = writeValue(b, 3, v);
      const want = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
      assert.equal(b.toString('latin1', 3, end), want);
    }),
    { numRuns: 2000 },
  );
});
