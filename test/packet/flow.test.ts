import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIPv4, formatIpBytes } from '../../src/core/addr.js';
import {
  Flow,
  IPPROTO,
  isMalformed,
  PARSE,
  PARSE_NAME,
  parseFlow,
  TCP_FLAG,
} from '../../src/packet/index.js';
import { pkt } from '../helpers/packet-builder.js';

const C = '192.0.2.1';
const V = '198.51.100.1';
const C6 = '2001:db8::1';
const V6 = '2001:db8::80';

function parse(b: Uint8Array): { code: number; f: Flow } {
  const f = new Flow();
  return { code: parseFlow(b, b.length, f), f };
}

describe('parseFlow on well-formed frames', () => {
  it('TCP/IPv4 in an 802.1Q frame yields tuple, flags, VLAN and offsets', () => {
    const b = pkt()
      .eth({ vlan: 42 })
      .ipv4({ src: C, dst: V, ttl: 33, df: true, id: 99 })
      .tcp({ sport: 40000, dport: 80, flags: 'S' })
      .payload('hi')
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.equal(f.vlan, 42);
    assert.equal(f.l3Off, 18);
    assert.equal(f.af, 4);
    assert.equal(formatIPv4(f.src4), C);
    assert.equal(formatIPv4(f.dst4), V);
    assert.equal(f.ttl, 33);
    assert.equal(f.df, true);
    assert.equal(f.ipId, 99);
    assert.equal(f.proto, IPPROTO.TCP);
    assert.equal(f.l4Off, 38);
    assert.deepEqual([f.sport, f.dport, f.tcpFlags], [40000, 80, TCP_FLAG.SYN]);
    assert.equal(f.payloadOff, 58);
    assert.equal(f.ipEnd, b.length);
    assert.equal(f.hasL4, true);
  });

  it('bounds L3/L4 by the IP total length, ignoring Ethernet padding', () => {
    const b = pkt()
      .eth()
      .ipv4({ src: C, dst: V })
      .udp({ sport: 5000, dport: 6000 })
      .payload('a')
      .pad(60)
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.equal(b.length, 60);
    assert.equal(f.ipEnd, 14 + 20 + 8 + 1);
    assert.equal(f.l4Len, 9);
  });

  it('UDP/IPv6 after hop-by-hop, routing and destination options headers', () => {
    const b = pkt()
      .eth()
      .ipv6({ src: C6, dst: V6, hopLimit: 7, ext: [{ type: 'hop' }, { type: 'routing' }, { type: 'dst' }] })
      .udp({ sport: 1111, dport: 2222 })
      .payload('x')
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.equal(f.af, 6);
    assert.equal(formatIpBytes(f.src6), C6);
    assert.equal(formatIpBytes(f.dst6), V6);
    assert.equal(f.ttl, 7);
    assert.equal(f.proto, IPPROTO.UDP);
    assert.equal(f.l4Off, 14 + 40 + 24);
    assert.deepEqual([f.sport, f.dport], [1111, 2222]);
  });

  it('TCP/IPv6 behind an AH header', () => {
    const b = pkt()
      .eth()
      .ipv6({ src: C6, dst: V6, ext: [{ type: 'ah' }] })
      .tcp({ sport: 1, dport: 443 })
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.equal(f.l4Off, 14 + 40 + 16);
    assert.equal(f.dport, 443);
  });

  it('IPv4 first fragment has ports; a later fragment has none but keeps the protocol', () => {
    const first = parse(
      pkt()
        .eth()
        .ipv4({ src: C, dst: V, mf: true, id: 5 })
        .udp({ sport: 7, dport: 9, length: 1000 })
        .payload(16)
        .build(),
    );
    assert.equal(first.code, PARSE.OK);
    assert.deepEqual(
      [first.f.fragment, first.f.moreFragments, first.f.fragOffset, first.f.hasL4],
      [true, true, 0, true],
    );
    assert.deepEqual([first.f.sport, first.f.dport], [7, 9]);
    const later = parse(
      pkt().eth().ipv4({ src: C, dst: V, fragOffset: 24, proto: IPPROTO.UDP }).payload(16).build(),
    );
    assert.equal(later.code, PARSE.OK);
    assert.deepEqual(
      [later.f.fragment, later.f.fragOffset, later.f.hasL4, later.f.sport],
      [true, 24, false, 0],
    );
    assert.equal(later.f.proto, IPPROTO.UDP);
  });

  it('IPv6 fragments report offset, M flag and id from the fragment header', () => {
    const first = parse(
      pkt()
        .eth()
        .ipv6({ src: C6, dst: V6, ext: [{ type: 'frag', more: true, id: 77 }] })
        .tcp({ sport: 3, dport: 4 })
        .build(),
    );
    assert.equal(first.code, PARSE.OK);
    assert.deepEqual(
      [first.f.fragment, first.f.moreFragments, first.f.ipId, first.f.dport],
      [true, true, 77, 4],
    );
    const later = parse(
      pkt()
        .eth()
        .ipv6({ src: C6, dst: V6, proto: IPPROTO.TCP, ext: [{ type: 'frag', offset: 1280 }] })
        .payload(8)
        .build(),
    );
    assert.equal(later.code, PARSE.OK);
    assert.deepEqual([later.f.fragOffset, later.f.hasL4, later.f.proto], [1280, false, IPPROTO.TCP]);
  });

  it('ICMPv4 frag-needed exposes the embedded TCP tuple as sent', () => {
    const inner = pkt().ipv4({ src: V, dst: C }).tcp({ sport: 80, dport: 40000 }).payload(200);
    const b = pkt()
      .eth()
      .ipv4({ src: '203.0.113.9', dst: V })
      .icmp({ type: 3, code: 4, mtu: 1400, embed: inner, embedTruncate: 8 })
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.deepEqual([f.icmpType, f.icmpCode, f.inner, f.innerProto], [3, 4, true, IPPROTO.TCP]);
    assert.equal(formatIPv4(f.innerSrc4), V);
    assert.equal(formatIPv4(f.innerDst4), C);
    assert.deepEqual([f.innerSport, f.innerDport], [80, 40000]);
    assert.equal(f.innerL3Off, 14 + 20 + 8);
    assert.equal(f.innerL4Off, 14 + 20 + 8 + 20);
  });

  it('ICMPv6 packet-too-big exposes the embedded UDP tuple behind an extension header', () => {
    const inner = pkt()
      .ipv6({ src: V6, dst: C6, ext: [{ type: 'dst' }] })
      .udp({ sport: 53, dport: 5353 })
      .payload(100);
    const b = pkt()
      .eth()
      .ipv6({ src: '2001:db8::fe', dst: V6 })
      .icmpv6({ type: 2, mtu: 1280, embed: inner })
      .build();
    const { code, f } = parse(b);
    assert.equal(code, PARSE.OK);
    assert.deepEqual(
      [f.icmpType, f.inner, f.innerProto, f.innerSport, f.innerDport],
      [2, true, IPPROTO.UDP, 53, 5353],
    );
    assert.equal(formatIpBytes(f.innerSrc6), V6);
    assert.equal(f.innerL4Off, 14 + 40 + 8 + 40 + 8);
  });

  it('ICMP echo is not an error: id recorded, no inner tuple', () => {
    const { code, f } = parse(
      pkt().eth().ipv4({ src: C, dst: V }).icmp({ type: 8, id: 0x1234, seq: 1 }).payload(16).build(),
    );
    assert.equal(code, PARSE.OK);
    assert.deepEqual([f.icmpType, f.icmpId, f.inner], [8, 0x1234, false]);
  });

  it('an ICMP error about an echo request records the embedded ICMP type and id', () => {
    const inner = pkt().ipv4({ src: V, dst: C }).icmp({ type: 8, id: 9, seq: 1 });
    const { code, f } = parse(pkt().eth().ipv4({ src: C, dst: V }).icmp({ type: 11, embed: inner }).build());
    assert.equal(code, PARSE.OK);
    assert.deepEqual([f.innerProto, f.innerIcmpType, f.innerIcmpId], [IPPROTO.ICMP, 8, 9]);
  });

  it('ARP requests yield opcode, sender and target addresses', () => {
    const { code, f } = parse(
      pkt().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ senderIp: C, targetIp: V }).build(),
    );
    assert.equal(code, PARSE.OK);
    assert.deepEqual(
      [f.etherType, f.arpOp, formatIPv4(f.arpSenderIp), formatIPv4(f.arpTargetIp)],
      [0x0806, 1, C, V],
    );
  });

  it('reusing one Flow resets fields from the previous frame', () => {
    const f = new Flow();
    const a = pkt()
      .eth({ vlan: 3 })
      .ipv4({ src: C, dst: V })
      .tcp({ sport: 1, dport: 2, flags: 'SA' })
      .build();
    const b = pkt().eth().ipv4({ src: C, dst: V }).udp({ sport: 3, dport: 4 }).build();
    parseFlow(a, a.length, f);
    assert.equal(parseFlow(b, b.length, f), PARSE.OK);
    assert.deepEqual([f.vlan, f.tcpFlags, f.sport, f.proto], [-1, 0, 3, IPPROTO.UDP]);
  });
});

describe('parseFlow verdicts for bad and unsupported frames', () => {
  const tcp = () => pkt().eth().ipv4({ src: C, dst: V }).tcp({ sport: 1, dport: 2 });
  const cases: { desc: string; frame: () => Uint8Array; want: number }[] = [
    { desc: 'frame shorter than Ethernet', frame: () => new Uint8Array(10), want: PARSE.TRUNCATED_L2 },
    {
      desc: 'VLAN tag cut short',
      frame: () => pkt().eth({ vlan: 1 }).build().subarray(0, 16),
      want: PARSE.TRUNCATED_L2,
    },
    { desc: 'IPv4 header cut short', frame: () => tcp().build().subarray(0, 30), want: PARSE.TRUNCATED_L3 },
    {
      desc: 'IPv4 total length past the frame',
      frame: () => pkt().eth().ipv4({ src: C, dst: V, totalLength: 500 }).udp({ sport: 1, dport: 2 }).build(),
      want: PARSE.TRUNCATED_L3,
    },
    {
      desc: 'IPv6 version nibble under an IPv4 EtherType',
      frame: () => pkt().eth({ type: 0x0800 }).ipv6({ src: C6, dst: V6 }).udp({ sport: 1, dport: 2 }).build(),
      want: PARSE.BAD_IP_VERSION,
    },
    {
      desc: 'IHL below 5',
      frame: () => pkt().eth().ipv4({ src: C, dst: V, ihl: 4 }).udp({ sport: 1, dport: 2 }).build(),
      want: PARSE.BAD_IP_HEADER_LENGTH,
    },
    {
      desc: 'total length below the header',
      frame: () => pkt().eth().ipv4({ src: C, dst: V, totalLength: 10 }).build(),
      want: PARSE.BAD_IP_LENGTH,
    },
    {
      desc: 'bad IPv4 header checksum',
      frame: () => pkt().eth().ipv4({ src: C, dst: V, csum: 'bad' }).udp({ sport: 1, dport: 2 }).build(),
      want: PARSE.BAD_IP_CHECKSUM,
    },
    {
      desc: 'IPv6 extension header past the payload',
      frame: () =>
        pkt()
          .eth()
          .ipv6({ src: C6, dst: V6, payloadLength: 4, ext: [{ type: 'dst' }] })
          .build()
          .subarray(0, 58),
      want: PARSE.BAD_IPV6_EXT,
    },
    {
      desc: 'hop-by-hop header not first',
      frame: () =>
        pkt()
          .eth()
          .ipv6({ src: C6, dst: V6, ext: [{ type: 'dst' }, { type: 'hop' }] })
          .udp({ sport: 1, dport: 2 })
          .build(),
      want: PARSE.BAD_IPV6_EXT,
    },
    {
      desc: 'TCP header cut short',
      frame: () => pkt().eth().ipv4({ src: C, dst: V, proto: IPPROTO.TCP }).payload(10).build(),
      want: PARSE.TRUNCATED_L4,
    },
    {
      desc: 'TCP data offset below 5',
      frame: () => {
        const b = tcp().build();
        b[14 + 20 + 12] = 0x40;
        return b;
      },
      want: PARSE.BAD_TCP_HEADER_LENGTH,
    },
    {
      desc: 'TCP options past the packet',
      frame: () => {
        const b = tcp().build();
        b[14 + 20 + 12] = 0xf0;
        return b;
      },
      want: PARSE.TRUNCATED_L4,
    },
    {
      desc: 'UDP length beyond the IP payload',
      frame: () => pkt().eth().ipv4({ src: C, dst: V }).udp({ sport: 1, dport: 2, length: 40 }).build(),
      want: PARSE.BAD_UDP_LENGTH,
    },
    {
      desc: 'UDP length below 8',
      frame: () => pkt().eth().ipv4({ src: C, dst: V }).udp({ sport: 1, dport: 2, length: 4 }).build(),
      want: PARSE.BAD_UDP_LENGTH,
    },
    {
      desc: 'ICMP error with a cut embedded header',
      frame: () =>
        pkt()
          .eth()
          .ipv4({ src: C, dst: V })
          .icmp({ type: 3, embed: new Uint8Array(12).fill(0x45) })
          .build(),
      want: PARSE.BAD_ICMP_EMBEDDED,
    },
    {
      desc: 'ICMP error with embedded ports missing',
      frame: () =>
        pkt()
          .eth()
          .ipv4({ src: C, dst: V })
          .icmp({
            type: 3,
            embed: pkt().ipv4({ src: V, dst: C }).tcp({ sport: 1, dport: 2 }),
            embedTruncate: 2,
          })
          .build(),
      want: PARSE.BAD_ICMP_EMBEDDED,
    },
    {
      desc: 'ARP for another hardware type',
      frame: () => {
        const b = pkt().eth().arp({ senderIp: C, targetIp: V }).build();
        b[15] = 6;
        return b;
      },
      want: PARSE.UNSUPPORTED_ARP,
    },
    {
      desc: 'an unknown EtherType',
      frame: () => pkt().eth({ type: 0x88cc }).payload(46).build(),
      want: PARSE.UNSUPPORTED_ETHERTYPE,
    },
    {
      desc: 'stacked VLAN tags',
      frame: () => pkt().eth({ vlan: 1, type: 0x8100 }).payload(46).build(),
      want: PARSE.UNSUPPORTED_ETHERTYPE,
    },
    {
      desc: 'GRE is not a balanced protocol',
      frame: () => pkt().eth().ipv4({ src: C, dst: V }).gre().ipv4({ src: C, dst: V }).build(),
      want: PARSE.UNSUPPORTED_PROTOCOL,
    },
  ];
  for (const c of cases) {
    it(`${c.desc} → ${PARSE_NAME[c.want]}`, () => {
      const b = c.frame();
      assert.equal(PARSE_NAME[parseFlow(b, b.length, new Flow())], PARSE_NAME[c.want]);
    });
  }

  it('classifies 1..31 as malformed and the rest as not', () => {
    assert.ok(isMalformed(PARSE.BAD_IP_CHECKSUM));
    assert.ok(!isMalformed(PARSE.OK));
    assert.ok(!isMalformed(PARSE.UNSUPPORTED_PROTOCOL));
  });

  it('a length argument shorter than the buffer bounds the parse', () => {
    const b = tcp().build();
    assert.equal(parseFlow(b, 30, new Flow()), PARSE.TRUNCATED_L3);
    assert.equal(parseFlow(b, Number.NaN, new Flow()), PARSE.TRUNCATED_L2);
  });
});
