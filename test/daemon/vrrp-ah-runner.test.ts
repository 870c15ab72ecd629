import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AH_LEN, ahIcv, ahKey, decodeAh } from '../../src/vrrp/vrrp-ah.js';
import { decodeVrrp, VRRP_AUTH } from '../../src/vrrp/vrrp-packet.js';
import { conf, segment } from './vrrp-rig.js';

const ah = (pass: string) => `    authentication {\n        auth_type AH\n        auth_pass ${pass}\n    }\n`;

describe('VrrpRunner with auth_type AH on a fake segment', () => {
  it('elects a master over AH: whole IPv4 packets of protocol 51, SPI = source, seq counting up, a valid ICV', async () => {
    const { net, clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150, extra: ah('secret1') }));
    const b = router('192.0.2.2', conf({ prio: 100, extra: ah('secret1') }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    const bv = b.runner.view().instances[0]!;
    assert.ok(bv.advertsReceived >= 5, `received ${bv.advertsReceived}`);
    assert.deepEqual(bv.rxErrors, {});
    const fromA = net.sent.filter((s) => s.from === '192.0.2.1').map((s) => s.vrrp);
    const seqs = fromA.map((p) => decodeAh(p, 20).seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
    );
    for (const p of fromA) {
      assert.deepEqual([p[9], p[1], p[8]], [51, 0xc0, 255]);
      assert.deepEqual([...p.subarray(24, 28)], [192, 0, 2, 1]);
      assert.deepEqual(ahIcv(p, 20, false, ahKey('secret1')), p.subarray(32, 44));
      const v = decodeVrrp(p, 20 + AH_LEN, 4);
      assert.deepEqual([v.authType, [...v.authData]], [VRRP_AUTH.AH, [0, 0, 0, 0, 0, 0, 0, 0]]);
    }
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('a wrong AH password: every advert counted as VRRP_RX_AH_ICV, and both become master', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', conf({ prio: 150, extra: ah('secret1') }));
    const b = router('192.0.2.2', conf({ prio: 100, extra: ah('other') }));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'MASTER']);
    const bv = b.runner.view().instances[0]!;
    assert.equal(bv.advertsReceived, 0);
    assert.ok((bv.rxErrors.VRRP_RX_AH_ICV ?? 0) >= 5, JSON.stringify(bv.rxErrors));
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it('a restarted master starts its counter from the adverts it hears, so it preempts without a replay', async () => {
    const { clock, router } = segment();
    const text = (prio: number) => conf({ prio, extra: ah('secret1') });
    let a = router('192.0.2.1', text(150));
    const b = router('192.0.2.2', text(100));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    await a.runner.stop();
    // b takes over from a's priority 0 advert; a comes back with a fresh counter.
    await clock.advance(1_000);
    assert.equal(b.state(), 'MASTER');
    a = router('192.0.2.1', text(150));
    a.runner.start();
    await clock.advance(15_000);
    // As backup, a accepted b's adverts and took b's numbers (one counter for both directions),
    // so its first advert as master is above b's counter: b accepts it and steps down.
    assert.deepEqual([a.state(), b.state()], ['MASTER', 'BACKUP']);
    assert.deepEqual(b.runner.view().instances[0]!.rxErrors, {});
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });
});
