/**
 * Every argv in test/fixtures/ipvsadm/oracle/parse-cases.json was run through the real Debian
 * ipvsadm 1.31 (record.mjs). parse() must refuse the same argv with the same stderr line and exit
 * code, and accept the others with the same request the real binary sent to the kernel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from '../../src/ipvsadm/parse.js';
import {
  DIVERGENCES,
  ORACLE_RESOLVER,
  type OracleCase,
  parseTrace,
  traceFields,
} from '../fixtures/ipvsadm/oracle/compare.js';

const cases: OracleCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/ipvsadm/oracle/parse-cases.json', import.meta.url), 'utf8'),
);

for (const k of cases) {
  const diverge = DIVERGENCES.get(k.argv.join(' '));
  if (diverge) {
    test(`lvsadm ${k.argv.join(' ')} reads -b as FULLNAT (DPVS) where ipvsadm read sched-flags`, () => {
      const r = parse(k.argv, { prog: 'ipvsadm' });
      assert.deepEqual(r, { kind: 'error', ...diverge });
    });
    continue;
  }
  const name = `ipvsadm ${k.argv.join(' ')} → exit ${k.status}${k.stderr ? ` "${k.stderr.trim()}"` : ''}`;
  test(name, () => {
    const r = parse(k.argv, { prog: 'ipvsadm', resolver: ORACLE_RESOLVER });
    if (k.kernel !== '') {
      // The real binary accepted the argv and asked the kernel: compare the request.
      assert.equal(r.kind, 'command', JSON.stringify(r));
      if (r.kind !== 'command') return;
      const want = parseTrace(k.kernel);
      const got = traceFields(r.command);
      for (const [key, v] of Object.entries(got)) assert.equal(v, want[key], `field ${key}`);
      return;
    }
    if (k.status === 2 || (k.status === 255 && !k.stderr.startsWith('Operation not supported'))) {
      assert.equal(r.kind, 'error', JSON.stringify(r));
      if (r.kind !== 'error') return;
      assert.equal(`${r.text}\n`, k.stderr);
      assert.equal(r.exitCode, k.status);
      return;
    }
    if (k.status === 255) {
      // Accepted by the parser; the kernel (sockopt, IPv4 only) refused it.
      assert.ok(r.kind === 'command', JSON.stringify(r));
      return;
    }
    if (r.kind === 'help' || r.kind === 'version') {
      assert.equal(r.text, k.stdout);
      return;
    }
    // Listing, save and restore requests (exit 0, or 1 when the fake kernel has no answer).
    assert.ok(['list', 'save', 'restore'].includes(r.kind), JSON.stringify(r));
  });
}
