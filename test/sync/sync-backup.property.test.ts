import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KIND } from '../../src/core/conn-table.js';
import type { Dest } from '../../src/core/dest.js';
import { countKind } from '../../src/core/persistence.js';
import { FWD } from '../../src/core/types.js';
import { applySyncEntry } from '../../src/sync/sync-backup.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { testDirector } from '../core/director/helpers.js';
import { destConfig, svcConfig, tcp, udp } from '../helpers/table.js';

// Small pools so entries collide: same tuples, same dests, same FULLNAT reply tuples.
const V4 = [0xcb00710a, 0xcb00710b];
const C4 = [0xc0000201, 0xc0000202, 0xc0000203];
const D4 = [0xc6336401, 0xc6336402, 0xc6336403];
const V6 = Uint32Array.of(0x20010db8, 0, 0, 0x10);
const word = (af: 4 | 6, a: number) =>
  af === 4 ? Uint32Array.of(a, 0, 0, 0) : Uint32Array.of(0x20010db8, 0, 1, a);

const arbEntry: fc.Arbitrary<SyncConnEntry> = fc
  .record({
    af: fc.constantFrom<4 | 6>(4, 4, 4, 6),
    protocol: fc.constantFrom(6, 6, 6, 17, 17, 132, 0, 1),
    flags: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0, 0, 0x100, 0x83, 0x83, 0x180, 0x1000, 0x1003) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x1fff }) },
      { weight: 1, arbitrary: fc.nat().map((n) => (n * 65537) >>> 0) },
    ),
    state: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 10 }) },
      { weight: 1, arbitrary: fc.integer({ min: -3, max: 70000 }) },
    ),
    cport: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(0, 1000, 1001) },
      { weight: 1, arbitrary: fc.integer({ min: -5, max: 70000 }) },
    ),
    vport: fc.constantFrom(0, 80, 80, 80, 80, 443),
    dport: fc.constantFrom(0, 80, 80, 80, 80, 80, 443, 8080),
    fwmark: fc.constantFrom(0, 0, 0, 5, 9),
    timeoutS: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(0, 1, 60, 900) },
      { weight: 1, arbitrary: fc.double() },
      { weight: 1, arbitrary: fc.nat() },
    ),
    c: fc.constantFrom(C4[0] as number, ...C4),
    v: fc.constantFrom(V4[0] as number, V4[0] as number, V4[1] as number),
    dd: fc.constantFrom(D4[0] as number, D4[0] as number, D4[0] as number, ...D4),
    local: fc.option(
      fc.record({ l: fc.constantFrom(0xc0000264, 0xc0000265), p: fc.constantFrom(40000, 40001) }),
      {
        freq: 2,
      },
    ),
    pe: fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }) },
    ),
  })
  .map((r) => ({
    af: r.af,
    protocol: r.protocol,
    flags: r.flags,
    state: r.state,
    cport: r.cport,
    vport: r.vport,
    dport: r.dport,
    fwmark: r.fwmark,
    timeoutS: r.timeoutS,
    caddr: word(r.af, r.c),
    vaddr: r.af === 4 ? Uint32Array.of(r.v, 0, 0, 0) : V6,
    daddr: word(r.af, r.dd),
    ...(r.local ? { local: { laddr: word(r.af, r.local.l), lport: r.local.p } } : {}),
    ...(r.pe ? { peData: r.pe, peName: 'sip' } : {}),
  }));

type Step = { t: 'apply'; e: SyncConnEntry } | { t: 'time'; ms: number };
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: arbEntry.map((e) => ({ t: 'apply' as const, e })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 400_000 }).map((ms) => ({ t: 'time' as const, ms })) },
);

test('arbitrary sync entries never throw, keep the index sound and every dest count equal to the table', () => {
  fc.assert(
    fc.property(fc.array(arbStep, { minLength: 5, maxLength: 80, size: 'max' }), (steps) => {
      const d = testDirector();
      const dests: Dest[] = [];
      d.table.addService(tcp('203.0.113.10', 80), svcConfig());
      d.table.addService(udp('203.0.113.10', 80), svcConfig());
      d.table.addService({ kind: 'fwmark', af: 4, fwmark: 9 }, svcConfig({ flags: 1, timeout: 60 }));
      d.table.addService(tcp('2001:db8::10', 443), svcConfig({ netmask: '128' }));
      dests.push(d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.1', 80, { fwd: FWD.MASQ })));
      dests.push(
        d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.2', 8080, { fwd: FWD.FULLNAT })),
      );
      dests.push(d.table.addDest(udp('203.0.113.10', 80), destConfig('198.51.100.3', 80)));
      dests.push(d.table.addDest({ kind: 'fwmark', af: 4, fwmark: 9 }, destConfig('198.51.100.1', 0)));
      dests.push(d.table.addDest(tcp('2001:db8::10', 443), destConfig('2001:db8::1:c633:6401', 443)));
      let now = 0;
      for (const s of steps) {
        if (s.t === 'time') {
          now += s.ms;
          d.tick(now);
        } else {
          const r = applySyncEntry(d, s.e, now);
          if (r.kind !== 'ignored') assert.equal(d.conns.kind(r.idx), KIND.LIVE);
        }
        d.conns.checkIndex();
      }
      for (const dest of dests) {
        const n = [0, 0, 0];
        for (let i = 0; i < d.conns.limit; i++) {
          if (d.conns.kind(i) === KIND.FREE || d.conns.destOf(i) !== dest.id) continue;
          const k = countKind(d.conns.flagsOf(i));
          n[k] = (n[k] as number) + 1;
        }
        assert.deepEqual([dest.activeConns, dest.inactConns, dest.persistConns], n, `dest ${dest.addr}`);
      }
    }),
    { numRuns: 300 },
  );
});
