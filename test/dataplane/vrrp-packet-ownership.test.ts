import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VrrpVip } from '../../src/control/ports.js';
import { VrrpOwnership } from '../../src/dataplane/packet-plane/vrrp-ownership.js';

const v4 = (addr: string, extra: Partial<VrrpVip> = {}): VrrpVip => ({
  af: 4,
  addr,
  prefix: 32,
  dev: 'eth0',
  ...extra,
});
const v6 = (addr: string): VrrpVip => ({ af: 6, addr, prefix: 128, dev: 'eth0' });

describe('VRRP ownership of the packet plane', () => {
  it('holds back the VIPs of instances that are not MASTER, unless a MASTER instance lists them too', () => {
    const o = new VrrpOwnership();
    o.set('VI_1', [v4('192.0.2.100'), v6('2001:db8::100')], false);
    assert.deepEqual(o.held4, [0xc0000264]);
    assert.equal(o.held6.length, 1);
    assert.equal(o.isHeld4(0xc0000264), true);
    o.set('VI_2', [v4('192.0.2.100')], true);
    assert.deepEqual(o.held4, []);
    o.set('VI_1', [v4('192.0.2.100'), v6('2001:DB8:0::100')], true);
    assert.deepEqual(o.held6, []);
    assert.equal(o.isVrrp6(Uint8Array.from(Buffer.from('20010db8000000000000000000000100', 'hex'))), true);
    assert.equal(o.isVrrp4(0xc0000265), false);
  });

  it('lists the addresses of MASTER instances as owned, each once, and none of a BACKUP', () => {
    const o = new VrrpOwnership();
    o.set('VI_1', [v4('203.0.113.100'), v4('192.0.2.254', { dev: 'eth1' }), v6('2001:db8::1')], false);
    assert.deepEqual(o.owned4, []);
    assert.deepEqual(o.owned6, []);
    o.set('VI_1', [v4('203.0.113.100'), v4('192.0.2.254', { dev: 'eth1' }), v6('2001:db8::1')], true);
    o.set('VI_2', [v4('192.0.2.254', { dev: 'eth1' })], true);
    assert.deepEqual(o.owned4, [0xcb007164, 0xc00002fe]);
    assert.equal(o.owned6.length, 1);
    o.set('VI_1', [v4('203.0.113.100')], false);
    assert.deepEqual(o.owned4, [0xc00002fe], 'VI_2 still owns the gateway');
  });
});
