/**
 * Audit of rr and wrr against pick sequences derived by hand from ip_vs_rr.c and ip_vs_wrr.c
 * (not from any reference implementation). Lists are written head first; a new dest goes to the
 * head (list_add_rcu in __ip_vs_update_dest).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destConfig } from '../../helpers/table.js';
import { build, picks } from '../schedulers/helpers.js';

test('rr: deleting the pointed dest moves the pointer to its predecessor (ip_vs_rr_del_dest)', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }, { addr: '10.0.0.3' }]);
  assert.deepEqual(picks(b, 2), ['10.0.0.1', '10.0.0.2']);
  // sched_data = p->next->prev = .1, so the scan restarts after .1.
  b.table.delDest(b.key, { addr: '10.0.0.2', port: 80 }, 0);
  assert.deepEqual(picks(b, 1), ['10.0.0.3']);
  // add_dest is NULL: the pointer stays on .3 while .4 lands at the head; the scan wraps to .4.
  b.table.addDest(b.key, destConfig('10.0.0.4', 80));
  assert.deepEqual(picks(b, 4), ['10.0.0.4', '10.0.0.1', '10.0.0.3', '10.0.0.4']);
});

test('rr: deleting the head dest while it is pointed restarts from the list head', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }, { addr: '10.0.0.3' }]);
  assert.deepEqual(picks(b, 1), ['10.0.0.1']);
  b.table.delDest(b.key, { addr: '10.0.0.1', port: 80 }, 0);
  assert.deepEqual(picks(b, 3), ['10.0.0.2', '10.0.0.3', '10.0.0.2']);
});

test('rr: the second pass includes the pointed dest itself, and skips weight 0 / OVERLOAD', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }]);
  assert.deepEqual(picks(b, 2), ['10.0.0.1', '10.0.0.2']);
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 0 }));
  // Scan after .2 hits the end, pass 2 checks .1 (weight 0) then .2 == last, which is usable.
  assert.deepEqual(picks(b, 2), ['10.0.0.2', '10.0.0.2']);
  b.table.editDest(b.key, destConfig('10.0.0.2', 80, { weight: 0 }));
  assert.deepEqual(picks(b, 1), ['-']);
  // The failed scan leaves the pointer on .2: reviving .1 makes it the next pick.
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 1 }));
  assert.deepEqual(picks(b, 2), ['10.0.0.1', '10.0.0.1']);
});

const W432 = [
  { addr: '10.0.0.1', weight: 4 },
  { addr: '10.0.0.2', weight: 3 },
  { addr: '10.0.0.3', weight: 2 },
];
const abc = (a: string) => ('-ABC'[Number(a.split('.')[3] ?? 0)] ?? '-') as string;

test('wrr: 4/3/2 bound in one init cycles A A B A B C A B C (cw starts at mw)', () => {
  const b = build('wrr', W432, { viaEdit: true });
  assert.equal(picks(b, 18).map(abc).join(''), 'AABABCABC'.repeat(2));
});

test('wrr: dests added one by one leave cw at 1, so the first round is A B C', () => {
  // Adds C, B, A (each to the head). Empty init: mw 0, cw 0. +C(2): di 2, mw 1, cw 0 → mw = 1.
  // +B(3): di 1, mw 3, cw 1 kept. +A(4): mw 4, cw 1 kept. So: A B C at cw 1, then cw wraps to 4.
  const b = build('wrr', W432);
  assert.equal(picks(b, 12).map(abc).join(''), 'ABCAABABCABC');
});

test('wrr: an add mid-cycle restarts at the head and keeps cw (ip_vs_wrr_dest_changed, di = 1)', () => {
  const b = build('wrr', W432, { viaEdit: true });
  const name = (a: string) => 'DABC'[Number(a.split('.')[3]) % 4] as string;
  // A A B A B → cw = 2, cl = B.
  assert.equal(picks(b, 5).map(name).join(''), 'AABAB');
  b.table.addDest(b.key, destConfig('10.0.0.4', 80, { weight: 2 }));
  // cl = head, cw stays 2: D A B C; cw 1 (last pass): D A B C; cw wraps to mw 4: A; cw 3: A B;
  // cw 2: D A B C.
  assert.equal(picks(b, 15).map(name).join(''), 'DABCDABCAABDABC');
});

test('wrr: an edit that raises di realigns cw to (cw / di) * di + 1', () => {
  // [A 5, B 3]: A (cw 5), A (cw 4), A (cw 3), B (cw 3) → cl = B, cw = 3.
  const b = build(
    'wrr',
    [
      { addr: '10.0.0.1', weight: 5 },
      { addr: '10.0.0.2', weight: 3 },
    ],
    { viaEdit: true },
  );
  const name = (a: string) => (a === '10.0.0.1' ? 'A' : 'B');
  assert.equal(picks(b, 4).map(name).join(''), 'AAAB');
  // A → 6: di = 3, mw = 6 - 2 = 4, cw = (3 / 3) * 3 + 1 = 4. Without the realign cw = 3 would
  // admit B at once (A B ...); with it: A, then cw 1 (last pass) A B, then cw 4 again.
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 6 }));
  assert.equal(picks(b, 6).map(name).join(''), 'AABAAB');
});

test('wrr: cw above the new mw is clamped to mw; all weights 0 gives no dest', () => {
  const b = build(
    'wrr',
    [
      { addr: '10.0.0.1', weight: 6 },
      { addr: '10.0.0.2', weight: 1 },
    ],
    { viaEdit: true },
  );
  const name = (a: string) => (a === '10.0.0.1' ? 'A' : a === '10.0.0.2' ? 'B' : '-');
  assert.equal(picks(b, 2).map(name).join(''), 'AA'); // cw 6 then 5
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 2 }));
  // mw = 2, cw 5 > 2 → 2: A; cw 1: A B; cw wraps to 2: A.
  assert.equal(picks(b, 4).map(name).join(''), 'AABA');
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 0 }));
  b.table.editDest(b.key, destConfig('10.0.0.2', 80, { weight: 0 }));
  assert.equal(picks(b, 1).map(name).join(''), '-');
});

test('wrr: OVERLOAD dests are skipped and an all-overloaded list gives no dest', () => {
  const b = build('wrr', [
    { addr: '10.0.0.1', weight: 2, u: 1 },
    { addr: '10.0.0.2', weight: 1, u: 1 },
  ]);
  b.by['10.0.0.1']?.bind(0);
  assert.deepEqual(picks(b, 3), ['10.0.0.2', '10.0.0.2', '10.0.0.2']);
  b.by['10.0.0.2']?.bind(0);
  assert.deepEqual(picks(b, 1), ['-']);
});
