/**
 * Interface addresses whatever the carrier (io/netlink/link-addresses.ts), in a throw-away
 * namespace (root only), with iproute2's `ip -j addr show` as the oracle: a link that is up
 * without carrier, and one that is down, keep their addresses in the rtnetlink dump and in `ip`,
 * while os.networkInterfaces() (getifaddrs as libuv filters it) leaves them out. This is what an
 * lvsd started before its sync interface has carrier needs to join 224.0.0.81.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping interface address tests: ${skip}`);

type Answer = {
  netlink: { addrs: { family: string; address: string; prefixlen: number; secondary: boolean }[] } | null;
  iproute2: { addrs: { family: string; address: string; prefixlen: number; secondary: boolean }[] } | null;
  getifaddrs: unknown;
  exists: boolean;
  source4: string | null;
};

describe('interface addresses with and without carrier', { skip }, () => {
  let ns: Netns;
  let seen: Record<string, Answer>;

  before(() => {
    // d0 and d1: the two ends of one veth pair; d1 goes down, so d0 is up without carrier.
    ns = createNetns({ namespaces: ['h'], links: [{ a: 'h', b: 'h', aIf: 'd0', bIf: 'd1' }] });
    ns.ip('h', 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
    ns.ip('h', 'addr', 'add', '192.0.2.2/24', 'dev', 'd0');
    ns.ip('h', 'addr', 'add', '198.51.100.1/32', 'dev', 'd0');
    ns.ip('h', '-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'd0', 'nodad');
    ns.ip('h', 'addr', 'add', '203.0.113.9/24', 'dev', 'd1');
    ns.ip('h', 'link', 'set', 'd1', 'down');
    const r = ns.exec(
      'h',
      [process.execPath, '--import', 'tsx', 'test/io/link-addresses-child.ts', 'd0', 'd1', 'nope0'],
      30_000,
    );
    assert.equal(r.status, 0, r.stderr);
    seen = JSON.parse(r.stdout) as Record<string, Answer>;
  });
  after(() => ns?.destroy());

  it('the link up without carrier is what the test says it is: not RUNNING', () => {
    const link = JSON.parse(ns.ip('h', '-j', 'link', 'show', 'd0')) as { flags: string[] }[];
    assert.ok(link[0]?.flags.includes('UP'));
    assert.ok(link[0]?.flags.includes('NO-CARRIER'), JSON.stringify(link));
  });

  it('rtnetlink lists every address of a link without carrier, primaries first, as ip does', () => {
    const want = [
      { family: 'IPv4', address: '192.0.2.1', prefixlen: 24, secondary: false },
      { family: 'IPv4', address: '198.51.100.1', prefixlen: 32, secondary: false },
      { family: 'IPv4', address: '192.0.2.2', prefixlen: 24, secondary: true },
      { family: 'IPv6', address: '2001:db8::1', prefixlen: 64, secondary: false },
    ];
    // The link came up before the test could stop the kernel making a link-local address.
    const sort = (a: typeof want) =>
      a.filter((x) => !x.address.startsWith('fe80:')).sort((x, y) => x.address.localeCompare(y.address));
    assert.deepEqual(sort(seen.d0!.netlink!.addrs), sort(want));
    assert.deepEqual(seen.d0!.iproute2!.addrs, seen.d0!.netlink!.addrs);
    // The primary IPv4 addresses come first (the sync master binds to the first).
    assert.deepEqual(
      seen.d0!.netlink!.addrs.filter((a) => a.family === 'IPv4').map((a) => a.secondary),
      [false, false, true],
    );
    assert.equal(seen.d0!.source4, '192.0.2.1');
    assert.equal(seen.d0!.exists, true);
  });

  it('a link that is down keeps its address in the dump and exists', () => {
    assert.deepEqual(seen.d1!.netlink!.addrs, [
      { family: 'IPv4', address: '203.0.113.9', prefixlen: 24, secondary: false },
    ]);
    assert.deepEqual(seen.d1!.iproute2!.addrs, seen.d1!.netlink!.addrs);
    assert.equal(seen.d1!.exists, true);
  });

  it('getifaddrs as libuv filters it leaves both links out (why it is not used)', () => {
    assert.equal(seen.d0!.getifaddrs, null);
    assert.equal(seen.d1!.getifaddrs, null);
  });

  it('an interface that does not exist is absent from every source', () => {
    assert.deepEqual(seen.nope0, {
      netlink: null,
      iproute2: null,
      getifaddrs: null,
      exists: false,
      source4: null,
    });
  });
});
