/**
 * The benchmark generator's blast() (native/bench/packet_blast.c, the separate benchmark addon,
 * built here on first use) on a veth pair between two
 * throw-away namespaces: it sends exactly the frames it reports, round-robin over the prebuilt
 * set, paces itself to a requested rate, and refuses bad arguments with -errno. Root only; blast
 * runs in `ip netns exec` children.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureBenchAddon } from '../../bench/lib/bench-addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? ensureBenchAddon();
if (skip) console.log(`# skipping blast tests: ${skip}`);

/** Child script: builds `flows` UDP frames and blasts `max` of them; prints the return value. */
const CHILD = `
import { loadBenchAddon } from './bench/lib/bench-addon.ts';
import { buildUdpFlows } from './bench/lib/packet-frames.ts';
const [ifname, flows, max, srcMac, dstMac, bad, secs = '5', rate = '0'] = process.argv.slice(1);
const b = loadBenchAddon();
const block = buildUdpFlows({ srcMac, dstMac, srcIp: '192.0.2.1', dstIp: '192.0.2.2', dstPort: 9,
  firstSrcPort: 10000, flows: Number(flows) });
const pairs = bad === 'pairs' ? new Uint32Array([0, 1 << 20]) : block.pairs;
const t0 = process.hrtime.bigint();
const sent = b.blast(ifname, block.buffer, pairs, bad === 'pairs' ? 1 : block.count, Number(secs), Number(max),
  Number(rate));
console.log(sent, Number(process.hrtime.bigint() - t0) / 1e9);
`;

describe('blast() load generator on a veth pair', { skip }, () => {
  let ns: Netns;
  let srcMac: string;
  let dstMac: string;
  const fmt = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
  /** Runs blast in namespace a; returns [its result, seconds it took]. */
  const blastTimed = (
    ifname: string,
    flows: number,
    max: number,
    bad = '',
    secs = 5,
    rate = 0,
  ): [number, number] => {
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
      String(secs),
      String(rate),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const [sent, took] = r.stdout.trim().split(' ').map(Number);
    return [sent as number, took as number];
  };
  const blast = (ifname: string, flows: number, max: number, bad = ''): number =>
    blastTimed(ifname, flows, max, bad)[0];
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

  it('paces to the requested rate: 4,000 frames at 8,000 frames/s take about half a second', () => {
    const before = rxPackets();
    const [sent, took] = blastTimed('eth0', 64, 4000, '', 5, 8000);
    assert.equal(sent, 4000);
    // Unpaced, 4,000 frames leave in a few ms; paced they cannot finish before 3,999 / 8,000 s.
    assert.ok(took >= 0.48 && took < 2, `took ${took} s`);
    const got = rxPackets() - before;
    assert.ok(got >= 4000 && got < 4100, `peer received ${got}`);
  });

  it('stops a paced run at its time budget: about rate x secs frames', () => {
    const [sent, took] = blastTimed('eth0', 64, 1e9, '', 0.5, 10_000);
    // 5,000 due in 0.5 s; a late wake-up on a busy machine can only send fewer, never more
    // than the schedule plus one batch.
    assert.ok(sent >= 3500 && sent <= 5000 + 16, `sent ${sent}`);
    assert.ok(took >= 0.45 && took < 1.5, `took ${took} s`);
  });

  it('refuses a negative rate with -EINVAL', () => {
    assert.equal(blastTimed('eth0', 4, 10, '', 5, -1)[0], -22);
  });

  it('returns -ENODEV for an unknown interface and -EINVAL for a frame outside the buffer', () => {
    assert.equal(blast('nosuch0', 4, 10), -19);
    assert.equal(blast('eth0', 4, 10, 'pairs'), -22);
  });
});
