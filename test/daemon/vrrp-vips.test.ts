import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vipsMissingFrom, vrrpVipOf } from '../../src/daemon/vrrp/vrrp-vips.js';
import { model } from './vrrp-rig.js';

test('virtual_ipaddress lines map to data-plane VIPs with dev defaulting to the interface, label and scope as written', () => {
  const m = model(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.100/24
        192.0.2.101/24 dev eth1 label eth1:vip scope link
    }
}
`);
  const vips = m.vrrp.instances[0]!.vips.map((v) => vrrpVipOf(v, 'eth0'));
  assert.deepEqual(vips, [
    { af: 4, addr: '192.0.2.100', prefix: 24, dev: 'eth0' },
    { af: 4, addr: '192.0.2.101', prefix: 24, dev: 'eth1', label: 'eth1:vip', scope: 'link' },
  ]);
  assert.deepEqual(vipsMissingFrom(vips, vips.slice(0, 1)), vips.slice(1));
});
