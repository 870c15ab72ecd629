import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { decodeVrrp } from '../../src/vrrp/vrrp-packet.js';
import { masterDownMs, skewMs } from '../../src/vrrp/vrrp-timers.js';
import { conf, model, segment } from './vrrp-rig.js';

/** Advances in 10 ms steps until `cond` holds; returns the fake time it first held. */
async function until(
  clock: { now(): number; advance(ms: number): Promise<void> },
  cond: () => boolean,
  maxMs = 30_000,
) {
  for (let t = 0; t <= maxMs; t += 10) {
    if (cond()) return clock.now();
    await clock.advance(10);
  }
  assert.fail('condition never held');
}

describe('VrrpRunner on a fake segment', () => {
  it('elects the higher priority as MASTER and the other stays BACKUP', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150 }));
    const b = router('192.0.2.2', conf({ prio: 100 }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.equal(a.state(), 'MASTER');
    assert.equal(b.state(), 'BACKUP');
    const bv = b.runner.view().instances[0]!;
    assert.equal(bv.masterAddr, '192.0.2.1');
    assert.equal(bv.effectivePriority, 100);
    assert.ok(bv.advertsReceived >= 5);
    // garp_master_repeat 5 (keepalived's default): five rounds of one GARP per VIP at once.
    assert.deepEqual(a.plane.calls.slice(0, 2), [
      'own VI_1 192.0.2.100/24@eth0',
      `announce ${Array(5).fill('192.0.2.100/24@eth0').join(',')}`,
    ]);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('v3 at advert_int 0.1: checksummed adverts elect the master, the backup adopts its interval and takes over in 0.3 s + skew', async () => {
    const { clock, router } = segment();
    const v3 = (prio: number, interval: string) =>
      `global_defs {\n    vrrp_version 3\n}\n${conf({ prio }).replace('advert_int 1', `advert_int ${interval}`)}`;
    const a = router('192.0.2.1', v3(150, '0.1'));
    const b = router('192.0.2.2', v3(100, '1'));
    a.runner.start();
    b.runner.start();
    await clock.advance(5_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    const bv = b.runner.view().instances[0]!;
    assert.deepEqual([bv.version, bv.advertIntMs, bv.masterAdvertIntMs], [3, 1000, 100]);
    assert.deepEqual(bv.rxErrors, { VRRP_RX_INTERVAL_V3: bv.advertsReceived }, 'no advert discarded');
    const t0 = clock.now();
    a.transport.cut(true);
    const at = await until(clock, () => b.state() === 'MASTER');
    assert.ok(at - t0 <= masterDownMs(3, 100, 10) + 10, `took ${at - t0} ms`);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('with equal priority the higher primary address stays MASTER once both see each other', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf());
    const b = router('192.0.2.2', conf());
    a.runner.start();
    b.runner.start();
    // Cut once the channels exist, before either has sent anything.
    a.transport.cut(true);
    b.transport.cut(true);
    await clock.advance(5_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'MASTER'], 'isolated, both are master');
    a.transport.cut(false);
    b.transport.cut(false);
    await clock.advance(3_000);
    assert.deepEqual([a.state(), b.state()], ['BACKUP', 'MASTER']);
    assert.ok(a.plane.calls.includes('release VI_1 192.0.2.100/24@eth0'));
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('a killed master (cut off) is replaced 3 x interval + skew after its last advert', async () => {
    const { net, clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150 }));
    const b = router('192.0.2.2', conf({ prio: 100 }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    const lastAdvert = clock.now() - ((clock.now() - b.runner.view().instances[0]!.since) % 1000);
    a.transport.cut(true);
    const sentBefore = net.sent.filter((s) => s.from === '192.0.2.1').length;
    const at = await until(clock, () => b.state() === 'MASTER');
    assert.equal(net.sent.filter((s) => s.from === '192.0.2.1').length > sentBefore, true, 'A keeps sending');
    // B's down timer started at A's last advert, which B received on a 1 s cadence.
    const mdi = masterDownMs(2, 100, 100);
    assert.ok(at - lastAdvert <= mdi + 10 && at - lastAdvert >= mdi - 1000, `took ${at - lastAdvert} ms`);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('a clean stop sends priority 0 and the backup takes over after Skew_Time only', async () => {
    const { net, clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150, extra: '    notify_stop /bin/stopped\n' }));
    const b = router('192.0.2.2', conf({ prio: 100 }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    const t0 = clock.now();
    await a.runner.stop();
    const last = net.sent.filter((s) => s.from === '192.0.2.1').at(-1)!;
    assert.equal(decodeVrrp(last.vrrp, 0, 4).priority, 0);
    assert.deepEqual(a.scripts.notified.at(-1), ['/bin/stopped']);
    assert.equal(a.plane.calls.at(-1), 'release VI_1 192.0.2.100/24@eth0');
    const at = await until(clock, () => b.state() === 'MASTER');
    assert.ok(at - t0 <= skewMs(2, 100, 100) + 10, `took ${at - t0} ms`);
    await b.runner.stop();
  });

  it('preempt: a higher priority that starts later takes over; nopreempt keeps the running master', async () => {
    for (const nopreempt of [false, true]) {
      const { clock, router } = segment();
      const b = router('192.0.2.2', conf({ prio: 100 }));
      b.runner.start();
      await clock.advance(5_000);
      assert.equal(b.state(), 'MASTER');
      const a = router('192.0.2.1', conf({ prio: 150, extra: nopreempt ? '    nopreempt\n' : '' }));
      a.runner.start();
      await clock.advance(10_000);
      assert.deepEqual([a.state(), b.state()], nopreempt ? ['BACKUP', 'MASTER'] : ['MASTER', 'BACKUP']);
      await Promise.all([a.runner.stop(), b.runner.stop()]);
    }
  });

  it('preempt_delay holds a higher-priority backup off for the delay, then it preempts', async () => {
    const { clock, router } = segment();
    const b = router('192.0.2.2', conf({ prio: 100 }));
    b.runner.start();
    await clock.advance(5_000);
    const a = router('192.0.2.1', conf({ prio: 150, extra: '    preempt_delay 8\n' }));
    a.runner.start();
    const t0 = clock.now();
    const at = await until(clock, () => a.state() === 'MASTER');
    assert.ok(at - t0 >= 8_000, `preempted after ${at - t0} ms`);
    assert.equal(b.state(), 'BACKUP');
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('a failing vrrp_script lowers the priority by its weight and the backup takes over', async () => {
    const { clock, router } = segment();
    const script =
      'vrrp_script chk {\n    script "/bin/chk"\n    interval 1\n    weight -60\n    fall 2\n    rise 1\n}\n';
    const a = router(
      '192.0.2.1',
      script + conf({ prio: 150, extra: '    track_script {\n        chk\n    }\n' }),
    );
    const b = router('192.0.2.2', conf({ prio: 100 }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.equal(a.state(), 'MASTER');
    a.scripts.results.set('/bin/chk', false);
    await clock.advance(1_000);
    assert.equal(a.runner.view().instances[0]!.effectivePriority, 150, 'one failure is below fall 2');
    await until(clock, () => b.state() === 'MASTER');
    const v = a.runner.view().instances[0]!;
    assert.deepEqual([v.state, v.basePriority, v.effectivePriority], ['BACKUP', 150, 90]);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('sync group members move together: a fault of one faults all, the peer takes both', async () => {
    const { clock, router } = segment();
    const group = 'vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n';
    const two = (prio: number, extra = '') =>
      group + conf({ prio }) + conf({ name: 'VI_2', vrid: 52, prio, vips: '198.51.100.100/24', extra });
    const a = router('192.0.2.1', two(150, '    track_interface {\n        eth1\n    }\n'));
    const b = router('192.0.2.2', two(100));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual(
      [a.state('VI_1'), a.state('VI_2'), b.state('VI_1'), b.state('VI_2')],
      ['MASTER', 'MASTER', 'BACKUP', 'BACKUP'],
    );
    a.host.links.set('eth1', false);
    await clock.advance(6_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['FAULT', 'FAULT']);
    assert.deepEqual([b.state('VI_1'), b.state('VI_2')], ['MASTER', 'MASTER']);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it("a sync group's own track_script faults every member, and its notify hears GROUP arguments", async () => {
    const { clock, router } = segment();
    const script = 'vrrp_script chk {\n    script "/bin/chk"\n    interval 1\n    fall 1\n    rise 1\n}\n';
    const group =
      'vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n    track_script {\n        chk\n    }\n    notify /bin/g\n}\n';
    const a = router(
      '192.0.2.1',
      script +
        group +
        conf({ prio: 150 }) +
        conf({ name: 'VI_2', vrid: 52, prio: 150, vips: '198.51.100.100/24' }),
    );
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    a.scripts.results.set('/bin/chk', false);
    await clock.advance(2_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['FAULT', 'FAULT']);
    const g = a.scripts.notified.filter((x) => x[0] === '/bin/g').map((x) => x.slice(1).join(' '));
    assert.deepEqual(g.slice(-2), ['GROUP G MASTER 0', 'GROUP G FAULT 0']);
    await a.runner.stop();
  });

  it("runs notify_master and notify with keepalived's arguments, and logs keepalived's lines", async () => {
    const { clock, router } = segment();
    const lines: string[] = [];
    const sink = {
      info: (_: object, m: string) => lines.push(m),
      warn: (_: object, m: string) => lines.push(m),
      error: () => {},
    };
    const a = router(
      '192.0.2.1',
      conf({ prio: 150, extra: '    notify_master "/bin/nm arg"\n    notify /bin/n\n' }),
    );
    const unsub = subscribeLogger(sink, (s) => s === a.runner);
    a.runner.start();
    await clock.advance(5_000);
    await a.runner.stop();
    unsub();
    assert.deepEqual(a.scripts.notified, [
      ['/bin/n', 'INSTANCE', 'VI_1', 'BACKUP', '150'],
      ['/bin/nm', 'arg'],
      ['/bin/n', 'INSTANCE', 'VI_1', 'MASTER', '150'],
      ['/bin/n', 'INSTANCE', 'VI_1', 'STOP', '150'],
    ]);
    assert.deepEqual(lines, [
      '(VI_1) Entering BACKUP STATE (init)',
      '(VI_1) Entering MASTER STATE',
      '(VI_1) sent 0 priority',
    ]);
  });

  it('a reload keeps an unchanged instance as it is and applies a new priority and VIP without a transition', async () => {
    const { net, clock, router } = segment();
    const text = conf({ prio: 150 });
    const a = router('192.0.2.1', text);
    a.runner.start();
    await clock.advance(5_000);
    const before = a.runner.view().instances[0]!;
    assert.equal(before.state, 'MASTER');
    a.runner.reload(model(text));
    await clock.advance(3_000);
    let v = a.runner.view().instances[0]!;
    assert.deepEqual([v.state, v.transitions, v.since], ['MASTER', before.transitions, before.since]);
    a.plane.calls.length = 0;
    a.runner.reload(model(conf({ prio: 160, vips: '192.0.2.100/24\n        192.0.2.101/24' })));
    await clock.advance(3_000);
    v = a.runner.view().instances[0]!;
    assert.deepEqual([v.state, v.transitions, v.effectivePriority], ['MASTER', before.transitions, 160]);
    assert.deepEqual(a.plane.calls, ['own VI_1 192.0.2.101/24@eth0', 'announce 192.0.2.101/24@eth0']);
    const last = decodeVrrp(net.sent.at(-1)!.vrrp, 0, 4);
    assert.deepEqual([last.priority, last.addrs], [160, ['192.0.2.100', '192.0.2.101']]);
    await a.runner.stop();
  });

  it('a reload that removes a MASTER instance stops it with priority 0 and releases its VIPs', async () => {
    const { net, clock, router } = segment();
    const a = router(
      '192.0.2.1',
      conf({ prio: 150 }) + conf({ name: 'VI_2', vrid: 52, prio: 150, vips: '198.51.100.100/24' }),
    );
    const b = router('192.0.2.2', conf({ name: 'VI_2', vrid: 52, prio: 100, vips: '198.51.100.100/24' }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.equal(a.state('VI_2'), 'MASTER');
    const t0 = clock.now();
    a.runner.reload(model(conf({ prio: 150 })));
    const last = net.sent
      .filter((x) => x.from === '192.0.2.1' && decodeVrrp(x.vrrp, 0, 4).vrid === 52)
      .at(-1)!;
    assert.equal(decodeVrrp(last.vrrp, 0, 4).priority, 0);
    assert.ok(a.plane.calls.includes('release VI_2 198.51.100.100/24@eth0'));
    assert.deepEqual(
      a.runner.view().instances.map((i) => [i.name, i.state]),
      [['VI_1', 'MASTER']],
    );
    const at = await until(clock, () => b.state('VI_2') === 'MASTER');
    assert.ok(at - t0 <= skewMs(2, 100, 100) + 10);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('counts adverts with a mismatched VRID or password by reason in the view', async () => {
    const { clock, router } = segment();
    const auth = (p: string) =>
      `    authentication {\n        auth_type PASS\n        auth_pass ${p}\n    }\n`;
    const a = router('192.0.2.1', conf({ prio: 150, extra: auth('secret') }));
    const b = router('192.0.2.2', conf({ prio: 100, extra: auth('other') }));
    const c = router('192.0.2.3', conf({ prio: 100, vrid: 52 }));
    for (const r of [a, b, c]) r.runner.start();
    await clock.advance(10_000);
    const errs = a.runner.view().instances[0]!.rxErrors;
    assert.ok((errs.VRRP_RX_AUTH_FAILURE ?? 0) > 0, JSON.stringify(errs));
    assert.ok((errs.VRRP_RX_UNKNOWN_VRID ?? 0) > 0, JSON.stringify(errs));
    assert.equal(b.state(), 'MASTER', 'B never accepted A: two masters, as keepalived would be');
    await Promise.all([a.runner.stop(), b.runner.stop(), c.runner.stop()]);
  });
});

describe('VrrpRunner without a socket', () => {
  it('holds an instance whose socket cannot be opened in FAULT instead of making it MASTER', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150 }));
    a.transport.open = () => {
      throw new Error('socket EPERM (raw IP protocol 112)');
    };
    a.runner.start();
    await clock.advance(10_000);
    assert.equal(a.state(), 'FAULT');
    assert.ok(!a.plane.calls.some((c) => c.startsWith('own ')), a.plane.calls.join(', '));
    await a.runner.stop();
  });
});
