import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEST_F } from '../../../src/core/types.js';
import { destConfig } from '../../helpers/table.js';
import { build, load, picks } from './helpers.js';

test('rr after adding A, B, C picks C, B, A, C (new dests go to the list head)', () => {
  const b = build('rr', []);
  for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) b.table.addDest(b.key, destConfig(a, 80));
  assert.deepEqual(picks(b, 5), ['10.0.0.3', '10.0.0.2', '10.0.0.1', '10.0.0.3', '10.0.0.2']);
});

test('rr skips weight 0 and OVERLOAD dests and says none when all are skipped', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2', weight: 0 }, { addr: '10.0.0.3', u: 1 }]);
  load(b.by['10.0.0.3']!, 1);
  assert.ok(b.by['10.0.0.3']!.flags & DEST_F.OVERLOAD);
  assert.deepEqual(picks(b, 3), ['10.0.0.1', '10.0.0.1', '10.0.0.1']);
  b.table.editDest(b.key, destConfig('10.0.0.1', 80, { weight: 0 }));
  assert.deepEqual(picks(b, 2), ['-', '-']);
});

test('rr can pick the pointed dest again when it is the only eligible one (the wrap ends at the pointer)', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2', weight: 0 }]);
  assert.deepEqual(picks(b, 3), ['10.0.0.1', '10.0.0.1', '10.0.0.1']);
});

test('rr moves the pointer to the predecessor when the pointed dest is deleted', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }, { addr: '10.0.0.3' }]);
  assert.deepEqual(picks(b, 2), ['10.0.0.1', '10.0.0.2']);
  b.table.delDest(b.key, { addr: '10.0.0.2', port: 80 }, 0);
  // Pointer now at 10.0.0.1, so the next is 10.0.0.3.
  assert.deepEqual(picks(b, 3), ['10.0.0.3', '10.0.0.1', '10.0.0.3']);
  // Deleting the first dest while pointed at moves the pointer to the head.
  const c = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }]);
  assert.deepEqual(picks(c, 1), ['10.0.0.1']);
  c.table.delDest(c.key, { addr: '10.0.0.1', port: 80 }, 0);
  assert.deepEqual(picks(c, 2), ['10.0.0.2', '10.0.0.2']);
});

test('rr keeps its pointer on the same dest when another is added at the head', () => {
  const b = build('rr', [{ addr: '10.0.0.1' }, { addr: '10.0.0.2' }]);
  assert.deepEqual(picks(b, 1), ['10.0.0.1']);
  b.table.addDest(b.key, destConfig('10.0.0.9', 80));
  // List: .9, .1, .2 with the pointer still on .1.
  assert.deepEqual(picks(b, 3), ['10.0.0.2', '10.0.0.9', '10.0.0.1']);
});
