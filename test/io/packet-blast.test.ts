/**
 * The benchmark generator's blast() (native/packet_blast.c) on a veth pair between two
 * throw-away namespaces: it sends exactly the frames it reports, round-robin over the prebuilt
 * set, and refuses bad arguments with -errno. Root only; blast runs in `ip netns exec` children.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping blast tests: ${skip}`);

/** Child script: builds `flows` UDP frames and blasts `max` of them; prints the return value. */
const CHILD = `
import { loadPacketAddon } from './src/io/packet-socket/addon.ts';
import { buildUdpFlows } from './bench/lib/packet-frames.ts';
const [ifname, flows, max, srcMac, dstMac, bad] = process.argv.slice(1);
const b = loadPacketAddon();
const block = buildUdpFlows({ srcMac, dstMac, srcIp: '192.0.2.1', dstIp: '192.0.2.2', dstPort: 9,
  firstSrcPort: 10000, flows: Number(flows) });
const pairs = bad === 'pairs' ? new Uint32Array([0, 1 << 20]) : block.pairs;
console.log(b.blast(ifname, block.buffer, pairs, bad === 'pairs' ? 1 : block.count, 5, Number(max)));
`;

describe('blast() load generator on a veth pair', { skip }, () => {
  let ns: Netns;
  let srcMac: string;
  let dstMac: string;
  const fmt = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const blast = (ifname: string, flows: number, max: number, bad = ''): number => {
    const r = ns.exec('a', [
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      CHILD,
      ifname,
      String(flows),
      String(max),
      srcMac,
      dstMac,
      bad,
    ]);
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout.trim());
  };
  /** Frames the receiving end counted, from its interface statistics. */
  const rxPackets = (): number =>
    Number(/RX:.*\n\s*\d+\s+(\d+)/.exec(ns.ip('b', '-s', 'link', 'show', 'eth0'))?.[1] ?? -1);

  before(() => {
    ns = createNetns({
      namespaces: ['a', 'b'],
      links: [
        { a: 'a', b: 'b', aIf: 'eth0', bIf: 'eth0', aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] },
      ],
    });
    srcMac = fmt(ns.mac('a', 'eth0'));
    dstMac = fmt(ns.mac('b', 'eth0'));
  });
  after(() => ns?.destroy());

  it('sends exactly maxFrames frames, cycling over the prebuilt set', () => {
    const before = rxPackets();
    // 5,000 frames over 64 flows: the ring holds many laps of the set.
    assert.equal(blast('eth0', 64, 5000), 5000);
    // The peer counts what arrived; stray kernel traffic (IPv6 DAD, ...) can only add.
    const got = rxPackets() - before;
    assert.ok(got >= 5000 && got < 5100, `peer received ${got}`);
  });

  it('returns -ENODEV for an unknown interface and -EINVAL for a frame outside the buffer', () => {
    assert.equal(blast('nosuch0', 4, 10), -19);
    assert.equal(blast('eth0', 4, 10, 'pairs'), -22);
  });
});
