import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatIPv6, parseIPv6 } from '../../src/core/addr.js';
import { RouteResult6, StaticRoutes6 } from '../../src/engine/routes6.js';
import { parseIp6AddrJson, parseIp6RouteJson } from '../../src/io/host/host-config6.js';

// Captured from `ip -j -6 addr show` / `ip -j -6 route show` in a lab director namespace.
const ADDR = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    addr_info: [{ family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' }],
  },
  {
    ifindex: 7,
    ifname: 'eth0',
    addr_info: [
      { family: 'inet6', local: 'fe80::ff:fe00:1', prefixlen: 64, scope: 'link' },
      { family: 'inet6', local: '2001:db8:1::9', prefixlen: 64, scope: 'global', tentative: true },
      { family: 'inet6', local: '2001:db8:1::1', prefixlen: 64, scope: 'global' },
    ],
  },
  {
    ifindex: 8,
    ifname: 'eth1',
    addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }],
  },
]);

const ROUTES = JSON.stringify([
  { dst: '2001:db8:1::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
  { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
  { dst: '2001:db8:dead::/48', type: 'unreachable', dev: 'lo', metric: 1024, flags: [] },
  { dst: '2001:db8:7::/48', dev: 'wg9', metric: 1024, flags: [] },
  { dst: 'default', gateway: 'fe80::fe', dev: 'eth0', metric: 1024, flags: [], metrics: [{ mtu: 1400 }] },
]);

describe('IPv6 host config', () => {
  it('picks a global, non-tentative address per interface, else a link-local one', () => {
    const m = parseIp6AddrJson(ADDR);
    assert.equal(formatIPv6(m.get(7)!), '2001:db8:1::1');
    assert.equal(formatIPv6(m.get(8)!), 'fe80::1');
    assert.equal(m.has(1), false, 'host scope (loopback) is no source for the wire');
  });

  it('turns unicast main-table routes over known devices into engine routes', () => {
    const routes = parseIp6RouteJson(ROUTES, new Map([['eth0', 7]]));
    assert.equal(routes.length, 3, 'unreachable and unknown-device routes are skipped');
    const t = new StaticRoutes6(routes);
    const r = new RouteResult6();
    assert.ok(t.lookup6(parseIPv6('2001:db8:1::10')!, 0, r));
    assert.deepEqual([r.ifindex, r.hasGateway], [7, false]);
    assert.ok(t.lookup6(parseIPv6('2001:db8:99::7')!, 0, r));
    assert.deepEqual([r.ifindex, r.hasGateway, formatIPv6(r.gateway), r.mtu], [7, true, 'fe80::fe', 1400]);
  });

  it('never throws on malformed ip output: wrong types, non-arrays and non-JSON read as nothing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify([v])),
        ),
        (s) => {
          parseIp6AddrJson(s);
          parseIp6RouteJson(s, new Map([['eth0', 7]]));
        },
      ),
    );
    assert.deepEqual(parseIp6RouteJson('not json', new Map()), []);
    assert.deepEqual(parseIp6RouteJson('[{"dst":5,"dev":"eth0"}]', new Map([['eth0', 7]])), []);
  });
});
