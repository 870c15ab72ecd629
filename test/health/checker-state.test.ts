import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CheckerState,
  type CheckerTimingSpec,
  checkerFailed,
  checkerSucceeded,
  initialCheckerState,
  migrateCheckerState,
  worstCaseDetectionMs,
} from '../../src/health/checker-state.js';

const T: CheckerTimingSpec = {
  retry: 2,
  delayBeforeRetry: 100,
  delayLoop: 1000,
  connectTimeout: 50,
  immediateFirstDown: true,
  parts: 1,
  fastRecovery: false,
  httpPolling: false,
  checkcount: 1,
};

/** Feeds a string of outcomes ('+' pass, '-' fail) one per due time; returns `time:change` lines. */
function play(outcomes: string, t: CheckerTimingSpec = T, alpha = false): string[] {
  let s: CheckerState = initialCheckerState(t, alpha, 0);
  const log: string[] = [];
  for (const o of outcomes) {
    const now = s.nextAt;
    const r = o === '+' ? checkerSucceeded(s, t, now) : checkerFailed(s, t, now);
    s = r.state;
    if (r.change) log.push(`${now}:${r.change}`);
  }
  return log;
}

const cases: {
  desc: string;
  outcomes: string;
  t?: Partial<CheckerTimingSpec>;
  alpha?: boolean;
  want: string[];
}[] = [
  { desc: 'first ever failure is immediate (keepalived)', outcomes: '-', want: ['0:down'] },
  {
    desc: 'after a pass, retry+1 failures spaced by delay_before_retry',
    outcomes: '+---',
    want: ['1200:down'],
  },
  { desc: 'a pass between failures resets retry_it', outcomes: '+--+---', want: ['2400:down'] },
  {
    desc: 'one pass brings a down checker back (no rise count)',
    outcomes: '-+',
    want: ['0:down', '1000:up'],
  },
  {
    desc: 'failures while down change nothing and are delay_loop apart',
    outcomes: '---+',
    want: ['0:down', '3000:up'],
  },
  { desc: 'alpha starts down; first pass is up', outcomes: '+', alpha: true, want: ['0:up'] },
  { desc: 'alpha: failures while down never report', outcomes: '---', alpha: true, want: [] },
  {
    desc: 'no first-failure rule: retry+1 failures from the start',
    outcomes: '---',
    t: { immediateFirstDown: false },
    want: ['200:down'],
  },
  {
    desc: 'checkcount 3: two failed attempts then a pass is no failure',
    outcomes: '+--+',
    t: { checkcount: 3, retry: 0 },
    want: [],
  },
  {
    desc: 'checkcount 3: three failed attempts are one failed check',
    outcomes: '+---',
    t: { checkcount: 3, retry: 0 },
    want: ['1000:down'],
  },
];
for (const c of cases) {
  test(`checker stepping — ${c.desc}`, () => {
    assert.deepEqual(play(c.outcomes, { ...T, ...c.t }, c.alpha), c.want);
  });
}

test('worst-case detection time is (retry+1)·timeout + retry·delay_before_retry', () => {
  assert.equal(worstCaseDetectionMs(T), 3 * 50 + 2 * 100);
});

test('migration clamps retry_it to the new retry and drops a URL index that no longer exists', () => {
  const s = { ...initialCheckerState(T, false, 0), retryIt: 2, part: 3, failedPart: 3 };
  const m = migrateCheckerState(s, { ...T, retry: 1, parts: 2 });
  assert.deepEqual([m.retryIt, m.part, m.failedPart], [1, 0, -1]);
});
