import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { checkConfig } from '../../src/config/check-config.js';
import { ConfigSession, type HealthEngine } from '../../src/daemon/reload.js';
import { VrrpRunner } from '../../src/daemon/vrrp/vrrp-runner.js';
import { memIo } from '../config/mem-io.js';
import { conf, FakeHost, FakeScripts, recordingPlane, segment } from './vrrp-rig.js';

const PATH = '/etc/keepalived/keepalived.conf';

const engine = (): HealthEngine => ({
  start() {},
  reload() {},
  stop() {},
  healthView: () => ({ now: 0, services: [] }),
  availabilityView: () => ({ now: 0, services: [] }),
});

test('a session with a VRRP engine runs the instances, reloads them in place and stops them on close', async () => {
  const { net, clock } = segment();
  const files: Record<string, string> = { [PATH]: conf({ prio: 150 }) };
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => logs.push(JSON.parse(s).msg) });
  const plane = recordingPlane();
  let runner: VrrpRunner | undefined;
  const o = await ConfigSession.open({
    path: PATH,
    log,
    engine,
    load: async (p) => checkConfig(p, memIo(files), { format: 'keepalived' }),
    vrrp: (model) => {
      runner = new VrrpRunner({
        model,
        transport: net.transport('192.0.2.1'),
        host: new FakeHost('192.0.2.1'),
        clock,
        scripts: new FakeScripts(),
      });
      return runner;
    },
  });
  assert.ok(o.ok);
  const s = o.session;
  s.start(() => {});
  // The plane comes up after the table; the instance is MASTER by then and claims its VIP.
  await clock.advance(5_000);
  assert.equal(s.vrrpView()?.instances[0]?.state, 'MASTER');
  s.attachPlane(plane);
  assert.deepEqual(plane.calls, ['own VI_1 192.0.2.100/24@eth0']);
  assert.ok(!logs.some((m) => /not applied/.test(m)), 'no "not applied" note with a VRRP engine');
  const first = runner;
  const before = s.vrrpView()?.instances[0]?.transitions;
  assert.equal((await s.reload('SIGHUP')).ok, true);
  assert.equal(runner, first, 'the same runner is reloaded');
  assert.equal(s.vrrpView()?.instances[0]?.transitions, before);
  await s.close();
  assert.equal(plane.calls.at(-1), 'release VI_1 192.0.2.100/24@eth0');
  assert.equal(s.vrrpView(), undefined);
});
