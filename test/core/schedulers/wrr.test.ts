import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destConfig } from '../../helpers/table.js';
import { build, load, picks } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

const letters = (xs: string[]) => xs.map((a) => ({ [A]: 'A', [B]: 'B', [C]: 'C' })[a] ?? a).join('');

test('wrr with weights 4, 3, 2 in list order A, B, C picks A A B A B C A B C (the kernel example)', () => {
  // init_service with the dests in place (ipvsadm -E -s wrr): cw starts at mw = 4.
  const list = [
    { addr: A, weight: 4 },
    { addr: B, weight: 3 },
    { addr: C, weight: 2 },
  ];
  const b = build('wrr', list, { viaEdit: true });
  assert.equal(letters(picks(b, 18)), 'AABABCABC'.repeat(2));
});

test('wrr built by adding C, B, A one at a time keeps cw at 1 first, as ip_vs_wrr_dest_changed does', () => {
  // Empty service: mw = cw = 0; adding C (weight 2) sets cw = mw = 1, and the later adds keep
  // cw = 1 (not above the new mw, not 0), so the first round is the cw = 1 pass.
  const b = build('wrr', [
    { addr: A, weight: 4 },
    { addr: B, weight: 3 },
    { addr: C, weight: 2 },
  ]);
  assert.equal(letters(picks(b, 12)), 'ABC' + 'AABABCABC');
});

test('wrr uses the gcd step: weights 4 and 2 give A A B', () => {
  const b = build(
    'wrr',
    [
      { addr: A, weight: 4 },
      { addr: B, weight: 2 },
    ],
    { viaEdit: true },
  );
  assert.deepEqual(picks(b, 6), [A, A, B, A, A, B]);
});

test('wrr skips OVERLOAD and weight 0; none when every dest is overloaded or quiesced', () => {
  const b = build('wrr', [
    { addr: A, weight: 4, u: 1 },
    { addr: B, weight: 0 },
    { addr: C, weight: 2 },
  ]);
  load(b.by[A]!, 1);
  assert.deepEqual(picks(b, 3), [C, C, C]);
  b.table.editDest(b.key, destConfig(C, 80, { weight: 0 }));
  assert.deepEqual(picks(b, 2), ['-', '-']);
});

test('wrr with all weights 0 has mw 0 and picks nothing', () => {
  const b = build('wrr', [{ addr: A, weight: 0 }]);
  assert.deepEqual(picks(b, 2), ['-', '-']);
});

test('wrr restarts from the list head with cw clamped after a dest is added', () => {
  const b = build(
    'wrr',
    [
      { addr: A, weight: 4 },
      { addr: B, weight: 3 },
    ],
    { viaEdit: true },
  );
  assert.deepEqual(picks(b, 3), [A, A, B]);
  // cw was 3; new mw = 2 < cw, so cw = mw = 2 and the scan starts at the head (C).
  b.table.editDest(b.key, destConfig(A, 80, { weight: 2 }));
  b.table.editDest(b.key, destConfig(B, 80, { weight: 1 }));
  b.table.addDest(b.key, destConfig(C, 80, { weight: 2 }));
  assert.deepEqual(picks(b, 5), [C, A, C, A, B]);
});
