/**
 * Cross-checks the builder, the encoders and the rewrites against Wireshark's dissectors: every
 * fixture frame must dissect without a malformed flag, an error-level expert item or a checksum
 * complaint, with IP/TCP/UDP checksum validation switched on. A deliberately bad frame proves the
 * check can fail. tshark comes from Debian's `tshark` package (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  completeChecksum,
  Flow,
  mssOption,
  PARSE,
  parseFlow,
  setDport,
  setDst4,
  setSport,
  setSrc4,
  toaOption,
} from '../../src/packet/index.js';
import { pkt } from '../helpers/packet-builder.js';
import { dissect, hasTshark } from '../helpers/tshark.js';

const C = '192.0.2.10';
const V = '198.51.100.1';
const R = '203.0.113.5';
const C6 = '2001:db8::10';
const V6 = '2001:db8::80';

/** DNAT+SNAT as the engine would; `partial` frames are completed first (never complete a full checksum). */
function nat(frame: Buffer, partial: boolean): Buffer {
  const f = new Flow();
  assert.equal(parseFlow(frame, frame.length, f), PARSE.OK);
  if (partial) completeChecksum(frame, f);
  setDst4(frame, f, 0xcb007105);
  setDport(frame, f, 8080);
  setSrc4(frame, f, 0xc6336402);
  setSport(frame, f, 61000);
  return frame;
}

const fixtures: { desc: string; frame: () => Buffer }[] = [
  {
    desc: 'TCP SYN with MSS and TOA options',
    frame: () =>
      pkt()
        .eth()
        .ipv4({ src: C, dst: V, df: true })
        .tcp({
          sport: 40000,
          dport: 80,
          flags: 'S',
          options: [mssOption(1460), toaOption(40000, new Uint8Array([192, 0, 2, 10]))],
        })
        .build(),
  },
  {
    desc: 'TCP data in an 802.1Q frame, padded',
    frame: () =>
      pkt()
        .eth({ vlan: 100 })
        .ipv4({ src: C, dst: V })
        .tcp({ sport: 40000, dport: 80, flags: 'PA', ack: 1 })
        .payload('x')
        .pad()
        .build(),
  },
  {
    desc: 'UDP over IPv4',
    frame: () =>
      pkt().eth().ipv4({ src: C, dst: V }).udp({ sport: 40001, dport: 40002 }).payload('datagram').build(),
  },
  {
    desc: 'UDP over IPv6 with extension headers',
    frame: () =>
      pkt()
        .eth()
        .ipv6({ src: C6, dst: V6, ext: [{ type: 'hop' }, { type: 'dst' }] })
        .udp({ sport: 40001, dport: 40002 })
        .payload('v6')
        .build(),
  },
  {
    desc: 'TCP over IPv6',
    frame: () =>
      pkt()
        .eth()
        .ipv6({ src: C6, dst: V6 })
        .tcp({ sport: 40000, dport: 443, flags: 'S', options: [mssOption(1440)] })
        .build(),
  },
  {
    desc: 'ICMP echo request',
    frame: () => pkt().eth().ipv4({ src: C, dst: V }).icmp({ type: 8, id: 7, seq: 1 }).payload(32).build(),
  },
  {
    desc: 'ICMP frag-needed embedding a TCP segment',
    frame: () =>
      pkt()
        .eth()
        .ipv4({ src: V, dst: C })
        .icmp({
          type: 3,
          code: 4,
          mtu: 1480,
          embed: pkt().ipv4({ src: C, dst: V, df: true }).tcp({ sport: 40000, dport: 80 }).payload(1400),
          embedTruncate: 8,
        })
        .build(),
  },
  {
    desc: 'ICMPv6 echo request',
    frame: () =>
      pkt().eth().ipv6({ src: C6, dst: V6 }).icmpv6({ type: 128, id: 1, seq: 1 }).payload(16).build(),
  },
  {
    desc: 'ICMPv6 packet-too-big embedding UDP',
    frame: () =>
      pkt()
        .eth()
        .ipv6({ src: V6, dst: C6 })
        .icmpv6({
          type: 2,
          mtu: 1280,
          embed: pkt().ipv6({ src: C6, dst: V6 }).udp({ sport: 40001, dport: 40002 }).payload(100),
        })
        .build(),
  },
  {
    desc: 'ARP request',
    frame: () => pkt().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ senderIp: C, targetIp: V }).build(),
  },
  {
    desc: 'ARP reply',
    frame: () =>
      pkt()
        .eth()
        .arp({
          op: 'reply',
          senderMac: '02:00:00:00:00:02',
          senderIp: V,
          targetMac: '02:00:00:00:00:01',
          targetIp: C,
        })
        .build(),
  },
  {
    desc: 'IPIP tunnel',
    frame: () =>
      pkt()
        .eth()
        .ipip({ src: V, dst: R })
        .ipv4({ src: C, dst: V })
        .tcp({ sport: 40000, dport: 80, flags: 'S' })
        .build(),
  },
  {
    desc: 'IPv6-in-IPv4 tunnel',
    frame: () =>
      pkt()
        .eth()
        .ipip({ src: V, dst: R })
        .ipv6({ src: C6, dst: V6 })
        .tcp({ sport: 40000, dport: 80, flags: 'S' })
        .build(),
  },
  {
    desc: 'GUE tunnel with UDP checksum',
    frame: () =>
      pkt()
        .eth()
        .ipv4({ src: V, dst: R })
        .udp({ sport: 45000, dport: 6080 })
        .gue()
        .ipv4({ src: C, dst: V })
        .tcp({ sport: 40000, dport: 80, flags: 'S' })
        .build(),
  },
  {
    desc: 'GRE tunnel with checksum',
    frame: () =>
      pkt()
        .eth()
        .ipv4({ src: V, dst: R })
        .gre({ csum: true })
        .ipv4({ src: C, dst: V })
        .udp({ sport: 40001, dport: 40002 })
        .payload('in gre')
        .build(),
  },
  {
    desc: 'partial TCP checksum completed',
    frame: () => {
      const b = pkt()
        .eth()
        .ipv4({ src: C, dst: V })
        .tcp({ sport: 40000, dport: 80, csum: 'partial' })
        .payload('abc')
        .build();
      const f = new Flow();
      parseFlow(b, b.length, f);
      completeChecksum(b, f);
      return b;
    },
  },
  {
    desc: 'TCP after DNAT+SNAT rewrites',
    frame: () =>
      nat(
        pkt()
          .eth()
          .ipv4({ src: C, dst: V })
          .tcp({ sport: 40000, dport: 80, flags: 'PA' })
          .payload('GET /')
          .build(),
        false,
      ),
  },
  {
    desc: 'partial UDP after completion and DNAT+SNAT',
    frame: () =>
      nat(
        pkt()
          .eth()
          .ipv4({ src: C, dst: V })
          .udp({ sport: 40001, dport: 40002, csum: 'partial' })
          .payload('q')
          .build(),
        true,
      ),
  },
];

const isRoot = process.getuid?.() === 0;
// CI runs as root and installs tshark, so there a missing tshark is a failure, not a skip.
const skip =
  !hasTshark && !isRoot
    ? 'tshark is not installed (apt-get install tshark); skipped because not root'
    : false;

describe('tshark cross-check', { skip }, () => {
  it('tshark is installed (required when running as root, as in CI)', () => {
    assert.ok(hasTshark, 'tshark not found on PATH: apt-get install -y tshark');
  });

  it('every fixture frame dissects with no malformed, error or bad-checksum flag', {
    skip: !hasTshark,
  }, () => {
    const frames = fixtures.map((f) => f.frame());
    const out = dissect(frames);
    assert.equal(out.length, fixtures.length);
    const bad = out
      .filter((d) => d.problems.length > 0)
      .map((d) => `${fixtures[d.frame - 1]?.desc}: ${d.problems.join('; ')}`);
    assert.deepEqual(bad, []);
  });

  it('flags deliberately broken frames, so the check can fail', { skip: !hasTshark }, () => {
    const out = dissect([
      pkt().eth().ipv4({ src: C, dst: V }).tcp({ sport: 40000, dport: 80, csum: 'bad' }).build(),
      pkt().eth().ipv4({ src: C, dst: V, csum: 'bad' }).udp({ sport: 40001, dport: 40002 }).build(),
      pkt()
        .eth()
        .ipv4({ src: C, dst: V })
        .udp({ sport: 40001, dport: 40002, csum: 'partial' })
        .payload('x')
        .build(),
      pkt().eth().ipv4({ src: C, dst: V, totalLength: 400 }).udp({ sport: 40001, dport: 40002 }).build(),
    ]);
    assert.deepEqual(
      out.map((d) => d.problems.length > 0),
      [true, true, true, true],
    );
  });
});
