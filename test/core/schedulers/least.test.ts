/** Tables for lc, wlc, sed, nq, fo and ovf: weights, loads, flags and list order to the pick. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destConfig } from '../../helpers/table.js';
import { build, type D, load, pick } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

interface Row {
  name: string;
  sched: string;
  list: D[];
  /** [active, inactive] per dest in list order. */
  loads: [number, number][];
  want: string;
}

const rows: Row[] = [
  // lc: overhead = active*256 + inactive; weight matters only as 0 / non-0.
  {
    name: 'least overhead',
    sched: 'lc',
    list: [{ addr: A }, { addr: B }],
    loads: [
      [1, 0],
      [0, 255],
    ],
    want: B,
  },
  {
    name: 'active outweighs 255 inactive',
    sched: 'lc',
    list: [{ addr: A }, { addr: B }],
    loads: [
      [1, 0],
      [0, 256],
    ],
    want: A,
  },
  {
    name: 'tie keeps the first in list order',
    sched: 'lc',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 9 },
    ],
    loads: [
      [2, 0],
      [2, 0],
    ],
    want: A,
  },
  {
    name: 'weight 0 is skipped',
    sched: 'lc',
    list: [{ addr: A, weight: 0 }, { addr: B }],
    loads: [
      [0, 0],
      [5, 0],
    ],
    want: B,
  },
  {
    name: 'OVERLOAD is skipped',
    sched: 'lc',
    list: [{ addr: A, u: 1 }, { addr: B }],
    loads: [
      [1, 0],
      [5, 0],
    ],
    want: B,
  },
  { name: 'none eligible', sched: 'lc', list: [{ addr: A, weight: 0 }], loads: [[0, 0]], want: '-' },
  // wlc: overhead / weight, cross-multiplied.
  {
    name: 'least overhead per weight',
    sched: 'wlc',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 3 },
    ],
    loads: [
      [1, 0],
      [2, 0],
    ],
    want: B,
  },
  {
    name: 'equal ratios keep the first',
    sched: 'wlc',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 2 },
    ],
    loads: [
      [1, 0],
      [2, 0],
    ],
    want: A,
  },
  {
    name: 'inactive conns count',
    sched: 'wlc',
    list: [{ addr: A }, { addr: B }],
    loads: [
      [1, 1],
      [1, 0],
    ],
    want: B,
  },
  {
    name: 'first eligible is the seed, weight 0 never wins',
    sched: 'wlc',
    list: [
      { addr: A, weight: 0 },
      { addr: B, weight: 1 },
      { addr: C, weight: 0 },
    ],
    loads: [
      [0, 0],
      [9, 0],
      [0, 0],
    ],
    want: B,
  },
  {
    name: 'OVERLOAD skipped',
    sched: 'wlc',
    list: [{ addr: A, u: 2 }, { addr: B }],
    loads: [
      [1, 1],
      [4, 0],
    ],
    want: B,
  },
  // sed: (active + 1) / weight, inactive ignored.
  {
    name: 'expected delay',
    sched: 'sed',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 4 },
    ],
    loads: [
      [0, 0],
      [2, 0],
    ],
    want: B,
  },
  {
    name: 'inactive ignored',
    sched: 'sed',
    list: [{ addr: A }, { addr: B }],
    loads: [
      [0, 50],
      [1, 0],
    ],
    want: A,
  },
  {
    name: 'tie keeps the first',
    sched: 'sed',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 2 },
    ],
    loads: [
      [0, 0],
      [1, 0],
    ],
    want: A,
  },
  // nq: first idle dest, else sed.
  {
    name: 'first idle dest wins outright',
    sched: 'nq',
    list: [
      { addr: A, weight: 100 },
      { addr: B, weight: 1 },
      { addr: C, weight: 1 },
    ],
    loads: [
      [1, 0],
      [0, 9],
      [0, 0],
    ],
    want: B,
  },
  {
    name: 'no idle dest: as sed',
    sched: 'nq',
    list: [
      { addr: A, weight: 1 },
      { addr: B, weight: 4 },
    ],
    loads: [
      [1, 0],
      [2, 0],
    ],
    want: B,
  },
  {
    name: 'idle but OVERLOAD is skipped',
    sched: 'nq',
    list: [{ addr: A, u: 1 }, { addr: B }],
    loads: [
      [0, 1],
      [3, 0],
    ],
    want: B,
  },
  // fo: highest weight, load ignored, first on ties.
  {
    name: 'highest weight',
    sched: 'fo',
    list: [
      { addr: A, weight: 2 },
      { addr: B, weight: 5 },
    ],
    loads: [
      [0, 0],
      [99, 0],
    ],
    want: B,
  },
  {
    name: 'tie keeps the first',
    sched: 'fo',
    list: [
      { addr: A, weight: 5 },
      { addr: B, weight: 5 },
    ],
    loads: [
      [9, 0],
      [0, 0],
    ],
    want: A,
  },
  {
    name: 'OVERLOAD fails over',
    sched: 'fo',
    list: [
      { addr: A, weight: 5, u: 1 },
      { addr: B, weight: 1 },
    ],
    loads: [
      [1, 0],
      [0, 0],
    ],
    want: B,
  },
  // ovf: highest weight among dests with active <= weight.
  {
    name: 'highest weight under its active limit',
    sched: 'ovf',
    list: [
      { addr: A, weight: 2 },
      { addr: B, weight: 5 },
    ],
    loads: [
      [0, 0],
      [5, 0],
    ],
    want: B,
  },
  {
    name: 'overflows when active exceeds weight',
    sched: 'ovf',
    list: [
      { addr: A, weight: 2 },
      { addr: B, weight: 5 },
    ],
    loads: [
      [0, 0],
      [6, 0],
    ],
    want: A,
  },
  {
    name: 'inactive conns do not overflow',
    sched: 'ovf',
    list: [
      { addr: A, weight: 2 },
      { addr: B, weight: 5 },
    ],
    loads: [
      [0, 0],
      [0, 50],
    ],
    want: B,
  },
  {
    name: 'none when all overflow',
    sched: 'ovf',
    list: [{ addr: A, weight: 1 }],
    loads: [[2, 0]],
    want: '-',
  },
];

for (const r of rows) {
  test(`${r.sched}: ${r.name}`, () => {
    const b = build(r.sched, r.list);
    r.list.forEach((d, i) => {
      const [a, n] = r.loads[i] as [number, number];
      load(b.by[d.addr]!, a, n);
    });
    assert.equal(pick(b), r.want);
  });
}

test('wlc follows load as connections come and go', () => {
  const b = build('wlc', [{ addr: A }, { addr: B }]);
  const seq: string[] = [];
  for (let i = 0; i < 4; i++) {
    const p = pick(b);
    seq.push(p);
    b.by[p]!.bind(0);
  }
  assert.deepEqual(seq, [A, B, A, B]);
  b.by[B]!.unbind(0);
  b.by[B]!.unbind(0);
  assert.equal(pick(b), B);
});

test('wlc sees a weight edit at once', () => {
  const b = build('wlc', [{ addr: A }, { addr: B }]);
  load(b.by[A]!, 1);
  load(b.by[B]!, 2);
  assert.equal(pick(b), A);
  b.table.editDest(b.key, destConfig(B, 80, { weight: 4 }));
  assert.equal(pick(b), B);
});

test('lc ignores load changes on a deleted (trash) dest and never picks it', () => {
  const b = build('lc', [{ addr: A }, { addr: B }]);
  load(b.by[A]!, 3);
  b.table.delDest(b.key, { addr: B, port: 80 }, 0);
  const gone = b.by[B]!;
  gone.bind(0);
  gone.unbind(0);
  assert.equal(pick(b), A);
  assert.equal(gone.schedSlot, -1);
});
