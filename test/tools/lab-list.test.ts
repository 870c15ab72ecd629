/**
 * `lvsadm lab status` with no mode: namespace names grouped into labs by prefix and mode, other
 * namespaces ignored, and the listing naming the prefix to reach each lab by.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLabList, labsOfNamespaces } from '../../src/tools/lab/lab-list.js';

test('namespaces group into labs by prefix and mode, hyphenated prefixes included', () => {
  const labs = labsOfNamespaces([
    'lvslab-dr-client',
    'lvslab-dr-director',
    'my-test-7-dr-rs1',
    'lvslab-ha-director1',
    'lvslab-xx-client',
    'other',
  ]);
  assert.deepEqual(
    labs.map((l) => [l.prefix, l.mode, l.namespaces.length]),
    [
      ['lvslab', 'dr', 2],
      ['lvslab', 'ha', 1],
      ['my-test-7', 'dr', 1],
    ],
  );
});

test('the listing names other prefixes and says when nothing is up', () => {
  const text = formatLabList(
    [
      { prefix: 'lvslab', mode: 'nat', namespaces: ['a', 'b'] },
      { prefix: 't1', mode: 'dr', namespaces: ['c'] },
    ],
    'lvslab',
  );
  assert.equal(
    text,
    'lab nat: up, prefix lvslab, no state file here, 2 namespaces\n' +
      'lab dr: up, prefix t1, no state file here, 1 namespaces  (LVS_LAB_PREFIX=t1)\n',
  );
  assert.equal(formatLabList([], 'lvslab'), 'no lab is up\n');
});
