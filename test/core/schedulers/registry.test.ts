import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findScheduler, schedulerNames } from '../../../src/core/schedulers/index.js';

test('all 14 kernel schedulers are registered under their ipvsadm names, and none other', () => {
  const names = [
    'rr',
    'wrr',
    'lc',
    'wlc',
    'sed',
    'nq',
    'fo',
    'ovf',
    'twos',
    'sh',
    'dh',
    'mh',
    'lblc',
    'lblcr',
  ];
  assert.deepEqual([...schedulerNames()].sort(), [...names].sort());
  for (const n of names) assert.equal(findScheduler(n)?.({}).name, n);
  assert.equal(findScheduler('none'), undefined, 'none is the service table’s business');
});
