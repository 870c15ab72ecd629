import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { CheckerConfig } from '../../src/config/model.js';
import { apply, type ControlTarget } from '../../src/control/apply.js';
import { HealthRunner } from '../../src/health/runner.js';
import { peerSkipReason } from '../helpers/peers.js';
import { testTable } from '../helpers/table.js';
import { model, real, service } from './model-builder.js';
import { type Nginx, nginxPath, startNginx } from './servers.js';

// Fast keepalived-style timing: HTTP_GET every 300 ms, retry 1 after 200 ms, 500 ms connect timeout.
const T = { delayLoop: 300, retry: 1, delayBeforeRetry: 200, connectTimeout: 500 };
/** keepalived's HTTP_GET detection bound: delay_loop × (retry+1) + timeouts, plus scheduling slack. */
const DOWN_BOUND = T.delayLoop * (T.retry + 1) + T.connectTimeout * (T.retry + 1) + 300;
const UP_BOUND = T.delayLoop + T.connectTimeout + 300;

let ng: Nginx;
const skip = peerSkipReason('nginx (nginx-light)', nginxPath() !== undefined);
let other: http.Server;
let otherPort = 0;

before(async () => {
  if (skip) return;
  ng = await startNginx({ 'index.html': 'alive\n' });
  other = http.createServer((_q, r) => r.end('alive\n'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
  otherPort = (other.address() as { port: number }).port;
});
after(async () => {
  await ng?.stop();
  other?.close();
});

function httpGet(addr: string, port: number): CheckerConfig {
  return {
    type: 'http',
    urls: [{ path: '/index.html', statusCodes: [[200, 299]], regexNoMatch: false, regex: 'alive' }],
    httpProtocol: '1.0',
    method: 'GET',
    fastRecovery: false,
    enableSni: false,
    connectIp: addr,
    connectPort: port,
    warmup: 0,
    alpha: false,
    logAllFailures: false,
    immediateFirstDown: true,
    ...T,
    file: 't',
    line: 1,
  };
}

function director() {
  const target: ControlTarget = {
    table: testTable(),
    setTimeouts() {},
    setSysctl() {},
    zeroGlobal() {},
  };
  const dests = () =>
    (target.table.list()[0]?.dests ?? []).map((d) => `${d.addr}:${d.port} w${d.weight}`).sort();
  return { target, dests, apply: (c: Parameters<typeof apply>[1]) => apply(target, c, Date.now()) };
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

function reals(inhibit: boolean) {
  return [
    real('127.0.0.1', {
      port: ng.port,
      inhibitOnFailure: inhibit,
      checkers: [httpGet('127.0.0.1', ng.port)],
    }),
    real('127.0.0.2', { port: otherPort, checkers: [httpGet('127.0.0.2', otherPort)] }),
  ];
}

for (const inhibit of [false, true]) {
  test(`kill nginx → ${inhibit ? 'weight 0' : 'removed'} within delay_loop×(retry+1)+timeouts, back when healthy`, {
    skip,
  }, async (t) => {
    const d = director();
    const runner = new HealthRunner({
      model: model([service(reals(inhibit))]),
      apply: d.apply,
      bootstrapDelay: 0,
    });
    runner.start();
    const a = `127.0.0.1:${ng.port}`;
    const b = `127.0.0.2:${otherPort}`;
    try {
      assert.deepEqual(d.dests(), [`${a} w1`, `${b} w1`]);
      await new Promise((r) => setTimeout(r, 700)); // a few passing rounds
      await ng.kill();
      const gone = inhibit ? `${a} w0` : undefined;
      const tDown = await until(
        () => (gone ? d.dests().includes(gone) : !d.dests().some((x) => x.startsWith(a))),
        DOWN_BOUND,
      );
      assert.ok(tDown <= DOWN_BOUND, `detected in ${tDown} ms`);
      assert.ok(d.dests().includes(`${b} w1`), 'the healthy server stays');
      const hv = runner.healthView().services[0]?.reals[0];
      assert.equal(hv?.up, false);
      assert.match(hv?.checkers[0]?.last?.message ?? '', /ECONNREFUSED/);
      await ng.restart();
      const tUp = await until(() => d.dests().includes(`${a} w1`), UP_BOUND);
      assert.ok(tUp <= UP_BOUND, `back in ${tUp} ms`);
      t.diagnostic(
        `down detected in ${tDown} ms (bound ${DOWN_BOUND}), back in ${tUp} ms (bound ${UP_BOUND})`,
      );
      const av = runner.availabilityView().services[0]?.reals[0];
      assert.equal(av?.failures, 1);
      assert.ok(av && av.mttrMs > 0 && av.availability < 1);
    } finally {
      runner.stop({ clean: true });
    }
    assert.equal(d.target.table.size, 0, 'clean stop deletes the service');
  });
}

test('every real server down → the sorry server is in the table; one back → real servers again', {
  skip,
}, async () => {
  const d = director();
  const sorry = { dest: { ...real('127.0.0.9', { port: 80 }).dest }, inhibit: false };
  const svc = service([reals(false)[0] as ReturnType<typeof real>], { sorry });
  const runner = new HealthRunner({ model: model([svc]), apply: d.apply, bootstrapDelay: 0 });
  runner.start();
  try {
    await ng.kill();
    await until(() => d.dests().join() === '127.0.0.9:80 w1', DOWN_BOUND);
    assert.equal(runner.healthView().services[0]?.sorry?.active, true);
    await ng.restart();
    await until(() => d.dests().join() === `127.0.0.1:${ng.port} w1`, UP_BOUND);
    assert.equal(runner.healthView().services[0]?.quorumUp, true);
  } finally {
    runner.stop();
  }
});
