import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpInstance } from '../../src/vrrp/vrrp-instance.js';
import type { VrrpEvent, VrrpInstanceConfig } from '../../src/vrrp/vrrp-instance-types.js';
import { VrrpSyncGroup } from '../../src/vrrp/vrrp-sync-group.js';

function cfg(name: string, vrid: number): VrrpInstanceConfig {
  return {
    name,
    vrid,
    version: 2,
    af: 4,
    priority: 100,
    advertIntCs: 100,
    initialState: 'BACKUP',
    preempt: true,
    preemptDelayMs: 0,
    primaryAddr: '10.0.0.1',
    vips: [`192.168.200.${vrid}`],
    authType: 0,
    authData: new Uint8Array(8),
    garp: {
      masterRepeat: 1,
      masterDelayMs: 0,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioRepeat: 0,
      lowerPrioDelayMs: 0,
    },
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    inSyncGroup: true,
  };
}

/** Two instances in one group, wired the way the daemon will: member actions go through the group. */
function pair() {
  const inst = new Map([
    ['VI_1', new VrrpInstance(cfg('VI_1', 1))],
    ['VI_2', new VrrpInstance(cfg('VI_2', 2))],
  ]);
  const group = new VrrpSyncGroup('G', ['VI_1', 'VI_2']);
  const log: string[] = [];
  const deliver = (now: number, member: string, ev: VrrpEvent): void => {
    for (const a of inst.get(member)!.step(now, ev)) {
      if (a.type === 'state') log.push(`${member} ${a.from}>${a.to}`);
      for (const e of group.onAction(member, a)) deliver(now, e.member, e.event);
    }
  };
  const fault = (now: number, member: string, on: boolean) => {
    for (const e of group.setFault(member, on)) deliver(now, e.member, e.event);
  };
  const states = () => [...inst.values()].map((i) => i.state);
  return { inst, group, deliver, fault, states, log };
}

describe('vrrp_sync_group', () => {
  it('goes MASTER only when every member wants to, then all together', () => {
    const p = pair();
    p.deliver(0, 'VI_1', { type: 'start' });
    p.deliver(0, 'VI_2', { type: 'start' });
    assert.deepEqual(p.states(), ['BACKUP', 'BACKUP']);
    // VI_2 still hears its master; VI_1's timer runs out first and waits for the group.
    p.deliver(1000, 'VI_2', {
      type: 'advert',
      src: '10.0.0.2',
      advert: {
        version: 2,
        type: 1,
        vrid: 2,
        priority: 200,
        interval: 1,
        checksum: 0,
        addrs: [],
        authType: 0,
        authData: new Uint8Array(8),
      },
    });
    p.deliver(3609.375, 'VI_1', { type: 'timer' });
    assert.deepEqual(p.states(), ['BACKUP', 'BACKUP']);
    p.deliver(4609.375, 'VI_2', { type: 'timer' });
    assert.deepEqual(p.states(), ['MASTER', 'MASTER']);
    assert.equal(p.group.state, 'MASTER');
  });

  it('one member seeing a higher master takes all members to BACKUP', () => {
    const p = pair();
    p.deliver(0, 'VI_1', { type: 'start' });
    p.deliver(0, 'VI_2', { type: 'start' });
    p.deliver(3609.375, 'VI_1', { type: 'timer' });
    p.deliver(3609.375, 'VI_2', { type: 'timer' });
    assert.deepEqual(p.states(), ['MASTER', 'MASTER']);
    p.deliver(4000, 'VI_1', {
      type: 'advert',
      src: '10.0.0.2',
      advert: {
        version: 2,
        type: 1,
        vrid: 1,
        priority: 200,
        interval: 1,
        checksum: 0,
        addrs: [],
        authType: 0,
        authData: new Uint8Array(8),
      },
    });
    assert.deepEqual(p.states(), ['BACKUP', 'BACKUP']);
  });

  it('a FAULT of one faults all, and all leave FAULT when the last fault clears', () => {
    const p = pair();
    p.deliver(0, 'VI_1', { type: 'start' });
    p.deliver(0, 'VI_2', { type: 'start' });
    p.deliver(3609.375, 'VI_1', { type: 'timer' });
    p.deliver(3609.375, 'VI_2', { type: 'timer' });
    p.fault(4000, 'VI_1', true);
    assert.deepEqual(p.states(), ['FAULT', 'FAULT']);
    assert.equal(p.group.state, 'FAULT');
    p.fault(4100, 'VI_2', true);
    p.fault(4200, 'VI_1', false);
    assert.deepEqual(p.states(), ['FAULT', 'FAULT'], 'VI_2 is still faulty');
    p.fault(4300, 'VI_2', false);
    assert.deepEqual(p.states(), ['BACKUP', 'BACKUP']);
    assert.deepEqual(p.log.slice(-4), [
      'VI_1 MASTER>FAULT',
      'VI_2 MASTER>FAULT',
      'VI_2 FAULT>BACKUP',
      'VI_1 FAULT>BACKUP',
    ]);
  });
});
