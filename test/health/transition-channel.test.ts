import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthTransitionChannel } from '../../src/control/channels.js';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { memLogger, record } from '../helpers/channels.js';
import { fakeRunner } from './fake-runner.js';
import { model, real, service } from './model-builder.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

test('a real server failing its check is published on lvs:health:transition', async () => {
  const { clock, prober, runner } = fakeRunner(model([service([real(A), real(B)])]), 1_000_000);
  const rec = record(healthTransitionChannel);
  try {
    runner.start();
    await clock.advance(5000);
    assert.equal(rec.got.length, 0, 'the starting state is not a transition');
    prober.set(A, false);
    await clock.advance(10_000);
    assert.equal(rec.got.length, 1);
    const m = rec.got[0]!;
    assert.equal(m.source, runner);
    assert.equal(m.up, false);
    assert.match(m.rs ?? '', /^\[10\.0\.0\.1\]:80/);
    assert.match(m.svc, /10\.0\.0\.1|TCP/);
    assert.equal(typeof m.message, 'string');
    assert.ok(m.at > 1_005_000 && m.at <= clock.now(), 'stamped with the time the check failed');
    prober.set(A, true);
    await clock.advance(10_000);
    assert.deepEqual(
      rec.got.map((x) => x.up),
      [false, true],
      'coming back is published too',
    );
  } finally {
    rec.stop();
    runner.stop();
  }
});

test('the logger, subscribed, writes a real server going down as a warning', async () => {
  const { clock, prober, runner } = fakeRunner(model([service([real(A)])]), 1_000_000);
  const log = memLogger();
  const unsubscribe = subscribeLogger(log, (s) => s === runner);
  try {
    runner.start();
    prober.set(A, false);
    await clock.advance(10_000);
    const down = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.equal(down.length, 2, JSON.stringify(down));
    // keepalived's notation (check_data.c format_rs(), format_vs()): [addr]:proto:port.
    assert.match(down[0]!, /^real server \[10\.0\.0\.1\]:tcp:80 of \[[\d.]+\]:tcp:\d+ DOWN: /);
    // Its only server gone, the service loses its quorum: a transition of the service itself.
    assert.match(down[1]!, /^virtual service \[[\d.]+\]:tcp:\d+ DOWN: /);
    // In words, not keepalived's `lost quorum 1-0 > 0`.
    assert.match(down[1]!, /DOWN: lost quorum: no real server alive$/);
  } finally {
    unsubscribe();
    runner.stop();
  }
});
