import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HealthMonitor } from '../../src/health/monitor.js';
import { model, real, script, service, tcpCheck } from './model-builder.js';
import { brief, Sim } from './sim.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

/** Healthy except in [from, to). */
const outage =
  (from: number, to = Number.POSITIVE_INFINITY) =>
  (_a: string, now: number) =>
    now < from || now >= to;

test('startup adds the service and every non-alpha real server', () => {
  const s = new Sim(new HealthMonitor(model([service([real(A), real(B)])])), () => true);
  s.send({ type: 'start' });
  assert.deepEqual(
    s.commands().map((c) => brief(c.cmd)),
    ['add-service', `add ${A}:80 w1`, `add ${B}:80 w1`],
  );
});

const retryCases = [
  { desc: 'retry 0: the first failure marks down', retry: 0, down: 5000 },
  { desc: 'retry 1: one retry after delay_before_retry', retry: 1, down: 5500 },
  { desc: 'retry 3: three retries, each delay_before_retry apart', retry: 3, down: 6500 },
];
for (const c of retryCases) {
  test(`retry counting — ${c.desc}`, () => {
    const rs = real(A, { checkers: [tcpCheck(A, 80, { retry: c.retry })] });
    const s = new Sim(new HealthMonitor(model([service([rs])])), outage(5000));
    s.send({ type: 'start' });
    s.runUntil(20_000);
    const dels = s.commands().filter((x) => x.cmd.op === 'del-dest');
    assert.equal(dels.length, 1);
    assert.equal(dels[0]?.at, c.down);
    // After the down, the server is polled every delay_loop, not delay_before_retry.
    const after = s.probeTimes().filter((t) => t > c.down);
    assert.deepEqual(after.slice(0, 2), [c.down + 2000, c.down + 4000]);
  });
}

test('a single failure suffices before the first state change (keepalived retry_it pre-set)', () => {
  const rs = real(A, { checkers: [tcpCheck(A, 80, { retry: 3 })] });
  const s = new Sim(new HealthMonitor(model([service([rs])])), () => false);
  s.send({ type: 'start' });
  s.runUntil(1000);
  assert.deepEqual(s.transitions()[0], { at: 1000, rs: `[${A}]:80`, up: false });
});

test('without the first-failure rule (ldirectord) retries count from the start', () => {
  const rs = real(A, { checkers: [tcpCheck(A, 80, { retry: 3, immediateFirstDown: false })] });
  const s = new Sim(new HealthMonitor(model([service([rs])])), () => false);
  s.send({ type: 'start' });
  s.runUntil(10_000);
  assert.equal(s.transitions()[0]?.at, 2500);
});

test('a server comes back after one passing check, then runs notify_up', () => {
  const rs = real(A, { notifyUp: script('/bin/up'), notifyDown: script('/bin/down') });
  const s = new Sim(new HealthMonitor(model([service([rs])])), outage(5000, 8000));
  s.send({ type: 'start' });
  s.runUntil(20_000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    ['0 add-service', `0 add ${A}:80 w1`, `5500 del ${A}:80`, `9500 add ${A}:80 w1`],
  );
  assert.deepEqual(s.scripts(), ['notify_down /bin/down', 'notify_up /bin/up']);
});

test('alpha: the server starts out of the table and enters after its first pass', () => {
  const rs = real(A, { alpha: true });
  const s = new Sim(new HealthMonitor(model([service([rs])])), () => true);
  s.send({ type: 'start' });
  assert.deepEqual(
    s.commands().map((c) => brief(c.cmd)),
    ['add-service'],
  );
  s.runUntil(1000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    ['0 add-service', `1000 add ${A}:80 w1`],
  );
});

test('inhibit_on_failure sets weight 0 instead of deleting, and restores the weight', () => {
  const rs = real(A, { inhibitOnFailure: true, weight: 7 });
  const s = new Sim(new HealthMonitor(model([service([rs])])), outage(5000, 8000));
  s.send({ type: 'start' });
  s.runUntil(20_000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    ['0 add-service', `0 add ${A}:80 w7`, `5500 edit ${A}:80 w0`, `9500 edit ${A}:80 w7`],
  );
});

test('alpha with inhibit: added at weight 0 at startup (keepalived init_service_rs)', () => {
  const rs = real(A, { inhibitOnFailure: true, alpha: true, weight: 3 });
  const s = new Sim(new HealthMonitor(model([service([rs])])), () => true);
  s.send({ type: 'start' });
  s.runUntil(1000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    ['0 add-service', `0 add ${A}:80 w0`, `1000 edit ${A}:80 w3`],
  );
});

test('ldirectord quiescent + failurecount 3: weight 0 after three failed passes, back after one', () => {
  // ldirectord maps failurecount N to retry N-1 spaced by checkinterval, alpha, no first-failure rule.
  const ld = { retry: 2, delayBeforeRetry: 2000, delayLoop: 2000, immediateFirstDown: false, alpha: true };
  const rs = real(A, { inhibitOnFailure: true, alpha: true, checkers: [tcpCheck(A, 80, ld)] });
  const s = new Sim(new HealthMonitor(model([service([rs])], 'ldirectord')), outage(4000, 9000));
  s.send({ type: 'start' });
  s.runUntil(12_000);
  // Checks at 0 (ldirectord has no bootstrap delay), 2000, then failures at 4000, 6000, 8000.
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    [
      '0 add-service',
      `0 add ${A}:80 w0`,
      `0 edit ${A}:80 w1`,
      `8000 edit ${A}:80 w0`,
      `10000 edit ${A}:80 w1`,
    ],
  );
});

test('ldirectord checkcount: a failed attempt is retried at once and one pass among them passes', () => {
  const rs = real(A, { checkers: [tcpCheck(A, 80, { type: 'ping', checkcount: 3, retry: 0 } as never)] });
  let n = 0;
  // Every third probe passes: the check never fails.
  const s = new Sim(new HealthMonitor(model([service([rs])])), () => ++n % 3 === 0);
  s.send({ type: 'start' });
  s.runUntil(10_000);
  assert.deepEqual(s.transitions(), []);
  assert.deepEqual(s.probeTimes().slice(0, 6), [1000, 1000, 1000, 3000, 3000, 3000]);
});

test('sorry server replaces the real servers when all are down and leaves when one is back', () => {
  const sorry = { dest: { ...real('10.9.9.9').dest }, inhibit: false };
  const svc = service([real(A), real(B)], { sorry });
  const s = new Sim(new HealthMonitor(model([svc])), (addr, now) =>
    addr === A ? now < 5000 : now < 5000 || now >= 12000,
  );
  s.send({ type: 'start' });
  s.runUntil(20_000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    [
      '0 add-service',
      `0 add ${A}:80 w1`,
      `0 add ${B}:80 w1`,
      `5500 del ${A}:80`,
      `5500 del ${B}:80`,
      '5500 add 10.9.9.9:80 w1',
      '13500 del 10.9.9.9:80',
      `13500 add ${B}:80 w1`,
    ],
  );
});

test('sorry_server_inhibit keeps the sorry server at weight 0 while unused', () => {
  const sorry = { dest: { ...real('10.9.9.9').dest }, inhibit: true };
  const s = new Sim(new HealthMonitor(model([service([real(A)], { sorry })])), outage(5000));
  s.send({ type: 'start' });
  s.runUntil(6000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    [
      '0 add-service',
      `0 add ${A}:80 w1`,
      '0 add 10.9.9.9:80 w0',
      `5500 del ${A}:80`,
      '5500 edit 10.9.9.9:80 w1',
    ],
  );
});

test('quorum with hysteresis: 10 servers, quorum 7, hysteresis 2 → lost below 5, regained at 9', () => {
  const addrs = Array.from({ length: 10 }, (_, i) => `10.0.1.${i + 1}`);
  const svc = service(
    addrs.map((a) => real(a, { checkers: [tcpCheck(a, 80, { retry: 0 })] })),
    { quorum: 7, hysteresis: 2, quorumUp: script('/bin/qup'), quorumDown: script('/bin/qdown') },
  );
  // Server i is down in [2000 + i*2000, 40000): one more fails every 2 s, all return at 40 s.
  const down = (a: string, now: number) => {
    const i = addrs.indexOf(a);
    return now >= 2000 + i * 2000 && now < 40_000;
  };
  const s = new Sim(new HealthMonitor(model([svc])), (a, now) => !down(a, now));
  s.send({ type: 'start' });
  s.runUntil(60_000);
  // Walk the transitions in order, counting alive servers at each quorum change.
  let alive = 10;
  const atQuorum: string[] = [];
  for (const t of s.transitions()) {
    if (t.rs) alive += t.up ? 1 : -1;
    else atQuorum.push(`${t.up ? 'up' : 'down'} with ${alive}`);
  }
  // Lost when 4 < q−h = 5 remain, regained only when q+h = 9 are alive again.
  assert.deepEqual(atQuorum, ['down with 4', 'up with 9']);
  assert.deepEqual(s.scripts(), ['quorum_down /bin/qdown', 'quorum_up /bin/qup']);
});

test('misc_dynamic weight from the probe result is pushed as edit-dest', () => {
  const rs = real(A, { weight: 1 });
  const s = new Sim(new HealthMonitor(model([service([rs])])), (_a, now) => ({
    ok: true,
    weight: now >= 3000 ? 5 : 1,
  }));
  s.send({ type: 'start' });
  s.runUntil(4000);
  assert.deepEqual(
    s.commands().map((c) => `${c.at} ${brief(c.cmd)}`),
    ['0 add-service', `0 add ${A}:80 w1`, `3000 edit ${A}:80 w5`],
  );
});

test('a probe that never answers fails at timeout + grace and its late answer is ignored', () => {
  const rs = real(A, { checkers: [tcpCheck(A, 80, { retry: 0 })] });
  const m = new HealthMonitor(model([service([rs])]));
  const s = new Sim(m, () => undefined);
  s.send({ type: 'start' });
  s.runUntil(1000);
  const probe = s.trace.find((t) => t.action.kind === 'probe')?.action;
  assert.ok(probe && probe.kind === 'probe');
  s.runUntil(2999);
  assert.deepEqual(s.transitions(), []);
  s.runUntil(3000);
  assert.deepEqual(
    s.transitions().filter((t) => t.rs),
    [{ at: 3000, rs: `[${A}]:80`, up: false }],
  );
  const late = m.step(
    { type: 'result', uid: probe.uid, seq: probe.seq, result: { ok: true, message: '', durationMs: 1 } },
    3001,
  );
  assert.deepEqual(late, []);
});

test('ldirectord fallbackcommand runs start when the last server fails and stop when one returns', () => {
  const svc = service([real(A)], { fallbackCommand: script('/bin/fb') });
  const s = new Sim(new HealthMonitor(model([svc])), outage(5000, 8000));
  s.send({ type: 'start' });
  s.runUntil(12_000);
  assert.deepEqual(s.scripts(), [
    'fallback /bin/fb start 192.0.2.1:80 tcp',
    'fallback /bin/fb stop 192.0.2.1:80 tcp',
  ]);
});

test('HTTP with several URLs walks them delay_loop apart and retries a failing URL', () => {
  const urls = [0, 1, 2].map((i) => ({
    path: `/${i}`,
    statusCodes: [[200, 299]] as [number, number][],
    regexNoMatch: false,
  }));
  const http = tcpCheck(A, 80, {
    type: 'http',
    urls,
    httpProtocol: '1.0',
    method: 'GET',
    fastRecovery: false,
    enableSni: false,
  } as never);
  const parts: number[] = [];
  const s = new Sim(new HealthMonitor(model([service([real(A, { checkers: [http] })])])), (_a, now, part) => {
    parts.push(part);
    return !(part === 1 && now >= 6000 && now < 12000);
  });
  s.send({ type: 'start' });
  s.runUntil(30_000);
  // URLs 0,1,2,0,1 every 2 s; URL 1 fails at 9000 and 9500 (retry 1) → down; only URL 1 is polled
  // (every max(dbr, loop)) until it passes at 13500, then URLs 0,1,2 are re-walked before "up".
  assert.deepEqual(
    s
      .transitions()
      .filter((t) => t.rs)
      .map((t) => `${t.at} ${t.up}`),
    ['9500 false', '19500 true'],
  );
  assert.deepEqual(parts.slice(0, 8), [0, 1, 2, 0, 1, 1, 1, 1]);
});

test('stop with omega runs notify_down and quorum_down; clean deletes the service', () => {
  const svc = service([real(A, { notifyDown: script('/bin/down') })], {
    omega: true,
    quorumDown: script('/bin/qd'),
  });
  const s = new Sim(new HealthMonitor(model([svc])), () => true);
  s.send({ type: 'start' });
  s.send({ type: 'stop', clean: true });
  assert.deepEqual(s.scripts(), ['notify_down /bin/down', 'quorum_down /bin/qd']);
  assert.equal(s.commands().at(-1)?.cmd.op, 'del-service');
});
