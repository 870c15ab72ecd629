/**
 * A VRRP instance whose interface has no address of its family when lvsd starts: keepalived
 * 2.2.7 logs "(VI_1) entering FAULT state (no IPv4 address for interface)", holds it in FAULT,
 * and enters BACKUP as soon as an address is assigned (checked with the real binary in a
 * namespace). lvsd does the same: FAULT with that line, then BACKUP within a link poll of the
 * address, with the transition logged and notified, and the election run with the new address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { conf, segment } from './vrrp-rig.js';

function lines(runner: object) {
  const out: string[] = [];
  const sink = {
    info: (_: object, m: string) => out.push(m),
    warn: (_: object, m: string) => out.push(m),
    error: (_: object, m: string) => out.push(m),
  };
  return { out, unsub: subscribeLogger(sink, (s) => s === runner) };
}

describe('VRRP instance on an interface without an address (keepalived vrrp.c)', () => {
  it('is held in FAULT, then enters BACKUP once an address is assigned, and MASTER when alone', async () => {
    const { clock, router } = segment();
    const b = router('192.0.2.2', conf({ prio: 100, extra: '    notify /bin/n\n' }));
    b.host.addr = undefined;
    const l = lines(b.runner);
    try {
      b.runner.start();
      await clock.advance(10_000);
      assert.equal(b.state(), 'FAULT');
      assert.deepEqual(b.scripts.notified, [['/bin/n', 'INSTANCE', 'VI_1', 'FAULT', '100']]);

      b.host.addr = '192.0.2.2';
      await clock.advance(1_000);
      assert.equal(b.state(), 'BACKUP');
      assert.deepEqual(b.scripts.notified.at(-1), ['/bin/n', 'INSTANCE', 'VI_1', 'BACKUP', '100']);
      // Alone on the segment: MASTER after the master-down interval.
      await clock.advance(4_000);
      assert.equal(b.state(), 'MASTER');
      assert.deepEqual(l.out, [
        '(VI_1) Entering FAULT STATE (init)',
        '(VI_1) Entering BACKUP STATE',
        '(VI_1) Entering MASTER STATE',
      ]);
    } finally {
      l.unsub();
      await b.runner.stop();
    }
  });

  it('with a master on the segment it stays BACKUP once addressed, and takes over with its address', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150 }));
    const b = router('192.0.2.2', conf({ prio: 100 }));
    b.host.addr = undefined;
    try {
      a.runner.start();
      b.runner.start();
      await clock.advance(10_000);
      assert.deepEqual([a.state(), b.state()], ['MASTER', 'FAULT']);
      b.host.addr = '192.0.2.2';
      await clock.advance(1_000);
      assert.equal(b.state(), 'BACKUP');
      await clock.advance(10_000);
      assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
      assert.equal(b.runner.view().instances[0]?.masterAddr, '192.0.2.1');
      // a stops: b takes over, and the instance view names b's real address as the master.
      await a.runner.stop();
      await clock.advance(5_000);
      assert.equal(b.state(), 'MASTER');
      assert.equal(b.runner.view().instances[0]?.masterAddr, '192.0.2.2');
      assert.equal(b.runner.view().instances[0]?.primaryAddr, '192.0.2.2');
    } finally {
      await Promise.all([a.runner.stop(), b.runner.stop()]);
    }
  });
});
