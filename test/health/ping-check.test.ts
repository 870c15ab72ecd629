/**
 * PING_CHECK without a process per check: with the addon the probe is a sendto on a shared ICMP
 * socket (child_process.spawn is spied on and must stay uncalled), and it spawns `ping` only
 * when no in-process socket exists: the addon is unavailable (LVS_PACKET_ADDON pointing at a
 * missing file), the host is a name, or neither a ping socket nor a raw socket may be opened
 * (a namespace whose ping_group_range excludes gid 0, in a child without CAP_NET_RAW).
 */
import assert from 'node:assert/strict';
import cp from 'node:child_process';
import { existsSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, describe, it, mock } from 'node:test';
import { createChecker } from '../../src/health/probes/index.js';
import { addonIcmpEcho, PingChecker } from '../../src/health/probes/ping.js';
import { loadIcmpBinding } from '../../src/io/icmp/icmp-binding.js';
import { IcmpPinger } from '../../src/io/icmp/icmp-pinger.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { peerSkipReason } from '../helpers/peers.js';
import { hostEchoSkipReason } from '../helpers/ping-sockets.js';
import { runIcmpChild } from '../io/icmp-run-child.js';
import { real, service, tcpCheck } from './model-builder.js';

const ctx = { timeoutMs: 2000, part: 0 };

let addonSkip: string | undefined;
try {
  loadIcmpBinding();
} catch (e) {
  addonSkip = (e as Error).message;
}
if (addonSkip) console.log(`# skipping in-process PING_CHECK tests: ${addonSkip}`);

/** Counts child_process.spawn calls made through ESM named imports (ping.ts's `spawn`). */
function spySpawn() {
  const spy = mock.method(cp, 'spawn');
  syncBuiltinESMExports();
  return {
    calls: () => spy.mock.callCount(),
    restore: () => {
      spy.mock.restore();
      syncBuiltinESMExports();
    },
  };
}

describe('PING_CHECK with the addon', { skip: addonSkip }, () => {
  const hostSkip = hostEchoSkipReason();
  it('runs 40 checks of 127.0.0.1 and ::1 from the config model without spawning a process', {
    skip: hostSkip,
  }, async () => {
    const spy = spySpawn();
    try {
      // A ping binary that cannot exist: a spawned check could only fail.
      const opts = { pingPath: '/nonexistent/ping' };
      const checkers = ['127.0.0.1', '::1'].map((h) =>
        createChecker(tcpCheck(h, 0, { type: 'ping' }), service([real(h)]), opts),
      );
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => checkers[i % 2]!.check(ctx)));
      assert.deepEqual(
        rs.filter((r) => !r.ok),
        [],
      );
      assert.match(rs[0]!.message, /^echo reply in \d+\.\d{3} ms$/);
      assert.equal(spy.calls(), 0);
      assert.deepEqual((checkers[0] as PingChecker).lastMethod, { via: 'socket' });
      // The control: the spy does see the spawn of a check forced onto the ping binary.
      await new PingChecker('127.0.0.1', null, '/nonexistent/ping').check(ctx);
      assert.equal(spy.calls(), 1);
    } finally {
      spy.restore();
    }
  });

  it('spawns ping for a host name, which only the ping binary resolves', async () => {
    const spy = spySpawn();
    try {
      const c = new PingChecker('localhost', undefined, '/bin/true');
      const r = await c.check(ctx);
      assert.equal(r.ok, true);
      assert.equal(c.lastMethod?.via, 'spawn');
      assert.equal(spy.calls(), 1);
    } finally {
      spy.restore();
    }
  });
});

describe('PING_CHECK fallback to the ping binary', () => {
  const pingSkip = peerSkipReason(
    'ping (iputils-ping)',
    existsSync('/usr/bin/ping') || existsSync('/bin/ping'),
  );

  it('spawns ping, and still finds 127.0.0.1 up, when LVS_PACKET_ADDON points at a missing file', {
    skip: pingSkip,
  }, async () => {
    const saved = process.env.LVS_PACKET_ADDON;
    process.env.LVS_PACKET_ADDON = '/nonexistent/lvs_packet.node';
    const spy = spySpawn();
    try {
      const pinger = new IcmpPinger();
      assert.match(pinger.unavailableReason(4) ?? '', /nonexistent\/lvs_packet\.node is missing/);
      const c = new PingChecker('127.0.0.1', addonIcmpEcho(pinger));
      const r = await c.check(ctx);
      assert.equal(r.ok, true, r.message);
      assert.equal(c.lastMethod?.via, 'spawn');
      assert.equal(spy.calls(), 1);
    } finally {
      spy.restore();
      if (saved === undefined) delete process.env.LVS_PACKET_ADDON;
      else process.env.LVS_PACKET_ADDON = saved;
    }
  });
});

const nsSkip = netnsSkipReason() ?? addonSkip;
if (nsSkip) console.log(`# skipping PING_CHECK namespace fallback tests: ${nsSkip}`);

describe('PING_CHECK where no ICMP socket may be opened', { skip: nsSkip }, () => {
  let ns: Netns;
  before(() => {
    ns = createNetns({ namespaces: ['d'] });
    const pg = ns.exec('d', ['sysctl', '-qw', 'net.ipv4.ping_group_range=1 0']);
    assert.equal(pg.status, 0, pg.stderr);
  });
  after(() => ns?.destroy());

  it('uses a raw socket with CAP_NET_RAW, and spawns ping only once that capability is gone too', async () => {
    const cfg = { mode: 'check', host: '127.0.0.1', pingPath: '/bin/true' };
    const raw = await runIcmpChild(ns, 'd', cfg);
    assert.deepEqual([raw.ok, raw.method], [true, { via: 'socket' }]);
    const noCap = ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', '--'];
    const spawned = await runIcmpChild(ns, 'd', cfg, noCap);
    const m = spawned.method as { via: string; why: string };
    assert.equal(m.via, 'spawn');
    assert.match(m.why, /ping socket EACCES .* raw socket EPERM/);
    assert.equal(spawned.ok, true); // /bin/true stands in for ping, proving it ran
  });
});
