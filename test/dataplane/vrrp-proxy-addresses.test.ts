import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { VrrpVip } from '../../src/control/ports.js';
import {
  type AddressLink,
  type AddressOutcome,
  scopeNumber,
} from '../../src/dataplane/proxy-plane/vrrp-address-link.js';
import { addArgs, VrrpAddressError, VrrpAddresses } from '../../src/dataplane/proxy-plane/vrrp-addresses.js';

const v4 = (addr: string, extra: Partial<VrrpVip> = {}): VrrpVip => ({
  af: 4,
  addr,
  prefix: 32,
  dev: 'eth0',
  ...extra,
});
const v6 = (addr: string): VrrpVip => ({ af: 6, addr, prefix: 128, dev: 'eth0' });

/** A fake `ip`: records every command, fails `addr add` of addresses in `present` with EEXIST. */
function fakeIp(present: string[] = []) {
  const calls: string[] = [];
  const have = new Set(present);
  return {
    calls,
    have,
    run: async (args: readonly string[]) => {
      calls.push(args.join(' '));
      const [, op, cidr] = args;
      if (op === 'add') {
        if (have.has(cidr!)) return { status: 2, stderr: 'RTNETLINK answers: File exists\n' };
        have.add(cidr!);
      } else if (op === 'del') {
        if (!have.delete(cidr!))
          return { status: 2, stderr: 'RTNETLINK answers: Cannot assign requested address\n' };
      }
      return { status: 0, stderr: '' };
    },
  };
}

describe('VRRP addresses of the proxy plane (as keepalived adds them)', () => {
  it('adds with prefix, label and scope; IPv6 nodad and deprecated (preferred_lft 0)', () => {
    assert.deepEqual(addArgs(v4('192.0.2.100', { prefix: 24, label: 'eth0:1', scope: 'global' })), [
      'addr',
      'add',
      '192.0.2.100/24',
      'dev',
      'eth0',
      'label',
      'eth0:1',
      'scope',
      'global',
    ]);
    assert.deepEqual(addArgs(v6('2001:db8::100')), [
      'addr',
      'add',
      '2001:db8::100/128',
      'dev',
      'eth0',
      'nodad',
      'preferred_lft',
      '0',
    ]);
  });

  it('MASTER adds every VIP, leaving MASTER removes them again', async () => {
    const ip = fakeIp();
    const a = new VrrpAddresses(ip.run);
    await a.own('VI_1', [v4('192.0.2.100'), v6('2001:db8::100')], true);
    assert.deepEqual([...ip.have].sort(), ['192.0.2.100/32', '2001:db8::100/128']);
    await a.own('VI_1', [v4('192.0.2.100'), v6('2001:db8::100')], false);
    assert.deepEqual([...ip.have], []);
    assert.deepEqual(a.addedVips(), []);
  });

  it('never removes an address it did not add (already present: EEXIST)', async () => {
    const ip = fakeIp(['192.0.2.100/32']);
    const a = new VrrpAddresses(ip.run);
    await a.own('VI_1', [v4('192.0.2.100'), v4('192.0.2.101')], true);
    await a.own('VI_1', [v4('192.0.2.100'), v4('192.0.2.101')], false);
    assert.deepEqual([...ip.have], ['192.0.2.100/32'], 'the pre-existing address stays');
    assert.equal(ip.calls.filter((c) => c.startsWith('addr del')).length, 1);
  });

  it('a MASTER whose address list changed drops the addresses no longer listed', async () => {
    const ip = fakeIp();
    const a = new VrrpAddresses(ip.run);
    await a.own('VI_1', [v4('192.0.2.100'), v4('192.0.2.101')], true);
    await a.own('VI_1', [v4('192.0.2.101'), v4('192.0.2.102')], true);
    assert.deepEqual([...ip.have].sort(), ['192.0.2.101/32', '192.0.2.102/32']);
  });

  it('an address two MASTER instances list stays until both have left MASTER', async () => {
    const ip = fakeIp();
    const a = new VrrpAddresses(ip.run);
    await a.own('VI_1', [v4('192.0.2.100')], true);
    await a.own('VI_2', [v4('192.0.2.100')], true);
    await a.own('VI_1', [v4('192.0.2.100')], false);
    assert.deepEqual([...ip.have], ['192.0.2.100/32']);
    await a.own('VI_2', [v4('192.0.2.100')], false);
    assert.deepEqual([...ip.have], []);
  });

  it('releaseAll removes everything it added (shutdown)', async () => {
    const ip = fakeIp(['192.0.2.1/24']);
    const a = new VrrpAddresses(ip.run);
    await a.own('VI_1', [v4('192.0.2.100')], true);
    await a.own('VI_2', [v4('192.0.2.1', { prefix: 24 })], true);
    await a.releaseAll();
    assert.deepEqual([...ip.have], ['192.0.2.1/24']);
  });

  it('rejects with ERR_VRRP_ADDRESS naming the failed command, after trying every address', async () => {
    const calls: string[] = [];
    const a = new VrrpAddresses(async (args) => {
      calls.push(args.join(' '));
      return args[2] === '192.0.2.100/32'
        ? { status: 1, stderr: 'Cannot find device "eth9"' }
        : { status: 0, stderr: '' };
    });
    await assert.rejects(a.own('VI_1', [v4('192.0.2.100'), v4('192.0.2.101')], true), (e: unknown) => {
      assert.ok(e instanceof VrrpAddressError);
      assert.equal(e.code, 'ERR_VRRP_ADDRESS');
      assert.match(e.failures[0] ?? '', /192\.0\.2\.100\/32.*eth9/);
      return true;
    });
    assert.equal(calls.length, 2);
  });

  it('with a synchronous link (rtnetlink) the addresses are on when own() returns, before any await', () => {
    const have = new Set<string>();
    const link: AddressLink = {
      add: (v) => {
        if (have.has(v.addr)) return 'exists';
        have.add(v.addr);
        return 'done';
      },
      del: (v) => (have.delete(v.addr) ? 'done' : 'gone'),
    };
    const a = new VrrpAddresses(link);
    void a.own('VI_1', [v4('192.0.2.100'), v6('2001:db8::100')], true);
    assert.deepEqual([...have].sort(), ['192.0.2.100', '2001:db8::100']);
    assert.equal(a.settled(), undefined, 'nothing left under way');
    void a.own('VI_1', [v4('192.0.2.100'), v6('2001:db8::100')], false);
    assert.deepEqual([...have], []);
  });

  it('a synchronous link failure still rejects with every failure, after trying every address', async () => {
    const link: AddressLink = {
      add: (v): AddressOutcome =>
        v.addr === '192.0.2.100' ? { failed: `netlink add ${v.addr}: ENODEV` } : 'done',
      del: () => 'done',
    };
    const a = new VrrpAddresses(link);
    await assert.rejects(a.own('VI_1', [v4('192.0.2.100'), v4('192.0.2.101')], true), (e: unknown) => {
      assert.ok(e instanceof VrrpAddressError);
      assert.deepEqual(e.failures, ['netlink add 192.0.2.100: ENODEV']);
      return true;
    });
    assert.deepEqual(
      a.addedVips().map((v) => v.addr),
      ['192.0.2.101'],
    );
  });

  it('with `ip` (later answers) a change waits for the one under way, and settled() says when all are done', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const a = new VrrpAddresses(async (args) => {
      order.push(`${args[1]} ${args[2]}`);
      if (args[1] === 'add') await gate;
      return { status: 0, stderr: '' };
    });
    const up = a.own('VI_1', [v4('192.0.2.100')], true);
    const down = a.own('VI_1', [v4('192.0.2.100')], false);
    const settled = a.settled();
    assert.ok(settled, 'work under way');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['add 192.0.2.100/32'], 'the remove waits for the add');
    release();
    await Promise.all([up, down, settled]);
    assert.deepEqual(order, ['add 192.0.2.100/32', 'del 192.0.2.100/32']);
    await new Promise((r) => setImmediate(r));
    assert.equal(a.settled(), undefined);
  });

  it('scope names as iproute2 ships them, numbers 0-255 as they are, anything else unknown', () => {
    assert.equal(scopeNumber('global'), 0);
    assert.equal(scopeNumber('site'), 200);
    assert.equal(scopeNumber('link'), 253);
    assert.equal(scopeNumber('host'), 254);
    assert.equal(scopeNumber('nowhere'), 255);
    assert.equal(scopeNumber('0x10'), 16);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => {
        assert.equal(scopeNumber(String(n)), n <= 255 ? n : undefined);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('valueOf', 'constructor', '__proto__')), (s) => {
        const r = scopeNumber(s);
        assert.ok(r === undefined || (Number.isInteger(r) && r >= 0 && r <= 255));
      }),
    );
  });
});
