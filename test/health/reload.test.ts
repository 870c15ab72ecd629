import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HealthMonitor } from '../../src/health/monitor.js';
import { model, real, service, tcpCheck, vip } from './model-builder.js';
import { brief, Sim } from './sim.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

function started(m = model([service([real(A), real(B)])]), oracle = (a: string) => a !== B) {
  const s = new Sim(new HealthMonitor(m), oracle);
  s.send({ type: 'start' });
  s.runUntil(10_000);
  return s;
}

test('reloading an identical model emits no command and keeps a failed server out', () => {
  const s = started();
  const before = s.commands().length;
  const uids = s.m.services()[0]?.reals.map((r) => r.checkers[0]?.uid);
  s.send({ type: 'reload', model: model([service([real(A), real(B, { line: 99 })])]) });
  assert.equal(s.commands().length, before);
  const svc = s.m.services()[0];
  assert.deepEqual(
    svc?.reals.map((r) => r.alive),
    [true, false],
  );
  assert.deepEqual(
    svc?.reals.map((r) => r.checkers[0]?.uid),
    uids,
    'identical checkers keep their identity (and in-flight probes)',
  );
});

test('reload removes a deleted real server and adds a new one; untouched servers get no command', () => {
  const s = started();
  const before = s.commands().length;
  s.send({ type: 'reload', model: model([service([real(A), real(C)])]) });
  const cmds = s
    .commands()
    .slice(before)
    .map((c) => brief(c.cmd));
  // B was already out of the table (failed), so only C is added; A is untouched.
  assert.deepEqual(cmds, [`add ${C}:80 w1`]);
});

test('a changed checker on a failed server does not re-add it until a check passes (keepalived #1720)', () => {
  const s = started();
  const before = s.commands().length;
  s.oracle = () => true;
  s.send({
    type: 'reload',
    model: model([service([real(A), real(B, { checkers: [tcpCheck(B, 8080)] })])]),
  });
  assert.equal(s.commands().length, before, 'no instant re-add');
  s.runUntil(20_000);
  assert.deepEqual(
    s
      .commands()
      .slice(before)
      .map((c) => brief(c.cmd)),
    [`add ${B}:80 w1`],
  );
});

test('a weight change of an alive server becomes one edit-dest', () => {
  const s = started();
  const before = s.commands().length;
  s.send({ type: 'reload', model: model([service([real(A, { weight: 4 }), real(B)])]) });
  assert.deepEqual(
    s
      .commands()
      .slice(before)
      .map((c) => brief(c.cmd)),
    [`edit ${A}:80 w4`],
  );
});

test('a service dropped from the config is deleted and a new one is built', () => {
  const s = started();
  const before = s.commands().length;
  const other = service([real(C)], { keys: [vip(443)] });
  s.send({ type: 'reload', model: model([other]) });
  assert.deepEqual(
    s
      .commands()
      .slice(before)
      .map((c) => brief(c.cmd)),
    ['del-service', 'add-service', `add ${C}:80 w1`],
  );
});
