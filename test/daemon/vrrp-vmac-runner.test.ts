import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpRunner } from '../../src/daemon/vrrp/vrrp-runner.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import { FakeVmacLinks } from '../../src/io/vrrp/fake-vmac-links.js';
import { FakeVrrpNetwork } from '../../src/vrrp/fake-vrrp-transport.js';
import type { VrrpEndpoint } from '../../src/vrrp/vrrp-transport.js';
import { conf, FakeHost, FakeScripts, model, recordingPlane } from './vrrp-rig.js';

/** One router whose macvlans live in a FakeVmacLinks and whose opened endpoints are recorded. */
function router(text: string, opts: { links?: FakeVmacLinks | null; primary?: string } = {}) {
  const net = new FakeVrrpNetwork();
  const clock = new FakeClock(1_000_000);
  const inner = net.transport('192.0.2.1');
  const eps: VrrpEndpoint[] = [];
  const transport = {
    open: (ep: VrrpEndpoint, on: Parameters<typeof inner.open>[1], err: Parameters<typeof inner.open>[2]) => {
      eps.push(ep);
      return inner.open(ep, on, err);
    },
  };
  const links = opts.links === null ? undefined : (opts.links ?? new FakeVmacLinks());
  const plane = recordingPlane();
  const logs: string[] = [];
  const runner = new VrrpRunner({
    model: model(text),
    transport,
    host: new FakeHost(opts.primary ?? '192.0.2.1'),
    clock,
    scripts: new FakeScripts(),
    plane,
    ...(links ? { vmac: links } : {}),
    log: (_l, msg, f) => logs.push(`${msg} ${JSON.stringify(f ?? {})}`),
  });
  const state = () => runner.view().instances[0]?.state;
  return { runner, clock, links, eps, plane, logs, state, net };
}

describe('VrrpRunner with use_vmac (fake macvlans)', () => {
  it('makes vrrp.51 on the base, opens the socket on it from the base address, puts the VIPs on it, and deletes it at stop', async () => {
    const r = router(conf({ prio: 150, extra: '    use_vmac\n', vips: '192.0.2.100/32' }));
    r.runner.start();
    assert.deepEqual(r.links?.links.get('vrrp.51'), {
      ifname: 'vrrp.51',
      base: 'eth0',
      mac: '00:00:5e:00:01:33',
      af: 4,
    });
    assert.deepEqual(r.eps, [{ af: 4, unicastPeers: [], ifname: 'vrrp.51', srcAddr: '192.0.2.1' }]);
    await r.clock.advance(5_000);
    assert.equal(r.state(), 'MASTER');
    assert.deepEqual(r.plane.calls.slice(0, 2), [
      'own VI_1 192.0.2.100/32@vrrp.51',
      // garp_master_repeat 5 (keepalived's default): one announce call carrying five rounds.
      `announce ${Array(5).fill('192.0.2.100/32@vrrp.51').join(',')}`,
    ]);
    await r.runner.stop();
    assert.equal(r.links?.links.size, 0);
    assert.deepEqual(r.links?.calls, ['up vrrp.51', 'down vrrp.51']);
    // The priority-0 advert left before the macvlan went.
    assert.equal(r.net.sent.at(-1)?.vrrp[2], 0);
  });

  it('vmac_xmit_base: the socket stays on the base interface, the VIPs still go on the macvlan', async () => {
    const r = router(
      conf({ prio: 150, extra: '    use_vmac vm51\n    vmac_xmit_base\n', vips: '192.0.2.100/32' }),
    );
    r.runner.start();
    assert.deepEqual(
      r.eps.map((e) => [e.ifname, e.srcAddr]),
      [['eth0', undefined]],
    );
    assert.equal(r.links?.links.get('vm51')?.mac, '00:00:5e:00:01:33');
    await r.clock.advance(5_000);
    assert.equal(r.plane.calls[0], 'own VI_1 192.0.2.100/32@vm51');
    await r.runner.stop();
  });

  it('IPv6: the macvlan gets the base link-local address the adverts come from', async () => {
    const text = conf({ extra: '    use_vmac\n', vips: '2001:db8::100/128' });
    const r = router(text, { primary: 'fe80::1' });
    r.runner.start();
    assert.deepEqual(
      r.eps.map((e) => [e.ifname, e.srcAddr]),
      [['vrrp.51', 'fe80::1']],
    );
    assert.deepEqual(r.links?.links.get('vrrp.51'), {
      ifname: 'vrrp.51',
      base: 'eth0',
      mac: '00:00:5e:00:02:33',
      af: 6,
      linkLocal: 'fe80::1',
    });
    await r.runner.stop();
  });

  it('a macvlan that cannot be made, or no way to make one, holds the instance in FAULT', async () => {
    const links = new FakeVmacLinks();
    links.failNext = 'ip link add: Operation not permitted';
    const a = router(conf({ prio: 150, extra: '    use_vmac\n' }), { links });
    a.runner.start();
    await a.clock.advance(5_000);
    assert.equal(a.state(), 'FAULT');
    assert.ok(a.logs.some((l) => /cannot open the VRRP socket.*Operation not permitted/.test(l)));
    assert.equal(a.eps.length, 0);
    await a.runner.stop();
    const b = router(conf({ prio: 150, extra: '    use_vmac\n' }), { links: null });
    b.runner.start();
    await b.clock.advance(5_000);
    assert.equal(b.state(), 'FAULT');
    assert.ok(b.logs.some((l) => /use_vmac needs the proxy data plane/.test(l)));
    await b.runner.stop();
  });

  it('reload keeps the macvlan of a changed instance, and deletes one the new configuration names differently', async () => {
    const r = router(conf({ prio: 150, extra: '    use_vmac\n', vips: '192.0.2.100/32' }));
    r.runner.start();
    await r.clock.advance(5_000);
    r.runner.reload(model(conf({ prio: 160, extra: '    use_vmac\n', vips: '192.0.2.100/32' })));
    assert.deepEqual(r.links?.calls, ['up vrrp.51', 'up vrrp.51']);
    assert.equal(r.state(), 'MASTER');
    r.runner.reload(model(conf({ prio: 160, extra: '    use_vmac vm51\n', vips: '192.0.2.100/32' })));
    assert.deepEqual([...(r.links?.links.keys() ?? [])], ['vm51']);
    r.runner.reload(model(conf({ prio: 160, vips: '192.0.2.100/32' })));
    assert.equal(r.links?.links.size, 0, 'use_vmac removed: the macvlan goes');
    await r.runner.stop();
  });
});
