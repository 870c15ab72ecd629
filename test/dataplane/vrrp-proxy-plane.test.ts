/**
 * The proxy plane as a VRRP MASTER and BACKUP, for real, in two throw-away namespaces (root
 * only): the director (the proxy plane in vrrp-proxy-child.ts) and a peer on the same link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VrrpVip } from '../../src/control/ports.js';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { hasTshark } from '../helpers/tshark.js';
import { JsonChild } from './json-child.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping VRRP proxy-plane netns tests: ${skip}`);

const VIP = '192.0.2.100';
const VIP6 = '2001:db8:1::100';
// An address the director already had: listed in the instance, but never ours to remove.
const PRESENT = '192.0.2.60';
const VIPS: VrrpVip[] = [
  { af: 4, addr: VIP, prefix: 32, dev: 'v0a', label: 'v0a:vi1' },
  { af: 4, addr: PRESENT, prefix: 32, dev: 'v0a' },
];
const VIPS6: VrrpVip[] = [{ af: 6, addr: VIP6, prefix: 128, dev: 'v0a' }];
const STALE_MAC = '02:00:00:00:00:99';

/** One address of `ip -j addr`. */
interface AddrInfo {
  local: string;
  prefixlen: number;
  label?: string;
  deprecated?: boolean;
  nodad?: boolean;
}

/** The director's addresses on v0a (IPv4, or IPv6 with `six`), as `ip -j addr` lists them. */
function addrs(ns: Netns, six = false): AddrInfo[] {
  const j = JSON.parse(ns.ip('dir', '-j', six ? '-6' : '-4', 'addr', 'show', 'dev', 'v0a')) as {
    addr_info: AddrInfo[];
  }[];
  return j[0]?.addr_info ?? [];
}

/** Connects from the peer over `proto` to VIP:80; resolves with what came back ('' on failure). */
function hello(ns: Netns, proto: 'tcp' | 'udp' | 'tcp6'): string {
  const script =
    proto !== 'udp'
      ? `const s=require('net').connect(80,'${proto === 'tcp' ? VIP : VIP6}');s.setTimeout(2000,()=>process.exit(1));s.on('data',d=>{process.stdout.write(d);process.exit(0)});s.on('error',()=>process.exit(1))`
      : `const s=require('dgram').createSocket('udp4');s.on('message',d=>{process.stdout.write(d);process.exit(0)});s.send('hi',80,'${VIP}');setTimeout(()=>process.exit(1),2000)`;
  return ns.exec('peer', [process.execPath, '-e', script], 10_000).stdout;
}

describe('the proxy plane as a VRRP router', { skip }, () => {
  let ns: Netns;
  let child: JsonChild;

  before(async () => {
    ns = createNetns({
      namespaces: ['dir', 'peer'],
      links: [
        {
          a: 'dir',
          b: 'peer',
          aIf: 'v0a',
          bIf: 'v0b',
          aAddrs: ['192.0.2.1/24', '2001:db8:1::1/64'],
          bAddrs: ['192.0.2.2/24', '2001:db8:1::2/64'],
        },
      ],
    });
    ns.ip('dir', 'addr', 'add', `${PRESENT}/32`, 'dev', 'v0a');
    const c = ns.spawn('dir', [
      process.execPath,
      '--import',
      'tsx',
      'test/dataplane/vrrp-proxy-child.ts',
      JSON.stringify({ vip: VIP, vip6: VIP6 }),
    ]);
    child = new JsonChild(c);
    assert.equal((await child.next()).ready, true);
  });

  after(() => ns?.destroy());

  it('while BACKUP, --status says the VIPs are not served here (their VRRP instance is not MASTER)', async () => {
    await child.send({ op: 'own', instance: 'VI_1', vips: VIPS, master: false });
    await child.send({ op: 'own', instance: 'VI_6', vips: VIPS6, master: false });
    const { status } = (await child.send({ op: 'status' })) as {
      status: { service: string; serving: boolean; reason?: string }[];
    };
    const held = (i: string) =>
      `VRRP instance ${i} is not MASTER here (BACKUP or FAULT): the address is its peer's`;
    assert.deepEqual(
      status.map((s) => [s.service, s.serving, s.reason]),
      [
        [`TCP ${VIP}:80`, false, held('VI_1')],
        [`UDP ${VIP}:80`, false, held('VI_1')],
        [`TCP [${VIP6}]:80`, false, held('VI_6')],
      ],
    );
    assert.equal(
      addrs(ns).some((a) => a.local === VIP),
      false,
      'a BACKUP does not hold the VIP',
    );
  });

  it('MASTER adds the VIP with its prefix and label, and the waiting listeners accept at once', async () => {
    await child.send({ op: 'own', instance: 'VI_1', vips: VIPS, master: true });
    const vip = addrs(ns).find((a) => a.local === VIP);
    assert.deepEqual({ prefixlen: vip?.prefixlen, label: vip?.label }, { prefixlen: 32, label: 'v0a:vi1' });
    assert.equal(hello(ns, 'tcp'), 'hello\n');
    assert.equal(hello(ns, 'udp'), 'hello\n');
    // The listeners opened while BACKUP (IP_FREEBIND) serve now, and --status says so.
    const { status } = (await child.send({ op: 'status' })) as {
      status: { service: string; serving: boolean }[];
    };
    assert.deepEqual(
      status.filter((s) => s.service.includes(VIP)).map((s) => [s.service, s.serving]),
      [
        [`TCP ${VIP}:80`, true],
        [`UDP ${VIP}:80`, true],
      ],
    );
  });

  it('MASTER adds an IPv6 VIP as keepalived does: /128, nodad, deprecated (preferred_lft 0)', async () => {
    await child.send({ op: 'own', instance: 'VI_6', vips: VIPS6, master: true });
    const vip = addrs(ns, true).find((a) => a.local === VIP6);
    assert.deepEqual(
      { prefixlen: vip?.prefixlen, nodad: vip?.nodad, deprecated: vip?.deprecated },
      { prefixlen: 128, nodad: true, deprecated: true },
    );
    assert.equal(hello(ns, 'tcp6'), 'hello\n');
  });

  it("announces the VIPs (GARP, unsolicited NA): the peer's stale neighbour entries move to the director's MAC", async (t) => {
    const dirMac = ns
      .mac('dir', 'v0a')
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1:');
    // A gratuitous ARP updates an existing entry (arp_process overrides for a GARP); arp_accept
    // also lets it create one, so the test does not depend on the stale entry surviving.
    ns.exec('peer', ['sysctl', '-qw', 'net.ipv4.conf.all.arp_accept=1', 'net.ipv4.conf.v0b.arp_accept=1']);
    ns.ip('peer', 'neigh', 'replace', VIP, 'lladdr', STALE_MAC, 'dev', 'v0b', 'nud', 'stale');
    let shark: Promise<string> | undefined;
    if (hasTshark) {
      const c = ns.spawn('peer', [
        'tshark',
        '-i',
        'v0b',
        '-l',
        '-f',
        'arp',
        '-c',
        '1',
        '-a',
        'duration:10',
        '-T',
        'fields',
        '-e',
        'arp.src.hw_mac',
        '-e',
        'arp.src.proto_ipv4',
        '-e',
        'arp.isgratuitous',
      ]);
      let out = '';
      let err = '';
      c.stdout!.on('data', (d) => (out += d));
      await new Promise<void>((resolve) => {
        c.stderr!.on('data', (d) => {
          err += d;
          if (err.includes('Capture started')) resolve();
        });
        setTimeout(resolve, 5000);
      });
      shark = new Promise((resolve) => c.on('exit', () => resolve(out)));
    } else {
      t.diagnostic('tshark missing: the GARP is checked through the neighbour table only');
    }
    await child.send({ op: 'announce', vips: VIPS.slice(0, 1) });
    if (shark) {
      const fields = (await shark).trim().split('\t');
      assert.deepEqual(fields, [dirMac, VIP, '1'], 'tshark sees a gratuitous ARP for the VIP from our MAC');
    }
    const neigh = JSON.parse(ns.ip('peer', '-j', 'neigh', 'show', VIP, 'dev', 'v0b')) as {
      lladdr?: string;
    }[];
    assert.equal(neigh[0]?.lladdr, dirMac);
    // IPv6: an unsolicited advert with the override flag updates an existing entry (RFC 4861 §7.2.5).
    ns.ip('peer', 'neigh', 'replace', VIP6, 'lladdr', STALE_MAC, 'dev', 'v0b', 'nud', 'stale');
    await child.send({ op: 'announce', vips: VIPS6 });
    const neigh6 = JSON.parse(ns.ip('peer', '-j', 'neigh', 'show', VIP6, 'dev', 'v0b')) as {
      lladdr?: string;
    }[];
    assert.equal(neigh6[0]?.lladdr, dirMac);
  });

  it('leaving MASTER removes the VIP and leaves the address it found there alone', async () => {
    await child.send({ op: 'own', instance: 'VI_1', vips: VIPS, master: false });
    const now = addrs(ns).map((a) => a.local);
    assert.equal(now.includes(VIP), false);
    assert.equal(now.includes(PRESENT), true);
    await child.send({ op: 'own', instance: 'VI_1', vips: VIPS, master: true });
    assert.equal(hello(ns, 'tcp'), 'hello\n', 'serving again after a second takeover');
  });

  it('closing the plane removes the addresses it added', async () => {
    await child.send({ op: 'close' });
    const now = addrs(ns).map((a) => a.local);
    assert.equal(now.includes(VIP), false);
    assert.equal(now.includes(PRESENT), true);
    assert.equal(
      addrs(ns, true).some((a) => a.local === VIP6),
      false,
    );
  });
});
