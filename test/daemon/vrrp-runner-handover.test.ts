/**
 * The order of a new MASTER's effects, which decides how soon a client is served (bench:failover
 * hand-over): the VIPs go on, then the GARP announces them, and only then do notify scripts
 * spawn, as keepalived orders them (vrrp.c vrrp_state_become_master(): VIPs, then
 * vrrp_send_link_update(), then send_instance_notifies()).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conf, segment } from './vrrp-rig.js';

describe('VrrpRunner hand-over order', () => {
  it('becoming MASTER: addresses on, then the GARP, then notify_master', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150, extra: '    notify_master /bin/nm\n' }));
    const record = a.scripts.notify.bind(a.scripts);
    a.scripts.notify = (argv) => {
      a.plane.calls.push(`notify ${argv.join(' ')}`);
      record(argv);
    };
    a.runner.start();
    await clock.advance(5_000);
    assert.equal(a.state(), 'MASTER');
    assert.deepEqual(a.plane.calls.slice(0, 3), [
      'own VI_1 192.0.2.100/24@eth0',
      // garp_master_repeat 5 (keepalived's default): one announce call carrying five rounds.
      `announce ${Array(5).fill('192.0.2.100/24@eth0').join(',')}`,
      'notify /bin/nm',
    ]);
    await a.runner.stop();
  });
});
