/**
 * Audit of the lc family (ip_vs_lc/wlc/sed/nq/fo/ovf.c: strict-comparison list scans, so ties go
 * to the first dest in list order) and of the estimator (ip_vs_est.c), derived by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stats } from '../../../src/core/stats.js';
import { build, load, pick } from '../schedulers/helpers.js';

test('lc: overhead = active*256 + inactive, weight only gates; ties keep the first dest', () => {
  const b = build('lc', [
    { addr: '10.0.0.1', weight: 1 },
    { addr: '10.0.0.2', weight: 9 },
    { addr: '10.0.0.3', weight: 1 },
  ]);
  load(b.by['10.0.0.1'] as never, 1, 0); // 256
  load(b.by['10.0.0.2'] as never, 0, 300); // 300
  load(b.by['10.0.0.3'] as never, 0, 256); // 256
  assert.equal(pick(b), '10.0.0.1');
  b.by['10.0.0.1']!.weight = 0;
  b.svc.sched?.loadChanged?.(b.by['10.0.0.1']!);
  assert.equal(pick(b), '10.0.0.3');
});

test('wlc: overhead/weight by cross-multiplication; a weight-0 dest never wins the second stage', () => {
  const b = build('wlc', [
    { addr: '10.0.0.1', weight: 1 },
    { addr: '10.0.0.2', weight: 3 },
    { addr: '10.0.0.3', weight: 0 },
  ]);
  load(b.by['10.0.0.1'] as never, 1); // 256 / 1
  load(b.by['10.0.0.2'] as never, 3); // 768 / 3 = 256: tie → first
  assert.equal(pick(b), '10.0.0.1');
  load(b.by['10.0.0.1'] as never, 0, 1); // 257 / 1 > 256 / 1... vs 768 / 3
  assert.equal(pick(b), '10.0.0.2');
});

test('sed and nq count active conns only: (active + 1) / weight; nq takes the first idle dest outright', () => {
  const s = build('sed', [
    { addr: '10.0.0.1', weight: 1 },
    { addr: '10.0.0.2', weight: 2 },
  ]);
  load(s.by['10.0.0.1'] as never, 0, 100); // (0+1)/1 = 1, inactive ignored
  load(s.by['10.0.0.2'] as never, 1); // (1+1)/2 = 1: tie → first
  assert.equal(pick(s), '10.0.0.1');
  const n = build('nq', [
    { addr: '10.0.0.1', weight: 100 },
    { addr: '10.0.0.2', weight: 1 },
    { addr: '10.0.0.3', weight: 1, u: 1 },
    { addr: '10.0.0.4', weight: 1 },
  ]);
  load(n.by['10.0.0.1'] as never, 1); // best SED ratio, but not idle
  load(n.by['10.0.0.2'] as never, 2);
  load(n.by['10.0.0.3'] as never, 0, 1); // idle but OVERLOAD (u = 1 reached by an inactive conn)
  load(n.by['10.0.0.4'] as never, 0, 50); // idle: activeconns == 0
  assert.equal(pick(n), '10.0.0.4');
});

test('fo picks the first highest weight; ovf skips dests with active > weight', () => {
  const f = build('fo', [
    { addr: '10.0.0.1', weight: 5 },
    { addr: '10.0.0.2', weight: 7, u: 1 },
    { addr: '10.0.0.3', weight: 7 },
    { addr: '10.0.0.4', weight: 7 },
  ]);
  load(f.by['10.0.0.3'] as never, 50);
  assert.equal(pick(f), '10.0.0.2');
  load(f.by['10.0.0.2'] as never, 1); // OVERLOAD
  assert.equal(pick(f), '10.0.0.3', 'load is ignored');
  const o = build('ovf', [
    { addr: '10.0.0.1', weight: 2 },
    { addr: '10.0.0.2', weight: 3 },
    { addr: '10.0.0.3', weight: 1 },
  ]);
  load(o.by['10.0.0.1'] as never, 2); // 2 <= 2 still eligible
  load(o.by['10.0.0.2'] as never, 4); // 4 > 3
  assert.equal(pick(o), '10.0.0.1');
  load(o.by['10.0.0.1'] as never, 1); // 3 > 2
  assert.equal(pick(o), '10.0.0.3');
});

test('estimator: rate = delta << 9 (<< 4 for bytes), avg += (rate - avg) >> 2, read (avg + 0x1FF) >> 10', () => {
  const s = new Stats();
  s.conns = 10;
  s.inbytes = 1000;
  s.estimate();
  // cps avg = (10 << 9) >> 2 = 1280 → (1280 + 511) >> 10 = 1; inbps avg = (1000 << 4) >> 2 = 4000
  // → (4000 + 15) >> 5 = 125.
  assert.deepEqual([s.rates().cps, s.rates().inbps], [1, 125]);
  s.estimate(); // no traffic: avg += (0 - 1280) >> 2 = -320 → 960 → (960 + 511) >> 10 = 1
  assert.equal(s.rates().cps, 1);
  s.estimate(); // 960 - 240 = 720 → 1231 >> 10 = 1
  s.estimate(); // 720 - 180 = 540 → 1051 >> 10 = 1
  s.estimate(); // 540 - 135 = 405 → 916 >> 10 = 0
  assert.equal(s.rates().cps, 0);
  // -Z (ip_vs_zero_stats): counters read from a new baseline, rates zeroed, last = current.
  s.conns = 30;
  s.zero();
  assert.deepEqual([s.view().conns, s.rates().cps], [0, 0]);
  s.estimate();
  assert.equal(s.rates().cps, 0, 'the 20 conns before -Z are not a rate afterwards');
});
