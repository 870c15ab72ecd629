/**
 * The real ICMP echo sockets in throw-away namespaces (root only): timeouts through a blackhole
 * route, immediate failure without a route, ICMP errors from a router (IP_RECVERR for ping
 * sockets, the quoted header for raw ones), mixed replies and timeouts over one socket, and the
 * raw-socket fallback when net.ipv4.ping_group_range excludes our gid. The sockets are opened by
 * children started with `ip netns exec` (icmp-child.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadIcmpBinding } from '../../src/io/icmp/icmp-binding.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { type ChildPing, runIcmpChild } from './icmp-run-child.js';

function addonReason(): string | undefined {
  try {
    loadIcmpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = netnsSkipReason() ?? addonReason();
if (skip) console.log(`# skipping ICMP netns tests: ${skip}`);

const results = (r: Record<string, unknown>): ChildPing[] => r.results as ChildPing[];

describe('ICMP echo sockets in namespaces', { skip }, () => {
  let ns: Netns;

  before(() => {
    // a ── veth ── b, a router that answers 203.0.113.0/24 and 2001:db8:99::/64 with unreachable
    // and silently drops 192.0.2.0/24 and 2001:db8:77::/64; c has only lo; d refuses ping sockets.
    ns = createNetns({
      namespaces: ['a', 'b', 'c', 'd'],
      links: [
        {
          a: 'a',
          b: 'b',
          aIf: 'eth0',
          bIf: 'eth0',
          aAddrs: ['198.51.100.1/24', '2001:db8:1::1/64'],
          bAddrs: ['198.51.100.2/24', '2001:db8:1::2/64'],
        },
      ],
    });
    // The black holes are b's: a local blackhole route fails sendto(2) with EINVAL at once.
    ns.ip('a', 'route', 'add', '192.0.2.0/24', 'via', '198.51.100.2');
    ns.ip('a', '-6', 'route', 'add', '2001:db8:77::/64', 'via', '2001:db8:1::2');
    ns.ip('b', 'route', 'add', 'blackhole', '192.0.2.0/24');
    ns.ip('b', '-6', 'route', 'add', 'blackhole', '2001:db8:77::/64');
    ns.ip('c', 'route', 'add', 'blackhole', '203.0.113.0/24');
    ns.ip('a', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2');
    ns.ip('a', '-6', 'route', 'add', '2001:db8:99::/64', 'via', '2001:db8:1::2');
    ns.ip('b', 'route', 'add', 'unreachable', '203.0.113.0/24');
    ns.ip('b', '-6', 'route', 'add', 'unreachable', '2001:db8:99::/64');
    // Errors for a forwarded packet are rate limited per source address twice (ip_error's bucket
    // and icmp_ratelimit, sharing one inet_peer): switch the per-namespace one off, and give the
    // test that needs two errors in a row its own source address (a fresh bucket).
    ns.ip('a', 'addr', 'add', '198.51.100.11/32', 'dev', 'eth0');
    ns.ip('a', 'addr', 'add', '198.51.100.12/32', 'dev', 'eth0');
    ns.ip('a', 'route', 'add', '203.0.113.128/26', 'via', '198.51.100.2', 'src', '198.51.100.11');
    ns.ip('a', 'route', 'add', '203.0.113.192/26', 'via', '198.51.100.2', 'src', '198.51.100.12');
    const fw = ns.exec('b', [
      'sysctl',
      '-qw',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.icmp_ratelimit=0',
      'net.ipv6.icmp.ratelimit=0',
    ]);
    assert.equal(fw.status, 0, fw.stderr);
    // A new namespace starts with the kernel's default range "1 0" (nobody, not even root's
    // gid 0): widen it where ping sockets are wanted, state it explicitly in d.
    for (const [label, range] of [
      ['a', '0 0'],
      ['c', '0 0'],
      ['d', '1 0'],
    ] as const) {
      const pg = ns.exec(label, ['sysctl', '-qw', `net.ipv4.ping_group_range=${range}`]);
      assert.equal(pg.status, 0, pg.stderr);
    }
  });

  after(() => ns?.destroy());

  for (const kind of ['dgram', 'raw'] as const) {
    it(`${kind}: an echo to a blackholed documentation address is down after the timeout, not before`, async () => {
      const r = await runIcmpChild(ns, 'a', { mode: 'ping', family: 4, kind, pings: [['192.0.2.1', 400]] });
      const [p] = results(r);
      assert.equal(p?.code, 'ETIMEDOUT', JSON.stringify(p));
      assert.ok(p.elapsedMs >= 399 && p.elapsedMs < 700, `elapsed ${p.elapsedMs} ms`);
    });

    it(`${kind}: 150 answered and 150 blackholed echoes interleaved on one socket are told apart`, async () => {
      const pings: [string, number][] = [];
      for (let i = 0; i < 150; i++) pings.push([`127.0.0.${(i % 50) + 1}`, 1500], [`192.0.2.${i + 1}`, 300]);
      const r4 = await runIcmpChild(ns, 'a', { mode: 'ping', family: 4, kind, pings });
      const rs = results(r4);
      assert.equal(r4.kind, kind);
      assert.equal(r4.pending, 0);
      for (const p of rs) {
        if (p.addr.startsWith('127.')) assert.equal(p.ok, true, JSON.stringify(p));
        else assert.equal(p.code, 'ETIMEDOUT', JSON.stringify(p));
      }
      assert.equal(rs.filter((p) => p.ok).length, 150);
    });

    for (const [family, target, code, router] of [
      [4, '203.0.113.9', 'EHOSTUNREACH', '198.51.100.2'],
      [6, '2001:db8:99::9', 'ENETUNREACH', '2001:db8:1::2'],
    ] as const) {
      it(`${kind}: an ICMPv${family} unreachable from the router fails the echo at once with ${code}`, async () => {
        const r = await runIcmpChild(ns, 'a', { mode: 'ping', family, kind, pings: [[target, 3000]] });
        const [p] = results(r);
        assert.equal(p?.code, code, JSON.stringify(p));
        assert.ok(p.reason?.endsWith(`from ${router}`), p.reason);
        assert.ok(p.elapsedMs < 2000, `elapsed ${p.elapsedMs} ms`);
      });
    }
  }

  it('dgram: the socket keeps receiving after an ICMP error was read from its error queue', async () => {
    // libuv stops a poll handle on POLLERR; the addon must resume it after draining the queue.
    // Each unreachable comes from its own source address: the router's per-source buckets
    // (ip_error's and icmp_ratelimit's share one inet_peer) then cannot swallow the second error.
    const pings: [string, number][] = [
      ['203.0.113.129', 3000],
      ['127.0.0.1', 1000],
      ['203.0.113.193', 3000],
      ['127.0.0.1', 1000],
    ];
    const r = await runIcmpChild(ns, 'a', {
      mode: 'ping',
      family: 4,
      kind: 'dgram',
      sequential: true,
      pings,
    });
    // On failure, say whether the router sent both errors (OutDestUnreachs) or limited one.
    const nstat = (): string =>
      ns.exec('b', ['nstat', '-az', 'IcmpOutDestUnreachs', 'IcmpOutRateLimit*', 'IcmpMsgOutType3']).stdout;
    assert.deepEqual(
      results(r).map((p) => p.code ?? p.ok),
      ['EHOSTUNREACH', true, 'EHOSTUNREACH', true],
      `${JSON.stringify(results(r))}\nrouter counters:\n${nstat()}`,
    );
  });

  it('without a route the echo fails at once with ENETUNREACH (EINVAL through a local blackhole)', async () => {
    const r = await runIcmpChild(ns, 'c', {
      mode: 'ping',
      family: 4,
      pings: [
        ['192.0.2.1', 3000],
        ['203.0.113.1', 3000],
      ],
    });
    const [none, black] = results(r);
    assert.equal(none?.code, 'ENETUNREACH', JSON.stringify(none));
    assert.equal(black?.code, 'EINVAL', JSON.stringify(black));
    assert.ok(
      none.elapsedMs < 500 && black.elapsedMs < 500,
      `elapsed ${none.elapsedMs}, ${black.elapsedMs} ms`,
    );
  });

  it('a blackholed IPv6 echo times out on a ::1-answering socket', async () => {
    const r = await runIcmpChild(ns, 'a', {
      mode: 'ping',
      family: 6,
      pings: [
        ['2001:db8:77::1', 300],
        ['::1', 1500],
      ],
    });
    const [black, lo] = results(r);
    assert.equal(black?.code, 'ETIMEDOUT', JSON.stringify(black));
    assert.equal(lo?.ok, true, JSON.stringify(lo));
  });

  it('auto opens a raw socket where ping_group_range excludes our gid, and the echo still works', async () => {
    const dgram = await runIcmpChild(ns, 'd', { mode: 'open', family: 4, kind: 'dgram' });
    assert.equal(dgram.error, 'EACCES');
    const r = await runIcmpChild(ns, 'd', { mode: 'ping', family: 4, pings: [['127.0.0.1', 2000]] });
    assert.equal(r.kind, 'raw');
    assert.equal(results(r)[0]?.ok, true);
    const lo = await runIcmpChild(ns, 'a', { mode: 'open', family: 4 });
    assert.equal(lo.kind, 'dgram'); // the control: a's range includes gid 0
  });
});
