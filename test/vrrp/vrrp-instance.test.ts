import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpInstance } from '../../src/vrrp/vrrp-instance.js';
import type { VrrpAction, VrrpInstanceConfig } from '../../src/vrrp/vrrp-instance-types.js';
import type { VrrpAdvert } from '../../src/vrrp/vrrp-packet.js';
import { masterDownMs, skewMs } from '../../src/vrrp/vrrp-timers.js';

function cfg(over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return {
    name: 'VI_1',
    vrid: 51,
    version: 2,
    af: 4,
    priority: 100,
    advertIntCs: 100,
    initialState: 'BACKUP',
    preempt: true,
    preemptDelayMs: 0,
    primaryAddr: '10.0.0.1',
    vips: ['192.168.200.16'],
    authType: 0,
    authData: new Uint8Array(8),
    garp: {
      masterRepeat: 5,
      masterDelayMs: 5000,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioRepeat: 5,
      lowerPrioDelayMs: 5000,
    },
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    inSyncGroup: false,
    ...over,
  };
}

function advert(priority: number, interval = 1, version: 2 | 3 = 2): VrrpAdvert {
  return {
    version,
    type: 1,
    vrid: 51,
    priority,
    interval,
    checksum: 0,
    addrs: ['192.168.200.16'],
    authType: 0,
    authData: new Uint8Array(8),
  };
}
const kinds = (a: VrrpAction[]) =>
  a.map((x) =>
    x.type === 'state'
      ? `${x.from}>${x.to}`
      : x.type === 'send'
        ? `send ${x.advert.priority}`
        : x.type === 'garp'
          ? `garp ${x.repeat}`
          : x.type === 'arm'
            ? `arm ${x.at}`
            : x.type,
  );
const rx = (i: VrrpInstance, now: number, prio: number, src = '10.0.0.2', interval = 1) =>
  i.step(now, { type: 'advert', advert: advert(prio, interval, i.cfg.version), src });

describe('VRRP timers (RFC 3768 / 5798 §6.1, keepalived VRRP_TIMER_SKEW)', () => {
  it('gives the worked examples: v2 prio 100 adv 1 s → 3.609375 s; v3 prio 150 adv 100 cs → 3.414062 s (µs rounded down)', () => {
    assert.equal(skewMs(2, 100, 100), 609.375);
    assert.equal(masterDownMs(2, 100, 100), 3609.375);
    assert.equal(skewMs(3, 150, 100), 414.062);
    assert.equal(masterDownMs(3, 150, 100), 3414.062);
  });
});

describe('VRRP state machine driven by now', () => {
  it('a backup with no master becomes master after 3 × interval + skew, advert first then GARPs', () => {
    const i = new VrrpInstance(cfg());
    assert.deepEqual(kinds(i.step(0, { type: 'start' })), ['INIT>BACKUP', 'arm 3609.375']);
    assert.equal(i.nextDeadline(), 3609.375);
    assert.deepEqual(kinds(i.step(3609, { type: 'timer' })), ['arm 3609.375']);
    assert.deepEqual(kinds(i.step(3609.375, { type: 'timer' })), [
      'send 100',
      'BACKUP>MASTER',
      'garp 5',
      'arm 4609.375',
    ]);
    assert.deepEqual(kinds(i.step(4609.375, { type: 'timer' })), ['send 100', 'arm 5609.375']);
    // The second GARP burst garp_master_delay (5 s) after becoming master.
    assert.deepEqual(kinds(i.step(8609.375, { type: 'timer' })), ['garp 5', 'send 100', 'arm 9609.375']);
  });

  it('adverts from a higher-priority master keep resetting the down timer', () => {
    const i = new VrrpInstance(cfg());
    i.step(0, { type: 'start' });
    for (let t = 1000; t <= 10_000; t += 1000)
      assert.deepEqual(kinds(rx(i, t, 200)), [`arm ${t + 3609.375}`]);
    assert.equal(i.state, 'BACKUP');
    assert.deepEqual(i.master, { addr: '10.0.0.2', priority: 200 });
  });

  it('preempt: a higher-priority backup ignores a lower master and takes over when its timer runs out', () => {
    const i = new VrrpInstance(cfg({ priority: 150 }));
    i.step(0, { type: 'start' }); // down at 3 s + 106/256 s, rounded down to 3414.062 ms
    for (let t = 500; t < 3414; t += 1000) assert.deepEqual(kinds(rx(i, t, 100)), ['arm 3414.062']);
    assert.deepEqual(kinds(i.step(3414.062, { type: 'timer' })).slice(0, 2), ['send 150', 'BACKUP>MASTER']);
  });

  it('a discarded lower-priority advert still records its sender as the master', () => {
    const i = new VrrpInstance(cfg({ priority: 150 }));
    i.step(0, { type: 'start' });
    rx(i, 500, 100, '10.0.0.9');
    assert.deepEqual(i.master, { addr: '10.0.0.9', priority: 100 });
    assert.equal(i.nextDeadline(), 3414.062);
  });

  it('nopreempt: a higher-priority backup accepts the lower master and stays backup', () => {
    const i = new VrrpInstance(cfg({ priority: 150, preempt: false }));
    i.step(0, { type: 'start' });
    for (let t = 500; t < 20_000; t += 1000) rx(i, t, 100);
    i.step(19_999, { type: 'timer' });
    assert.equal(i.state, 'BACKUP');
  });

  it('preempt_delay: lower adverts are accepted for the delay after the first one, then ignored', () => {
    const i = new VrrpInstance(cfg({ priority: 150, preemptDelayMs: 5000 }));
    i.step(0, { type: 'start' });
    for (let t = 0; t <= 4000; t += 1000) assert.deepEqual(kinds(rx(i, t, 100)), [`arm ${t + 3414.062}`]);
    // From 5 s on the delay is over: adverts no longer reset the timer set at 4 s.
    assert.deepEqual(kinds(rx(i, 5000, 100)), ['arm 7414.062']);
    assert.deepEqual(kinds(rx(i, 6000, 100)), ['arm 7414.062']);
    assert.deepEqual(kinds(i.step(7414.062, { type: 'timer' })).slice(0, 2), ['send 150', 'BACKUP>MASTER']);
  });

  it('priority 0 from the master makes the backup take over after Skew_Time only', () => {
    const i = new VrrpInstance(cfg());
    i.step(0, { type: 'start' });
    rx(i, 1000, 200);
    assert.deepEqual(kinds(rx(i, 1500, 0)), ['arm 2109.375']);
    assert.deepEqual(kinds(i.step(2109.375, { type: 'timer' })).slice(0, 2), ['send 100', 'BACKUP>MASTER']);
  });

  it('a master shutting down sends priority 0 and leaves to INIT', () => {
    const i = new VrrpInstance(cfg({ priority: 255, initialState: 'MASTER' }));
    assert.deepEqual(kinds(i.step(0, { type: 'start' })), ['send 255', 'INIT>MASTER', 'garp 5', 'arm 1000']);
    assert.deepEqual(kinds(i.step(10, { type: 'shutdown' })), ['send 0', 'MASTER>INIT']);
    assert.equal(i.nextDeadline(), undefined);
  });

  it('equal priority is won by the higher primary address; the winner forces a new election', () => {
    const hi = new VrrpInstance(cfg({ priority: 255, initialState: 'MASTER' }));
    hi.step(0, { type: 'start' });
    // A master at 255 hearing 255 from a lower address keeps mastership and re-advertises.
    assert.deepEqual(kinds(rx(hi, 100, 255, '10.0.0.0')), ['send 255', 'garp 5', 'arm 1000']);
    assert.equal(hi.state, 'MASTER');
    // From a higher address it yields to BACKUP without sending; an owner's skew is 1/256 s.
    assert.deepEqual(kinds(rx(hi, 200, 255, '10.0.0.2')), ['MASTER>BACKUP', 'arm 3203.906']);
  });

  it('a master yields to a higher priority and answers a lower one (lower_prio_no_advert: only GARPs)', () => {
    const m = new VrrpInstance(cfg({ priority: 255, initialState: 'MASTER', lowerPrioNoAdvert: true }));
    m.step(0, { type: 'start' });
    assert.deepEqual(kinds(rx(m, 100, 100)), ['garp 5', 'arm 1000']);
    const n = new VrrpInstance(cfg({ priority: 150 }));
    n.step(0, { type: 'start' });
    n.step(3414.062, { type: 'timer' });
    assert.deepEqual(kinds(rx(n, 4000, 200)), ['MASTER>BACKUP', 'arm 7414.062']);
  });

  it('v3 backups adopt the master advert interval for their down timer', () => {
    const i = new VrrpInstance(cfg({ version: 3, advertIntCs: 100 }));
    i.step(0, { type: 'start' });
    // Master at 10 cs: 3 × 100 ms + (156 × 10 × 625 / 16) µs = 300 + 60.937 ms.
    assert.deepEqual(kinds(rx(i, 1000, 200, '10.0.0.2', 10)), ['arm 1360.937']);
    assert.equal(i.masterAdverIntCs, 10);
    // As master it advertises its own interval again.
    const a = i.step(1360.937, { type: 'timer' });
    const sent = a.find((x) => x.type === 'send');
    assert.equal(sent?.type === 'send' && sent.advert.interval, 100);
    assert.equal(i.masterAdverIntCs, 100);
  });

  it('state MASTER below 255 waits one interval plus the minimum skew, not the full down interval', () => {
    const i = new VrrpInstance(cfg({ initialState: 'MASTER' }));
    assert.deepEqual(kinds(i.step(0, { type: 'start' })), ['INIT>BACKUP', 'arm 1003.906']);
  });

  it('FAULT from master sends priority 0; clearing it returns to BACKUP with a full down timer', () => {
    const i = new VrrpInstance(cfg());
    i.step(0, { type: 'start' });
    i.step(3609.375, { type: 'timer' });
    assert.deepEqual(kinds(i.step(4000, { type: 'fault', on: true })), ['send 0', 'MASTER>FAULT']);
    assert.deepEqual(kinds(rx(i, 4100, 200)), []);
    assert.deepEqual(kinds(i.step(5000, { type: 'fault', on: false })), ['FAULT>BACKUP', 'arm 8609.375']);
  });

  it('a fault, or a sync group holding it in FAULT, before start starts in FAULT', () => {
    const i = new VrrpInstance(cfg());
    i.step(0, { type: 'fault', on: true });
    assert.deepEqual(kinds(i.step(0, { type: 'start' })), ['INIT>FAULT']);
    const g = new VrrpInstance(cfg({ inSyncGroup: true }));
    g.step(0, { type: 'group', state: 'FAULT' });
    assert.deepEqual(kinds(g.step(0, { type: 'start' })), ['INIT>FAULT']);
  });

  it('a priority change moves a backup down timer by the change in skew; an owner ignores it', () => {
    const i = new VrrpInstance(cfg());
    i.step(0, { type: 'start' });
    // 100 → 200: skew 609.375 → 218.75 ms.
    assert.deepEqual(kinds(i.step(10, { type: 'priority', priority: 200 })), ['arm 3218.75']);
    assert.equal(i.priority, 200);
    i.step(20, { type: 'priority', priority: 300 });
    assert.equal(i.priority, 254);
    const o = new VrrpInstance(cfg({ priority: 255 }));
    o.step(0, { type: 'priority', priority: 10 });
    assert.equal(o.priority, 255);
  });

  it('garp_master_refresh counts from becoming master and goes out with the next advert, as keepalived 2.2.7 does', () => {
    const c = cfg();
    const i = new VrrpInstance({ ...c, garp: { ...c.garp, masterDelayMs: 5000, masterRefreshMs: 2500 } });
    i.step(0, { type: 'start' });
    assert.ok(kinds(i.step(3609.375, { type: 'timer' })).includes('garp 5'));
    // Due at 6109.375 (not after the 5 s delayed burst): no timer of its own, the advert at 6609.375 carries it.
    assert.deepEqual(kinds(i.step(4609.375, { type: 'timer' })), ['send 100', 'arm 5609.375']);
    assert.deepEqual(kinds(i.step(5609.375, { type: 'timer' })), ['send 100', 'arm 6609.375']);
    assert.deepEqual(kinds(i.step(6609.375, { type: 'timer' })), ['send 100', 'garp 1', 'arm 7609.375']);
    assert.deepEqual(kinds(i.step(7609.375, { type: 'timer' })), ['send 100', 'arm 8609.375']);
    assert.deepEqual(kinds(i.step(8609.375, { type: 'timer' })), ['garp 5', 'send 100', 'arm 9609.375']);
    // Next due 2.5 s after the advert that carried it (9109.375): the advert at 9609.375.
    assert.deepEqual(kinds(i.step(9609.375, { type: 'timer' })), ['send 100', 'garp 1', 'arm 10609.375']);
    assert.deepEqual(kinds(i.step(10609.375, { type: 'timer' })), ['send 100', 'arm 11609.375']);
  });

  it('vrrp_garp_interval: a burst is one GARP now and one more an interval later, whatever the repeat', () => {
    const c = cfg();
    const i = new VrrpInstance({
      ...c,
      garp: { ...c.garp, masterRepeat: 3, masterDelayMs: 2000, intervalMs: 200 },
    });
    i.step(0, { type: 'start' });
    const up = kinds(i.step(3609.375, { type: 'timer' }));
    assert.ok(up.includes('garp 1') && !up.includes('garp 3'), up.join());
    assert.equal(i.nextDeadline(), 3809.375);
    assert.deepEqual(kinds(i.step(3809.375, { type: 'timer' })), ['garp 1', 'arm 4609.375']);
    i.step(4609.375, { type: 'timer' });
    assert.equal(i.nextDeadline(), 5609.375);
    assert.deepEqual(kinds(i.step(5609.375, { type: 'timer' })), ['garp 1', 'send 100', 'arm 5809.375']);
    assert.deepEqual(kinds(i.step(5809.375, { type: 'timer' })), ['garp 1', 'arm 6609.375']);
  });
});
