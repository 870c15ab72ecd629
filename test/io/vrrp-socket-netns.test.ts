/**
 * The real VRRP sockets between two namespaces on a veth (root only): multicast and unicast
 * adverts, IPv4 (v2 and v3) and IPv6 (v3), arrive with TTL / hop limit 255, the right
 * destination and ifindex, pass the receive checks of src/vrrp (so the IPv6 checksum the kernel
 * filled in is right), never come back to their sender (multicast loop off), and stay on the
 * socket they were meant for (group-bound vs. source-bound). tshark, capturing on the wire,
 * dissects each as VRRP with a good checksum.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { hasTshark } from '../helpers/tshark.js';
import { check, rxConfig, waitDad } from './vrrp-checks.js';
import type { ChildConfig, ChildDatagram, ChildSend } from './vrrp-child.js';
import { type ChildResult, startVrrpChild } from './vrrp-run-child.js';

function addonReason(): string | undefined {
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = netnsSkipReason() ?? addonReason();
if (skip) console.log(`# skipping VRRP socket netns tests: ${skip}`);

const A4 = '198.51.100.1';
const B4 = '198.51.100.2';
const A6 = '2001:db8:1::1';
const B6 = '2001:db8:1::2';

const vridOf = (d: ChildDatagram): number => Buffer.from(d.hex, 'hex')[d.ipHeaderLen + 1]!;

const v2: ChildSend = {
  dst: '224.0.0.18',
  version: 2,
  vrid: 10,
  priority: 100,
  interval: 1,
  addrs: ['192.0.2.10'],
  pass: 'secret',
};
const v3: ChildSend = {
  dst: '224.0.0.18',
  version: 3,
  vrid: 11,
  priority: 100,
  interval: 100,
  addrs: ['192.0.2.11', '192.0.2.12'],
};
const v6: ChildSend = {
  dst: 'ff02::12',
  version: 3,
  vrid: 12,
  priority: 100,
  interval: 100,
  addrs: ['2001:db8:5::1'],
};
const v6zero: ChildSend = { ...v6, vrid: 15, zeroChecksum: true };
const u4: ChildSend = { dst: B4, version: 3, vrid: 13, priority: 100, interval: 100, addrs: ['192.0.2.13'] };
const u6: ChildSend = {
  dst: B6,
  version: 3,
  vrid: 14,
  priority: 100,
  interval: 100,
  addrs: ['2001:db8:5::2'],
};

describe('VRRP sockets between namespaces', { skip }, () => {
  let ns: Netns;
  let dir: string;
  let a: ChildResult;
  let b: ChildResult;
  let aSources: (string | undefined)[];
  let bIfindex: number;
  let pcap: string;

  before(async () => {
    ns = createNetns({
      namespaces: ['a', 'b'],
      links: [
        {
          a: 'a',
          b: 'b',
          aIf: 'eth0',
          bIf: 'eth0',
          aAddrs: [`${A4}/24`, `${A6}/64`],
          bAddrs: [`${B4}/24`, `${B6}/64`],
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-'));
    pcap = join(dir, 'vrrp.pcapng');
    await waitDad(ns, 'a', 'eth0');
    await waitDad(ns, 'b', 'eth0');
    // b listens on the group and on its own addresses; a sends one advert of each kind.
    const bCfg: ChildConfig = {
      channels: [
        { ep: { af: 4, ifname: 'eth0', unicastPeers: [] } },
        { ep: { af: 6, ifname: 'eth0', unicastPeers: [] } },
        { ep: { af: 4, ifname: 'eth0', unicastPeers: [A4], srcAddr: B4 } },
        { ep: { af: 6, ifname: 'eth0', unicastPeers: [A6], srcAddr: B6 } },
      ],
      lingerMs: 2500,
    };
    const aCfg: ChildConfig = {
      channels: [
        { ep: { af: 4, ifname: 'eth0', unicastPeers: [] }, sends: [v2, v3] },
        { ep: { af: 6, ifname: 'eth0', unicastPeers: [] }, sends: [v6, v6zero] },
        { ep: { af: 4, ifname: 'eth0', unicastPeers: [B4], srcAddr: A4 }, sends: [u4] },
        { ep: { af: 6, ifname: 'eth0', unicastPeers: [B6], srcAddr: A6 }, sends: [u6] },
      ],
      lingerMs: 500,
    };
    let dumpcap: ChildProcess | undefined;
    if (hasTshark) {
      dumpcap = ns.spawn('b', [
        'dumpcap',
        '-q',
        '-i',
        'eth0',
        '-f',
        'ip proto 112 or ip6 proto 112',
        '-w',
        pcap,
      ]);
      let err = '';
      await new Promise<void>((resolve, reject) => {
        dumpcap!.stderr!.on('data', (d) => {
          err += d;
          if (err.includes('Capturing on')) resolve();
        });
        dumpcap!.on('exit', (code) => reject(new Error(`dumpcap exited ${code}: ${err}`)));
      });
    }
    const bc = startVrrpChild(ns, 'b', bCfg);
    bIfindex = (await bc.ready).ifindex[0]!;
    const ac = startVrrpChild(ns, 'a', aCfg);
    aSources = (await ac.ready).sources;
    [a, b] = await Promise.all([ac.done, bc.done]);
    if (dumpcap) {
      const exited = new Promise((r) => dumpcap!.once('exit', r));
      dumpcap.kill('SIGINT');
      await exited;
    }
  });

  after(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends without errors and answers sourceFor with the interface address (link-local for IPv6)', () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.equal(aSources[0], A4);
    assert.match(aSources[1] ?? '', /^fe80::/);
    assert.deepEqual(aSources.slice(2), [A4, A6]);
  });

  it('delivers IPv4 multicast v2 and v3 adverts with TTL 255, the group, the ifindex and the IP header', () => {
    const got = b.received.filter((d) => d.ch === 0);
    assert.deepEqual(got.map(vridOf).sort(), [10, 11]);
    for (const d of got) {
      assert.deepEqual(
        [d.src, d.dst, d.ttl, d.ifindex, d.ipHeaderLen],
        [A4, '224.0.0.18', 255, bIfindex, 20],
      );
      const r = check(d, rxConfig(vridOf(d) === 10 ? v2 : v3, 4));
      assert.equal(r.ok, true, JSON.stringify(r));
    }
  });

  it('delivers the IPv6 multicast advert from the link-local source with hop limit 255 and a kernel checksum that verifies', () => {
    const got = b.received.filter((d) => d.ch === 1);
    assert.deepEqual(got.map(vridOf), [12, 15]);
    const d = got[0]!;
    assert.deepEqual(
      [d.src, d.dst, d.ttl, d.ifindex, d.ipHeaderLen],
      [aSources[1], 'ff02::12', 255, bIfindex, 0],
    );
    const r = check(d, rxConfig(v6, 6));
    assert.equal(r.ok, true, JSON.stringify(r));
    // Sent with a zero checksum field: IPV6_CHECKSUM made the kernel compute it.
    const z = check(got[1]!, rxConfig({ ...v6, vrid: 15 }, 6));
    assert.equal(z.ok, true, JSON.stringify(z));
  });

  it('delivers unicast adverts only to the socket bound to the destination, from the bound source', () => {
    const u4got = b.received.filter((d) => d.ch === 2);
    const u6got = b.received.filter((d) => d.ch === 3);
    assert.deepEqual(u4got.map(vridOf), [13]);
    assert.deepEqual(u6got.map(vridOf), [14]);
    assert.deepEqual([u4got[0]!.src, u4got[0]!.dst, u4got[0]!.ttl], [A4, B4, 255]);
    assert.deepEqual([u6got[0]!.src, u6got[0]!.dst, u6got[0]!.ttl], [A6, B6, 255]);
    assert.equal(check(u4got[0]!, rxConfig(u4, 4, [A4])).ok, true);
    assert.equal(check(u6got[0]!, rxConfig(u6, 6, [A6])).ok, true);
    // The group-bound sockets saw none of the unicast adverts.
    assert.ok(b.received.filter((d) => d.ch < 2).every((d) => ![13, 14].includes(vridOf(d))));
  });

  it('never delivers a sender its own adverts (multicast loop off)', () => {
    assert.deepEqual(a.received, []);
  });

  it('tshark dissects every captured advert as VRRP with a good checksum and TTL 255', {
    skip: !hasTshark && 'tshark is not installed',
  }, () => {
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        pcap,
        '-T',
        'fields',
        '-E',
        'separator=,',
        '-e',
        'vrrp.virt_rtr_id',
        '-e',
        'vrrp.version',
        '-e',
        'vrrp.checksum.status',
        '-e',
        'ip.ttl',
        '-e',
        'ipv6.hlim',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').sort();
    // checksum.status 1 = PROTO_CHECKSUM_E_GOOD (epan/proto.h).
    assert.deepEqual(rows, [
      '10,2,1,255,',
      '11,3,1,255,',
      '12,3,1,,255',
      '13,3,1,255,',
      '14,3,1,,255',
      '15,3,1,,255',
    ]);
  });
});
