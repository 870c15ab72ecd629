/**
 * Real keepalived (Debian's 2.2.7) as the peer of our VRRP sockets (root only): keepalived is
 * MASTER of a v2 PASS instance, a v3 IPv4 and a v3 IPv6 instance in one namespace; our socket in
 * the other receives its adverts and the receive checks of src/vrrp accept them; then we send our
 * own adverts with a higher priority and keepalived logs them as such and goes BACKUP
 * (keepalived/vrrp/vrrp.c vrrp_state_master_rx(): "Master received advert from %s with higher
 * priority %d, ours %d").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { spawnKeepalived } from '../helpers/keepalived.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { check, rxConfig, waitDad } from './vrrp-checks.js';
import type { ChildSend } from './vrrp-child.js';
import { type ChildResult, startVrrpChild } from './vrrp-run-child.js';

function reason(): string | undefined {
  const n = netnsSkipReason();
  if (n) return n;
  if (spawnSync('keepalived', ['--version'], { stdio: 'ignore' }).status !== 0)
    return 'keepalived is not installed';
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = reason();
if (skip) console.log(`# skipping keepalived interop tests: ${skip}`);

const OURS = '198.51.100.1';
const PEER = '198.51.100.2';

// What keepalived sends (priority 150) and what we answer with (priority 200), per instance.
const theirs: Record<string, ChildSend> = {
  V2: {
    dst: '224.0.0.18',
    version: 2,
    vrid: 51,
    priority: 150,
    interval: 1,
    addrs: ['192.0.2.100'],
    pass: 'secret1',
  },
  V3: { dst: '224.0.0.18', version: 3, vrid: 52, priority: 150, interval: 100, addrs: ['192.0.2.101'] },
  V6: { dst: 'ff02::12', version: 3, vrid: 53, priority: 150, interval: 100, addrs: ['2001:db8:1::100'] },
};
const ours = (name: string): ChildSend => ({ ...theirs[name]!, priority: 200 });

const CONF = `
global_defs {
  router_id lvsts-peer
}
vrrp_instance V2 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret1
  }
  virtual_ipaddress {
    192.0.2.100/32
  }
}
vrrp_instance V3 {
  state MASTER
  interface eth0
  version 3
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.101/32
  }
}
vrrp_instance V6 {
  state MASTER
  interface eth0
  version 3
  virtual_router_id 53
  priority 150
  advert_int 1
  virtual_ipaddress {
    2001:db8:1::100/64
  }
}
`;

describe('keepalived 2.2.7 as the VRRP peer', { skip }, () => {
  let ns: Netns;
  let dir: string;
  let log = '';
  let res: ChildResult;
  let ourLinkLocal: string | undefined;

  before(async () => {
    ns = createNetns({
      namespaces: ['ours', 'peer'],
      links: [
        {
          a: 'ours',
          b: 'peer',
          aIf: 'eth0',
          bIf: 'eth0',
          aAddrs: [`${OURS}/24`, '2001:db8:1::1/64'],
          bAddrs: [`${PEER}/24`, '2001:db8:1::2/64'],
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'lvs-keepalived-'));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, CONF);
    await waitDad(ns, 'ours', 'eth0');
    await waitDad(ns, 'peer', 'eth0');
    const k = spawnKeepalived(ns, 'peer', conf, join(dir, ''));
    try {
      const child = startVrrpChild(ns, 'ours', {
        channels: [
          { ep: { af: 4, ifname: 'eth0', unicastPeers: [] }, sends: [ours('V2'), ours('V3')] },
          { ep: { af: 6, ifname: 'eth0', unicastPeers: [] }, sends: [ours('V6')] },
        ],
        waitVrids: [51, 52, 53],
        timeoutMs: 15_000,
        repeat: 3,
        repeatMs: 300,
        lingerMs: 1000,
      });
      ourLinkLocal = (await child.ready).sources[1];
      res = await child.done;
    } finally {
      await k.stop();
      log = k.log();
    }
  });

  after(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("receives keepalived's v2 PASS, v3 IPv4 and v3 IPv6 adverts and the receive checks accept them", () => {
    assert.equal(res.heardAll, true, `not every VRID heard; keepalived said:\n${log}`);
    assert.deepEqual(res.errors, []);
    for (const [name, want] of Object.entries(theirs)) {
      const got = res.received.filter((d) => Buffer.from(d.hex, 'hex')[d.ipHeaderLen + 1] === want.vrid);
      assert.ok(got.length > 0, name);
      const d = got[0]!;
      assert.equal(d.ttl, 255, name);
      assert.equal(d.dst, want.dst, name);
      if (want.dst === '224.0.0.18') assert.equal(d.src, PEER, name);
      else assert.match(d.src, /^fe80::/, name);
      const r = check(d, rxConfig(want, want.dst === '224.0.0.18' ? 4 : 6));
      assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
      if (r.ok) assert.equal(r.advert.priority, 150, name);
    }
  });

  it('keepalived takes our higher-priority adverts and goes BACKUP on every instance', () => {
    for (const [name, src] of [
      ['V2', OURS],
      ['V3', OURS],
      ['V6', ourLinkLocal],
    ] as const) {
      const rx = log.indexOf(
        `(${name}) Master received advert from ${src} with higher priority 200, ours 150`,
      );
      assert.ok(rx >= 0, `${name}: no higher-priority line in keepalived's log:\n${log}`);
      // It may have passed through BACKUP on start-up too: this one must come after our advert.
      assert.ok(
        log.lastIndexOf(`(${name}) Entering BACKUP STATE`) > rx,
        `${name}: not BACKUP after it:\n${log}`,
      );
    }
  });
});
