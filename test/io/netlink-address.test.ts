/**
 * The proxy plane's rtnetlink address calls (native/netlink_addr.c through io/netlink and
 * vrrp-address-link.ts) in a throw-away namespace (root only), with iproute2's `ip` as the
 * oracle: an address added through netlink must look, in `ip -j addr show`, exactly like the one
 * `ip addr add` makes from the same arguments (vrrp-address-link.ts addArgs) on a twin interface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VrrpVip } from '../../src/control/ports.js';
import { addArgs } from '../../src/dataplane/proxy-plane/vrrp-address-link.js';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping rtnetlink address tests: ${skip}`);

/** One address of `ip -j addr show`, as iproute2 prints it. */
type AddrInfo = Record<string, unknown> & { local: string; label?: string };

describe('VRRP addresses through rtnetlink, compared with ip addr add', { skip }, () => {
  let ns: Netns;

  // Runs the child's steps inside the namespace; its JSON results.
  const run = (steps: unknown[]): unknown[] => {
    const r = ns.exec(
      'h',
      [process.execPath, '--import', 'tsx', 'test/io/netlink-address-child.ts', JSON.stringify(steps)],
      30_000,
    );
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown[];
  };
  // `dev`'s addresses of family `af`, labels written as if on d0, lifetimes and all.
  const shown = (dev: string, af: 4 | 6): AddrInfo[] => {
    const j = JSON.parse(ns.ip('h', '-j', `-${af}`, 'addr', 'show', 'dev', dev)) as {
      addr_info: AddrInfo[];
    }[];
    return (j[0]?.addr_info ?? [])
      .filter((a) => a.scope !== 'link' || af === 4)
      .map((a) => (a.label !== undefined ? { ...a, label: a.label.replace(dev, 'd0') } : a))
      .sort((x, y) => x.local.localeCompare(y.local));
  };

  before(() => {
    // Twin interfaces: the two ends of one veth pair inside the namespace (no dummy module here).
    ns = createNetns({ namespaces: ['h'], links: [{ a: 'h', b: 'h', aIf: 'd0', bIf: 'd1' }] });
    for (const d of ['d0', 'd1']) {
      // No kernel-made IPv6 link-local address: only the test's addresses are compared.
      ns.exec('h', ['sysctl', '-qw', `net.ipv6.conf.${d}.addr_gen_mode=1`]);
      ns.ip('h', 'link', 'set', d, 'up');
    }
  });
  after(() => ns?.destroy());

  it('adds what ip addr add adds: prefix, label, scope; IPv6 nodad and deprecated (preferred_lft 0)', () => {
    const vips: VrrpVip[] = [
      { af: 4, addr: '192.0.2.100', prefix: 24, dev: 'd0', label: 'd0:vi1', scope: 'link' },
      { af: 4, addr: '192.0.2.101', prefix: 32, dev: 'd0' },
      { af: 4, addr: '192.0.2.102', prefix: 32, dev: 'd0', scope: 'host' },
      { af: 4, addr: '127.1.2.3', prefix: 32, dev: 'd0' },
      { af: 6, addr: '2001:db8::100', prefix: 128, dev: 'd0' },
      { af: 6, addr: '2001:db8:1::100', prefix: 64, dev: 'd0', scope: 'global' },
    ];
    assert.deepEqual(
      run(vips.map((vip) => ({ link: 'add', vip }))),
      vips.map(() => 'done'),
    );
    for (const v of vips) {
      const twin = {
        ...v,
        dev: 'd1',
        ...(v.label !== undefined ? { label: v.label.replace('d0', 'd1') } : {}),
      };
      ns.ip('h', ...addArgs(twin));
    }
    for (const af of [4, 6] as const) {
      const mine = shown('d0', af);
      assert.equal(mine.length, vips.filter((v) => v.af === af).length);
      assert.deepEqual(mine, shown('d1', af));
    }
    const v6 = shown('d0', 6).find((a) => a.local === '2001:db8::100');
    assert.equal(v6?.nodad, true);
    assert.equal(v6?.deprecated, true);
    assert.equal(v6?.preferred_life_time, 0);
    assert.equal(v6?.valid_life_time, 4294967295);
    const labelled = shown('d0', 4).find((a) => a.local === '192.0.2.100');
    assert.equal(labelled?.label, 'd0:vi1');
    assert.equal(labelled?.scope, 'link');
  });

  it('reports the kernel refusal by errno: EEXIST, EADDRNOTAVAIL, ENODEV; deletes', () => {
    const req = { af: 4, dev: 'd0', addr: '192.0.2.110', prefix: 32 };
    assert.deepEqual(
      run([
        { nl: { op: 'add', ...req } },
        { nl: { op: 'add', ...req } },
        { nl: { op: 'del', ...req } },
        { nl: { op: 'del', ...req } },
        { nl: { op: 'add', ...req, dev: 'nosuch0' } },
      ]),
      [
        { ok: true },
        { ok: false, code: 'EEXIST', errnum: -17 },
        { ok: true },
        { ok: false, code: 'EADDRNOTAVAIL', errnum: -99 },
        { ok: false, code: 'ENODEV', errnum: -19 },
      ],
    );
    assert.equal(
      shown('d0', 4).some((a) => a.local === '192.0.2.110'),
      false,
    );
  });

  it('refuses an unknown scope as ip does, and takes any label as ip does', () => {
    const odd: VrrpVip = { af: 4, addr: '192.0.2.120', prefix: 32, dev: 'd0', label: 'other:x' };
    const galaxy: VrrpVip = { af: 4, addr: '192.0.2.121', prefix: 32, dev: 'd0', scope: 'galaxy' };
    const [label, scope] = run([
      { link: 'add', vip: odd },
      { link: 'add', vip: galaxy },
    ]) as (string | { failed: string })[];
    assert.equal(label, 'done');
    assert.match(typeof scope === 'object' ? scope.failed : '', /unknown scope "galaxy"/);
    assert.notEqual(
      ns.exec('h', ['ip', ...addArgs({ ...galaxy, dev: 'd1' })]).status,
      0,
      'ip refuses it too',
    );
    assert.equal(ns.exec('h', ['ip', ...addArgs({ ...odd, dev: 'd1' })]).status, 0, 'ip takes it too');
    const pick = (dev: string) => shown(dev, 4).find((a) => a.local === '192.0.2.120');
    assert.equal(pick('d0')?.label, 'other:x');
    assert.deepEqual(pick('d0'), pick('d1'));
  });

  it('VrrpAddresses: the address is on when own() returns, one found there stays, ours are removed', () => {
    ns.ip('h', 'addr', 'add', '192.0.2.130/32', 'dev', 'd0');
    const vips: VrrpVip[] = [
      { af: 4, addr: '192.0.2.130', prefix: 32, dev: 'd0' },
      { af: 4, addr: '192.0.2.131', prefix: 32, dev: 'd0', label: 'd0:vi1' },
      { af: 6, addr: '2001:db8::131', prefix: 128, dev: 'd0' },
    ];
    const [up, down] = run([
      { own: { name: 'VI_1', vips, master: true, dev: 'd0' } },
      { own: { name: 'VI_1', vips, master: false, dev: 'd0' } },
    ]) as { locals: string[]; error?: string }[];
    assert.equal(up?.error, undefined);
    for (const a of ['192.0.2.130', '192.0.2.131', '2001:db8::131']) assert.ok(up?.locals.includes(a), a);
    assert.equal(down?.error, undefined);
    assert.ok(down?.locals.includes('192.0.2.130'), 'the address found there stays');
    assert.ok(!down?.locals.includes('192.0.2.131'));
    assert.ok(!down?.locals.includes('2001:db8::131'));
  });
});
