import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteResult, StaticRoutes } from '../../src/engine/routes.js';
import {
  hostLocalRoutes,
  interfaceForAddr,
  parseIpAddrJson,
  parseIpRouteJson,
} from '../../src/io/host/host-config.js';

// Captured from `ip -j addr` / `ip -j route` in a namespace (iproute2 6.1).
const ADDR = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"},{"family":"inet6","local":"::1","prefixlen":128}]},
{"ifindex":2,"link":"eth0","ifname":"eth1","flags":["BROADCAST","MULTICAST"],"mtu":1500,"address":"b6:dd:5e:49:f9:c4","addr_info":[{"family":"inet6","local":"fe80::b4dd:5eff:fe49:f9c4","prefixlen":64}]},
{"ifindex":3,"link":"eth1","ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"address":"aa:99:ed:8f:48:b1","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24,"scope":"global","label":"eth0"}]}]`;
const ROUTE = `[{"dst":"default","gateway":"192.0.2.254","dev":"eth0","flags":[]},{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},{"dst":"198.51.100.0/24","gateway":"192.0.2.1","dev":"eth0","flags":[],"metrics":[{"mtu":1400}]},{"type":"blackhole","dst":"203.0.113.0/24","flags":[]},{"dst":"203.0.113.128/25","dev":"gone0","flags":[]}]`;

test('ip -j addr gives interfaces with index, MAC, MTU, state and IPv4 addresses only', () => {
  const ifs = parseIpAddrJson(ADDR);
  assert.deepEqual(
    ifs.map((i) => [i.ifindex, i.name, i.up, i.mtu]),
    [
      [1, 'lo', true, 65536],
      [2, 'eth1', false, 1500],
      [3, 'eth0', true, 1500],
    ],
  );
  assert.deepEqual([...ifs[2]!.mac], [0xaa, 0x99, 0xed, 0x8f, 0x48, 0xb1]);
  assert.deepEqual(ifs[2]!.addrs, [{ addr: 0xc0000202, prefixLen: 24 }]);
  assert.deepEqual(ifs[1]!.addrs, []);
});

test('ip -j route gives engine routes with gateways, preferred sources and MTU; skips blackholes and unknown devices', () => {
  const routes = parseIpRouteJson(ROUTE, parseIpAddrJson(ADDR));
  assert.deepEqual(routes, [
    { prefix: 0, len: 0, ifindex: 3, gateway: 0xc00002fe, src: 0, mtu: 0 },
    { prefix: 0xc0000200, len: 24, ifindex: 3, gateway: 0, src: 0xc0000202, mtu: 0 },
    { prefix: 0xc6336400, len: 24, ifindex: 3, gateway: 0xc0000201, src: 0, mtu: 1400 },
  ]);
});

test('the interface of an address is the one whose connected subnet holds it', () => {
  const ifs = parseIpAddrJson(ADDR);
  assert.equal(interfaceForAddr(ifs, 0xc0000264)?.name, 'eth0');
  assert.equal(interfaceForAddr(ifs, 0xcb007164), undefined);
});

test('the host addresses become local routes (/32 each, 127.0.0.0/8 on lo), and one wins over its subnet route', () => {
  const ifs = parseIpAddrJson(ADDR);
  const local = hostLocalRoutes(ifs);
  assert.deepEqual(
    local.map((r) => [r.prefix >>> 0, r.len, r.ifindex, r.local]),
    [
      [0x7f000001, 32, 1, true],
      [0xc0000202, 32, 3, true],
      [0x7f000000, 8, 1, true],
    ],
  );
  const table = new StaticRoutes([...local, ...parseIpRouteJson(ROUTE, ifs)]);
  const rr = new RouteResult();
  assert.ok(table.lookup4(0xc0000202, rr));
  assert.equal(rr.local, true);
  assert.ok(table.lookup4(0x7f000005, rr));
  assert.equal(rr.local, true);
  assert.ok(table.lookup4(0xc0000203, rr));
  assert.equal(rr.local, false);
});
