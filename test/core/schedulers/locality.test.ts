/** lblc and lblcr: entry stickiness, is_overloaded, dest sets, and the garbage collector. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LblcScheduler } from '../../../src/core/schedulers/lblc.js';
import type { LblcrScheduler } from '../../../src/core/schedulers/lblcr.js';
import { destConfig } from '../../helpers/table.js';
import { build, bytes, load, pkt } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const MIN = 60_000;
const to = (dst: string) => pkt('10.9.9.9', 1000, dst);

test('lblc sticks a destination address to its dest while that dest is not is_overloaded', () => {
  const b = build('lblc', [
    { addr: A, weight: 2 },
    { addr: B, weight: 2 },
  ]);
  const s = b.svc.sched!;
  const d1 = s.schedule(b.svc, to('198.51.100.1'), 0)!;
  assert.equal(d1.addr, A, 'wlc: first of equals');
  load(d1, 2);
  // A now has 2 active (= weight): wlc would pick B, but the entry holds.
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 1)?.addr, A);
  assert.equal(s.schedule(b.svc, to('198.51.100.2'), 1)?.addr, B);
  // 3 active > weight 2 and B has 0*2 < 2: is_overloaded -> wlc picks B and the entry moves.
  load(d1, 1);
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 2)?.addr, B);
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 3)?.addr, B);
});

test('lblc: active above weight is not enough when no dest is under half its weight', () => {
  const b = build('lblc', [
    { addr: A, weight: 2 },
    { addr: B, weight: 2 },
  ]);
  const s = b.svc.sched!;
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 0)?.addr, A);
  load(b.by[A]!, 3);
  load(b.by[B]!, 1); // B: 1*2 < 2 is false
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 1)?.addr, A);
});

test('lblc: an entry on a deleted dest holds it in the trash and is replaced on the next hit', () => {
  const b = build('lblc', [{ addr: A }, { addr: B }]);
  const s = b.svc.sched!;
  const a = b.by[A]!;
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 0)?.addr, A);
  assert.equal(a.refs, 1, 'the entry holds a reference');
  b.table.delDest(b.key, { addr: A, port: 80 }, 0);
  assert.equal(b.table.expireTrash(10 * MIN), 0, 'held dest stays in the trash');
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 1)?.addr, B);
  assert.equal(a.refs, 0, 'replacing the entry drops the hold');
});

test('lblc weight 0 on the cached dest sends new connections to the wlc pick', () => {
  const b = build('lblc', [{ addr: A }, { addr: B }]);
  const s = b.svc.sched!;
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 0)?.addr, A);
  b.table.editDest(b.key, destConfig(A, 80, { weight: 0 }));
  assert.equal(s.schedule(b.svc, to('198.51.100.1'), 1)?.addr, B);
});

test('lblc collector: every 30th run sweeps entries unused for lblc_expiration', () => {
  const b = build('lblc', [{ addr: A }], { schedulerOptions: { lblcExpirationMs: 10 * MIN } });
  const s = b.svc.sched as LblcScheduler;
  s.schedule(b.svc, to('198.51.100.1'), 0); // arms the timer for t = 1 min
  for (let run = 1; run <= 29; run++) s.tick(b.svc, run * MIN);
  assert.equal(s.table.entries, 1, 'runs 1..29 only count');
  assert.equal(s.table.counter, 30);
  s.tick(b.svc, 30 * MIN);
  assert.equal(s.table.entries, 0);
  assert.equal(s.table.counter, 1);
  assert.equal(b.by[A]!.refs, 0);
});

test('lblc collector over max_size drops entries idle for 6 min, whole buckets, until the goal', () => {
  const b = build('lblc', [{ addr: A }]);
  const s = b.svc.sched as LblcScheduler;
  const extra = 300;
  for (let i = 0; i < 16384 + extra; i++) {
    s.schedule(
      b.svc,
      { ...to('0.0.0.0'), dstAddr: bytes(`203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`) },
      0,
    );
  }
  assert.equal(s.table.entries, 16384 + extra);
  s.tick(b.svc, MIN); // over max_size but nothing idle for 6 min yet
  assert.equal(s.table.entries, 16384 + extra);
  assert.equal(s.table.counter, 1, 'the partial path does not count');
  s.tick(b.svc, 7 * MIN);
  const goal = Math.floor((extra * 4) / 3);
  const dropped = 16384 + extra - s.table.entries;
  const biggest = Math.max(...s.table.buckets.map((x) => x.length));
  assert.ok(dropped >= goal && dropped < goal + biggest + 40, `dropped ${dropped}, goal ${goal}`);
});

/** An lblcr service over A, B, C (weight 1 each) with lblcr_expiration 10 min. */
function lblcr3() {
  const b = build(
    'lblcr',
    [
      { addr: A, weight: 1 },
      { addr: B, weight: 1 },
      { addr: C, weight: 1 },
    ],
    { schedulerOptions: { lblcExpirationMs: 10 * MIN } },
  );
  return { b, s: b.svc.sched as LblcrScheduler };
}

test('lblcr grows the set with the wlc pick when its least loaded member is overloaded', () => {
  const { b, s } = lblcr3();
  const dst = to('198.51.100.1');
  assert.equal(s.schedule(b.svc, dst, 0)?.addr, A);
  load(b.by[A]!, 2); // 2 > 1 while B, C sit at 0*2 < 1
  assert.equal(s.schedule(b.svc, dst, 1)?.addr, B, 'wlc fallback joins the set');
  const en = s.table.get(bytes('198.51.100.1'))!;
  assert.deepEqual(
    en.set.map((d) => d.addr),
    [B, A],
  );
  // Now B is the least loaded member and is used.
  assert.equal(s.schedule(b.svc, dst, 2)?.addr, B);
  assert.equal(b.by[B]!.refs, 1);
});

test('lblcr drops the most loaded member once the set is older than lblcr_expiration', () => {
  const { b, s } = lblcr3();
  const dst = to('198.51.100.1');
  s.schedule(b.svc, dst, 0);
  load(b.by[A]!, 2);
  s.schedule(b.svc, dst, MIN); // set {B, A}, lastmod = 1 min
  const en = s.table.get(bytes('198.51.100.1'))!;
  assert.equal(s.schedule(b.svc, dst, 11 * MIN)?.addr, B, 'not yet: now == lastmod + expiration');
  assert.equal(en.set.length, 2);
  assert.equal(s.schedule(b.svc, dst, 11 * MIN + 1)?.addr, B);
  assert.deepEqual(
    en.set.map((d) => d.addr),
    [B],
    'A (2 active) was the most loaded',
  );
  assert.equal(b.by[A]!.refs - b.by[A]!.activeConns, 0, 'set hold released');
});
