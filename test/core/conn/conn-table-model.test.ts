import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONN_F, ConnTable, KIND } from '../../../src/core/conn-table.js';

// Small address and port pools so equal keys, shared home slots and growth all happen often.
const V4 = [0x0a000001, 0x0a000002, 0xc0000201, 0xfffffffe].map((a) => Uint32Array.of(a, 0, 0, 0));
const V6 = [
  [0x20010db8, 0, 0, 1],
  [0x20010db8, 0, 0, 2],
  // Folds like the first one (word 1 changed, word 0 compensated): forces full-address checks.
  [(0x20010db8 ^ Math.imul(1, 0x9e3779b1)) >>> 0, 1, 0, 1],
].map((a) => Uint32Array.from(a));
const PROTOS = [6, 17, 132];

interface Entry {
  idx: number;
  af: 4 | 6;
  proto: number;
  c: number;
  cport: number;
  v: number;
  vport: number;
  d: number;
  dport: number;
  tpl: boolean;
  exp: number;
}

const addr = (af: 4 | 6, k: number): Uint32Array =>
  (af === 4 ? V4 : V6)[k % (af === 4 ? 4 : 3)] as Uint32Array;

const createOp = fc.record({
  op: fc.constant('create' as const),
  af: fc.constantFrom(4 as const, 6 as const),
  proto: fc.nat(2),
  c: fc.nat(3),
  cport: fc.constantFrom(0, 1, 40000, 65535),
  v: fc.nat(3),
  vport: fc.constantFrom(80, 443),
  d: fc.nat(3),
  dport: fc.constantFrom(80, 8080),
  tpl: fc.boolean(),
});
const killOp = fc.record({ op: fc.constant('kill' as const), pick: fc.nat() });
const timeOp = fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4000 }) });

test('the table agrees with a list model under random create, kill and expire sequences', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 5, arbitrary: createOp }, killOp, timeOp), { maxLength: 400 }),
      (ops) => {
        const t = new ConnTable({ initialCapacity: 16 });
        let live: Entry[] = []; // oldest first
        let now = 0;
        for (const o of ops) {
          if (o.op === 'create') {
            const cport = o.tpl ? 0 : o.cport;
            const proto = PROTOS[o.proto] as number;
            const flags = o.tpl ? CONN_F.TEMPLATE : 0;
            const idx = t.create(
              o.af,
              proto,
              addr(o.af, o.c),
              cport,
              addr(o.af, o.v),
              o.vport,
              o.af,
              addr(o.af, o.d),
              o.dport,
              flags,
              0,
              1,
              1,
              now,
            );
            live.push({ ...o, idx, proto, cport, exp: now + 3000 });
          } else if (o.op === 'kill') {
            if (live.length === 0) continue;
            const e = live[o.pick % live.length] as Entry;
            t.kill(e.idx);
            live = live.filter((x) => x !== e);
          } else {
            now += o.ms;
            const due = live.filter((x) => x.exp <= now).length;
            assert.equal(t.expire(now), due);
            live = live.filter((x) => x.exp > now);
          }
        }
        assert.equal(t.count, live.length);
        t.checkIndex();
        for (const e of live) assert.equal(t.kind(e.idx), KIND.LIVE);
        // Every key the sequence could have made: inbound and template lookups give the newest match.
        for (const af of [4, 6] as const)
          for (const proto of PROTOS)
            for (let c = 0; c < 4; c++)
              for (const cport of [0, 1, 40000, 65535])
                for (let v = 0; v < 4; v++)
                  for (const vport of [80, 443]) {
                    const same = (e: Entry, tpl: boolean) =>
                      e.tpl === tpl &&
                      e.af === af &&
                      e.proto === proto &&
                      addr(af, e.c) === addr(af, c) &&
                      e.cport === cport &&
                      addr(af, e.v) === addr(af, v) &&
                      e.vport === vport;
                    const ca = addr(af, c);
                    const va = addr(af, v);
                    const conn = live.filter((e) => same(e, false)).pop();
                    assert.equal(t.findIn(af, proto, ca, cport, va, vport), conn ? conn.idx : -1);
                    if (cport === 0) {
                      const tpl = live.filter((e) => same(e, true)).pop();
                      assert.equal(t.findTemplate(af, proto, ca, va, vport), tpl ? tpl.idx : -1);
                    }
                  }
        // Reply lookups: any conn matching (client, cport, dest, dport) will do, or -1 if none.
        for (const e of live) {
          if (e.tpl) continue;
          const da = addr(e.af, e.d);
          const ca = addr(e.af, e.c);
          const got = t.findOut(e.af, e.proto, da, e.dport, ca, e.cport);
          const ok = live.filter(
            (x) =>
              !x.tpl &&
              x.af === e.af &&
              x.proto === e.proto &&
              addr(x.af, x.c) === ca &&
              x.cport === e.cport &&
              addr(x.af, x.d) === da &&
              x.dport === e.dport,
          );
          assert.ok(
            ok.some((x) => x.idx === got),
            `findOut gave ${got}`,
          );
        }
      },
    ),
    { numRuns: 150 },
  );
});
