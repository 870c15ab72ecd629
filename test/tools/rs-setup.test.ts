import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRsSetup } from '../../src/tools/rs-setup.js';

const bare = { addrs: { lo: ['127.0.0.1'], eth0: ['192.0.2.11'] }, sysctls: {}, kernelIpip: false };

test('DR puts the VIP on lo/32 and sets arp_ignore=1 / arp_announce=2 on all and lo, as lvs_rs.sh', () => {
  const p = planRsSetup('192.0.2.100', 'dr', bare);
  assert.deepEqual(p.commands, [['ip', 'addr', 'add', '192.0.2.100/32', 'dev', 'lo']]);
  assert.deepEqual(p.sysctls, [
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.all.arp_announce=2',
    'net.ipv4.conf.lo.arp_ignore=1',
    'net.ipv4.conf.lo.arp_announce=2',
  ]);
  assert.deepEqual(p.warnings, []);
});

test('an already configured real server needs no change', () => {
  const sysctls = Object.fromEntries(
    ['all', 'lo'].flatMap((d) => [
      [`net.ipv4.conf.${d}.arp_ignore`, '1'],
      [`net.ipv4.conf.${d}.arp_announce`, '2'],
    ]),
  );
  const p = planRsSetup('192.0.2.100', 'dr', {
    ...bare,
    addrs: { ...bare.addrs, lo: ['127.0.0.1', '192.0.2.100'] },
    sysctls,
  });
  assert.deepEqual(p.commands, []);
  assert.deepEqual(p.sysctls, []);
});

test('a VIP held on an ARPing interface is warned about', () => {
  const p = planRsSetup('192.0.2.100', 'dr', { ...bare, addrs: { eth0: ['192.0.2.11', '192.0.2.100'] } });
  assert.equal(p.warnings.length, 1);
  assert.match(p.warnings[0]!, /eth0/);
});

test('TUN without a kernel ipip module keeps the VIP on lo, turns rp_filter off and points at rs-agent', () => {
  const p = planRsSetup('192.0.2.100', 'tun', { ...bare, sysctls: { 'net.ipv4.conf.all.rp_filter': '1' } });
  assert.deepEqual(p.commands, [['ip', 'addr', 'add', '192.0.2.100/32', 'dev', 'lo']]);
  assert.ok(p.sysctls.includes('net.ipv4.conf.all.rp_filter=0'));
  assert.ok(p.sysctls.includes('net.ipv4.conf.lo.rp_filter=0'));
  assert.ok(p.warnings.some((w) => w.includes('rs-agent')));
});

test('TUN with the kernel ipip module brings tunl0 up and puts the VIP there', () => {
  const p = planRsSetup('192.0.2.100', 'tun', { ...bare, kernelIpip: true });
  assert.deepEqual(p.commands, [
    ['ip', 'link', 'set', 'tunl0', 'up'],
    ['ip', 'addr', 'add', '192.0.2.100/32', 'dev', 'tunl0'],
  ]);
  assert.ok(p.sysctls.includes('net.ipv4.conf.tunl0.rp_filter=0'));
  assert.deepEqual(p.warnings, []);
});

test('DR warns about strict rp_filter on an interface', () => {
  const p = planRsSetup('192.0.2.100', 'dr', { ...bare, sysctls: { 'net.ipv4.conf.eth0.rp_filter': '1' } });
  assert.equal(p.warnings.length, 1);
});

test('IPv6 DR puts the VIP on lo/128 and needs no ARP or rp_filter sysctls (NDP answers only for the receiving interface)', () => {
  const p = planRsSetup('2001:db8:1::100', 'dr', {
    ...bare,
    sysctls: { 'net.ipv4.conf.eth0.rp_filter': '1' },
  });
  assert.deepEqual(p.commands, [['ip', '-6', 'addr', 'add', '2001:db8:1::100/128', 'dev', 'lo']]);
  assert.deepEqual(p.sysctls, []);
  assert.deepEqual(p.warnings, []);
});

test('IPv6 TUN uses ip6tnl0 when the kernel has ip6_tunnel, else lo and rs-agent', () => {
  const withMod = planRsSetup('2001:db8:1::100', 'tun', { ...bare, kernelIpip: true, kernelIp6Tunnel: true });
  assert.deepEqual(withMod.commands, [
    ['ip', 'link', 'set', 'ip6tnl0', 'up'],
    ['ip', '-6', 'addr', 'add', '2001:db8:1::100/128', 'dev', 'ip6tnl0'],
  ]);
  assert.deepEqual(withMod.sysctls, []);
  assert.deepEqual(withMod.warnings, []);
  const without = planRsSetup('2001:db8:1::100', 'tun', { ...bare, kernelIpip: true });
  assert.deepEqual(without.commands, [['ip', '-6', 'addr', 'add', '2001:db8:1::100/128', 'dev', 'lo']]);
  assert.ok(without.warnings.some((w) => w.includes('ip6_tunnel') && w.includes('rs-agent')));
});
