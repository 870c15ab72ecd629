import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Af } from '../../src/core/addr.js';
import { FWD, PROTO } from '../../src/core/types.js';
import {
  type BypassService,
  bypassRemoval,
  bypassRuleset,
  bypassSpecFromServices,
  bypassTableName,
} from '../../src/io/host/bypass-rules.js';
import { parseLocalAddrsJson } from '../../src/io/host/host-config.js';

function svc(
  af: Af,
  protocol: number,
  addr: string,
  port: number,
  dests: [string, number, number][] = [],
  laddrs: string[] = [],
): BypassService {
  return {
    key: { kind: 'addr', af, protocol, addr, port },
    laddrs,
    dests: dests.map(([a, p, fwd]) => ({ addr: a, port: p, af, fwd })),
  };
}

const ruleset = (
  services: BypassService[],
  interfaces = ['eth0'],
  localAddrs: string[] = [],
  families: Af[] = [4],
) => bypassRuleset(bypassSpecFromServices(services, { interfaces, localAddrs, families }));

const head = (ifname: string) =>
  `table netdev lvsd_bypass_${ifname}\ndelete table netdev lvsd_bypass_${ifname}\ntable netdev lvsd_bypass_${ifname} {\n\tchain ingress {\n\t\ttype filter hook ingress device "${ifname}" priority -500; policy accept;\n`;
const tail = '\t}\n}\n';

test('DR: one drop rule for VIP:port per protocol, nothing for the real servers', () => {
  const got = ruleset(
    [
      svc(4, PROTO.TCP, '192.0.2.100', 80, [
        ['192.0.2.11', 80, FWD.DROUTE],
        ['192.0.2.12', 80, FWD.DROUTE],
      ]),
      svc(4, PROTO.UDP, '192.0.2.100', 9, [['192.0.2.11', 9, FWD.DROUTE]]),
    ],
    ['eth0'],
    ['192.0.2.2'],
  );
  assert.equal(
    got,
    `${head('eth0')}\t\tip daddr . meta l4proto . th dport { 192.0.2.100 . tcp . 80, 192.0.2.100 . udp . 9 } counter drop comment "lvsd: VIP:port"\n${tail}`,
  );
});

test('NAT: VIP:port and the real servers replies (saddr RIP:rport) unless addressed to the host itself', () => {
  const got = ruleset(
    [
      svc(4, PROTO.TCP, '203.0.113.100', 80, [
        ['192.0.2.12', 8080, FWD.MASQ],
        ['192.0.2.11', 80, FWD.MASQ],
        ['192.0.2.13', 80, FWD.DROUTE],
      ]),
    ],
    ['eth0'],
    ['203.0.113.2', '192.0.2.1', '127.0.0.1', '::1'],
  );
  assert.equal(
    got,
    `${head('eth0')}\t\tip daddr . meta l4proto . th dport { 203.0.113.100 . tcp . 80 } counter drop comment "lvsd: VIP:port"\n` +
      `\t\tip saddr . meta l4proto . th sport { 192.0.2.11 . tcp . 80, 192.0.2.12 . tcp . 8080 } ip daddr != { 127.0.0.1, 192.0.2.1, 203.0.113.2 } counter drop comment "lvsd: NAT reply"\n${tail}`,
  );
});

test('FULLNAT: VIP:port and its LIPs for the service protocol; a LIP the host holds is spared', () => {
  const got = ruleset(
    [
      svc(
        4,
        PROTO.TCP,
        '203.0.113.100',
        80,
        [['192.0.2.11', 80, FWD.FULLNAT]],
        ['198.51.100.100', '198.51.100.101', '198.51.100.2'],
      ),
    ],
    ['eth0'],
    ['198.51.100.2'],
  );
  assert.equal(
    got,
    `${head('eth0')}\t\tip daddr . meta l4proto . th dport { 203.0.113.100 . tcp . 80 } counter drop comment "lvsd: VIP:port"\n` +
      `\t\tip daddr . meta l4proto { 198.51.100.100 . tcp, 198.51.100.101 . tcp } counter drop comment "lvsd: FULLNAT LIP"\n${tail}`,
  );
});

test('IPv6: ip6 rules with canonical addresses; port-0 services match every port; host IPv6 addresses spared', () => {
  const got = ruleset(
    [
      svc(6, PROTO.TCP, '2001:DB8:0::100', 443, [['2001:db8:1::11', 443, FWD.MASQ]]),
      svc(6, PROTO.UDP, '2001:db8::200', 0),
    ],
    ['eth0'],
    ['2001:db8:1::1', '192.0.2.1'],
    [4, 6],
  );
  assert.equal(
    got,
    `${head('eth0')}\t\tip6 daddr . meta l4proto . th dport { 2001:db8::100 . tcp . 443 } counter drop comment "lvsd: VIP:port"\n` +
      `\t\tip6 daddr . meta l4proto { 2001:db8::200 . udp } counter drop comment "lvsd: VIP, every port"\n` +
      `\t\tip6 saddr . meta l4proto . th sport { 2001:db8:1::11 . tcp . 443 } ip6 daddr != { 2001:db8:1::1 } counter drop comment "lvsd: NAT reply"\n${tail}`,
  );
});

test('services of a family the engine does not serve, and fwmark services, get no rule', () => {
  const fwm: BypassService = { key: { kind: 'fwmark', af: 4, fwmark: 1 }, laddrs: [], dests: [] };
  const got = ruleset([svc(6, PROTO.TCP, '2001:db8::100', 80), fwm], ['eth0'], [], [4]);
  assert.equal(got, 'table netdev lvsd_bypass_eth0\ndelete table netdev lvsd_bypass_eth0\n');
});

test('several interfaces: one table each with the same rules', () => {
  const s = [svc(4, PROTO.SCTP, '203.0.113.100', 5000)];
  const rule =
    '\t\tip daddr . meta l4proto . th dport { 203.0.113.100 . sctp . 5000 } counter drop comment "lvsd: VIP:port"\n';
  assert.equal(ruleset(s, ['eth0', 'eth1']), `${head('eth0')}${rule}${tail}${head('eth1')}${rule}${tail}`);
});

test('an empty service table leaves no table: the script only deletes a stale one', () => {
  const empty = ruleset([], ['eth0', 'eth1']);
  assert.equal(
    empty,
    'table netdev lvsd_bypass_eth0\ndelete table netdev lvsd_bypass_eth0\n' +
      'table netdev lvsd_bypass_eth1\ndelete table netdev lvsd_bypass_eth1\n',
  );
  assert.equal(bypassRemoval(['eth0', 'eth1']), empty);
  assert.doesNotMatch(empty, /\{/);
});

test('table names keep only characters nft accepts; interfaces that cannot be quoted are skipped', () => {
  assert.equal(bypassTableName('veth-a.10'), 'lvsd_bypass_veth-a.10');
  assert.equal(bypassTableName('wl@p+1'), 'lvsd_bypass_wl_p_1');
  assert.equal(
    bypassRemoval(['bad"if', 'ok0']),
    'table netdev lvsd_bypass_ok0\ndelete table netdev lvsd_bypass_ok0\n',
  );
});

test('the ruleset never matches ARP or anything but the listed IP traffic', () => {
  const got = ruleset([
    svc(4, PROTO.TCP, '192.0.2.100', 80, [['192.0.2.11', 80, FWD.MASQ]], ['198.51.100.1']),
  ]);
  const rules = got.split('\n').filter((l) => l.includes(' drop'));
  assert.equal(rules.length, 3);
  for (const r of rules) assert.match(r, /^\t\tip (daddr|saddr) \. meta l4proto/);
  assert.doesNotMatch(got, /arp|ether/);
});

test('the ruleset depends on the table contents only, not on service or dest order, and repeats collapse', () => {
  const ip = fc.integer({ min: 1, max: 254 }).map((n) => `192.0.2.${n}`);
  const one = fc.record({
    proto: fc.constantFrom<number>(PROTO.TCP, PROTO.UDP, PROTO.SCTP),
    vip: ip,
    port: fc.integer({ min: 0, max: 65535 }),
    dests: fc.array(
      fc.tuple(
        ip,
        fc.integer({ min: 0, max: 65535 }),
        fc.constantFrom<number>(FWD.MASQ, FWD.DROUTE, FWD.FULLNAT),
      ),
      { maxLength: 4 },
    ),
    laddrs: fc.array(ip, { maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.array(one, { maxLength: 6 }), fc.array(ip, { maxLength: 3 }), (list, locals) => {
      const services = list.map((x) => svc(4, x.proto, x.vip, x.port, x.dests, x.laddrs));
      const shuffled = [...services].reverse().map((s) => ({ ...s, dests: [...s.dests].reverse() }));
      const a = ruleset(services, ['eth0'], locals);
      assert.equal(ruleset(shuffled, ['eth0'], [...locals].reverse()), a);
      assert.equal(ruleset([...services, ...services], ['eth0'], locals), a);
      // Every VIP:port appears, whatever else the table holds.
      for (const x of list) if (x.port !== 0) assert.ok(a.includes(`${x.vip} . `), x.vip);
    }),
  );
});

test('local addresses come from every family and scope of ip -j addr', () => {
  const json = `[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},{"family":"inet6","local":"::1","prefixlen":128}]},{"ifindex":3,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]},{"ifindex":4,"ifname":"eth1"}]`;
  assert.deepEqual(parseLocalAddrsJson(json), ['127.0.0.1', '::1', '192.0.2.2', 'fe80::1']);
});
