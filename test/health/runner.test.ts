import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { FakeClock, FakeProber } from '../../src/health/fake-prober.js';
import { HealthRunner } from '../../src/health/runner.js';
import { formatAvailability, formatHealth } from '../../src/health/views.js';
import { fakeRunner } from './fake-runner.js';
import { model, real, script, service, tcpCheck } from './model-builder.js';
import { brief } from './sim.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function setup(m = model([service([real(A, { notifyDown: script('/bin/nd') }), real(B)])])) {
  return fakeRunner(m, 1_000_000);
}

test('runner drives timers and fake probes: a failing server is removed and notify_down runs', async () => {
  const { clock, prober, cmds, scripts, runner } = setup();
  runner.start();
  assert.deepEqual(cmds.map(brief), ['add-service', `add ${A}:80 w1`, `add ${B}:80 w1`]);
  await clock.advance(5000);
  prober.set(A, false);
  await clock.advance(10_000);
  assert.deepEqual(cmds.slice(3).map(brief), [`del ${A}:80`]);
  assert.deepEqual(scripts, ['/bin/nd']);
  assert.ok(prober.calls.length >= 6, 'probes kept running on the delay_loop');
  runner.stop();
  assert.equal(clock.pending, 0, 'stop cancels the timer');
});

test('a probe that hangs is failed by the monitor deadline, not left pending forever', async () => {
  const { clock, prober, cmds, runner } = setup(
    model([service([real(A, { checkers: [tcpCheck(A, 80, { retry: 0 })] })])]),
  );
  prober.set(A, 'hang');
  runner.start();
  await clock.advance(1000 + 1000 + 999);
  assert.equal(cmds.length, 2);
  await clock.advance(1);
  assert.deepEqual(cmds.slice(2).map(brief), [`del ${A}:80`]);
  runner.stop();
});

test('a failing apply is logged and checking continues', async () => {
  const clock = new FakeClock();
  const prober = new FakeProber();
  const logs: string[] = [];
  const failed: unknown[] = [];
  const runner = new HealthRunner({
    model: model([service([real(A)])]),
    apply: (c) => {
      if (c.op === 'del-dest') throw Object.assign(new Error('no dest'), { code: 'ERR_LVS_NO_DEST' });
    },
    now: clock,
    prober: prober.factory,
    log: (level, msg, fields) => {
      logs.push(`${level} ${msg}`);
      if (msg === 'health command failed') failed.push(fields);
    },
    random: () => 0,
  });
  // Transitions reach the log through lvs:health:transition, as in lvsd.
  const line = (level: string) => (_f: object, msg: string) => logs.push(`${level} ${msg}`);
  const unsubscribe = subscribeLogger(
    { info: line('info'), warn: line('warn'), error: line('error') },
    (s) => s === runner,
  );
  runner.start();
  prober.set(A, false);
  await clock.advance(10_000);
  assert.ok(logs.includes('error health command failed'));
  // The failed command's servers in keepalived's notation, beside the command itself.
  assert.match(
    JSON.stringify(failed[0]),
    /"code":"ERR_LVS_NO_DEST","service":"\[[\d.]+\]:tcp:\d+","server":"\[10\.0\.0\.1\]:tcp:80"/,
  );
  assert.ok(logs.some((l) => l.startsWith('warn real server [10.0.0.1]:tcp:80 of [')));
  const before = prober.calls.length;
  await clock.advance(10_000);
  assert.ok(prober.calls.length > before);
  runner.stop();
  unsubscribe();
});

test('health and availability views report state, last result and MTBF/MTTR', async () => {
  const { clock, prober, runner } = setup();
  runner.start();
  await clock.advance(3_600_000 - 1);
  prober.set(A, false);
  await clock.advance(3_600_000);
  prober.set(A, true);
  await clock.advance(3_600_000);
  const hv = runner.healthView();
  const ra = hv.services[0]?.reals[0];
  assert.equal(ra?.up, true);
  assert.equal(ra?.checkers[0]?.last?.message, 'fake ok');
  const av = runner.availabilityView();
  const row = av.services[0]?.reals[0];
  assert.equal(row?.failures, 1);
  // Up ~1 h, down ~1 h (minus detection), up ~1 h: A ≈ 2/3 within the detection slack.
  assert.ok(row && Math.abs(row.availability - 2 / 3) < 0.002, `A=${row?.availability}`);
  const text = formatAvailability(av);
  assert.match(text, /^Subject +State +Uptime% +Failures +MTBF +MTTR +A\n/);
  assert.match(text, /\n {2}10\.0\.0\.1:80 +UP +\d+\.\d{3} +1 +\S+ +\S+ +0\.66\d{4}\n/);
  // A server that never failed has no mean time between failures (nor to repair): `-`, not its up time.
  assert.match(text, /\n {2}10\.0\.0\.2:80 +UP +100\.000 +0 +- +- +1\.000000\n/);
  const h = formatHealth(hv);
  // Plain words, not keepalived's `2/1+0` arithmetic (hysteresis shown only when set).
  assert.match(h, /^TCP 192\.0\.2\.1:80 {2}quorum up since \S+ {2}alive weight 2, quorum 1\n/);
  assert.match(h, / {2}-> 10\.0\.0\.1:80 {2}UP {2}since \S+ {2}weight 1 {2}tcp ok 1ms "fake ok"\n/);
  runner.stop();
});

test('reload through the runner keeps a failed server out and drops probes of removed checkers', async () => {
  const { clock, prober, cmds, runner } = setup();
  runner.start();
  prober.set(B, false);
  await clock.advance(10_000);
  const n = cmds.length;
  runner.reload(model([service([real(A), real(B)])]));
  assert.equal(cmds.length, n, 'identical config: no command');
  runner.reload(model([service([real(A)])]));
  assert.deepEqual(cmds.slice(n).map(brief), []);
  prober.calls.length = 0;
  await clock.advance(10_000);
  assert.ok(prober.calls.every((c) => c.includes(A)));
  runner.stop({ clean: true });
  assert.equal(cmds.at(-1)?.op, 'del-service');
});
