import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ARP_LEN,
  type ArpPacket,
  decodeArp,
  decodeEthernet,
  decodeGre,
  decodeGue,
  decodeIcmp,
  decodeIcmpv6,
  decodeIPv4,
  decodeIPv6,
  decodeIPv6Ext,
  decodeIPv6Frag,
  decodeTcp,
  decodeToa,
  decodeUdp,
  type EthernetHeader,
  encodeArp,
  encodeEthernet,
  encodeGre,
  encodeGue,
  encodeIcmp,
  encodeIcmpv6,
  encodeIPv4,
  encodeIPv6,
  encodeIPv6Ext,
  encodeIPv6Frag,
  encodeTcp,
  encodeToa,
  encodeUdp,
  encodingLengthEthernet,
  encodingLengthGre,
  encodingLengthGue,
  encodingLengthIPv4,
  encodingLengthIPv6Ext,
  encodingLengthTcp,
  type GreHeader,
  type GueHeader,
  ICMP_LEN,
  type IcmpHeader,
  IPPROTO,
  IPV6_FRAG_LEN,
  IPV6_LEN,
  type IPv4Header,
  type IPv6ExtHeader,
  type IPv6FragHeader,
  type IPv6Header,
  type TcpHeader,
  type Toa,
  UDP_LEN,
  type UdpHeader,
  verifyIPv4Checksum,
} from '../../src/packet/index.js';
import { type Codec, roundTrip } from '../helpers/round-trip.js';

// Plain-prototype records, so deepEqual against decoded headers compares values only.
const rec = <T>(m: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(m, { noNullPrototype: true }) as fc.Arbitrary<T>;
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const words = (maxWords: number) =>
  fc.integer({ min: 0, max: maxWords }).chain((w) => fc.uint8Array({ minLength: w * 4, maxLength: w * 4 }));

const ethArb: fc.Arbitrary<EthernetHeader> = rec({
  dst: bytes(6),
  src: bytes(6),
  vlan: fc.option(
    rec({ pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), vid: fc.integer({ min: 0, max: 4095 }) }),
    {
      nil: undefined,
    },
  ),
  etherType: u16.filter((t) => t !== 0x8100),
});
const arpArb: fc.Arbitrary<ArpPacket> = rec({
  op: u16,
  senderMac: bytes(6),
  senderIp: u32,
  targetMac: bytes(6),
  targetIp: u32,
});
const ipv4Arb: fc.Arbitrary<IPv4Header> = words(10).chain((options) =>
  rec({
    tos: u8,
    totalLength: fc.integer({ min: 20 + options.length, max: 0xffff }),
    id: u16,
    flags: fc.integer({ min: 0, max: 7 }),
    fragOffset: fc.integer({ min: 0, max: 0x1fff }),
    ttl: u8,
    protocol: u8,
    checksum: u16,
    src: u32,
    dst: u32,
    options: fc.constant(options),
  }),
);
const ipv6Arb: fc.Arbitrary<IPv6Header> = rec({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  payloadLength: u16,
  nextHeader: u8,
  hopLimit: u8,
  src: bytes(16),
  dst: bytes(16),
});
const extArb: fc.Arbitrary<IPv6ExtHeader> = fc.oneof(
  rec({
    type: fc.constantFrom(IPPROTO.HOPOPTS, IPPROTO.ROUTING, IPPROTO.DSTOPTS),
    nextHeader: u8,
    body: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(6 + n * 8)),
  }),
  rec({
    type: fc.constant(IPPROTO.AH),
    nextHeader: u8,
    body: fc.integer({ min: 1, max: 6 }).chain((n) => bytes(2 + n * 4)),
  }),
);
const fragArb: fc.Arbitrary<IPv6FragHeader> = rec({
  nextHeader: u8,
  fragOffset: fc.integer({ min: 0, max: 0x1fff }),
  more: fc.boolean(),
  id: u32,
});
const icmpArb: fc.Arbitrary<IcmpHeader> = rec({ type: u8, code: u8, checksum: u16, rest: u32 });
const tcpArb: fc.Arbitrary<TcpHeader> = rec({
  sport: u16,
  dport: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: u16,
  checksum: u16,
  urgent: u16,
  options: words(10),
});
const udpArb: fc.Arbitrary<UdpHeader> = rec({ sport: u16, dport: u16, length: u16, checksum: u16 });
const gueArb: fc.Arbitrary<GueHeader> = rec({
  control: fc.boolean(),
  proto: u8,
  flags: u16,
  fields: words(31),
});
const greArb: fc.Arbitrary<GreHeader> = rec({
  protocol: u16,
  checksum: fc.option(u16, { nil: undefined }),
  key: fc.option(u32, { nil: undefined }),
  seq: fc.option(u32, { nil: undefined }),
});
const toaArb: fc.Arbitrary<Toa> = rec({ port: u16, addr: fc.oneof(bytes(4), bytes(16)) });

function check<T>(name: string, codec: Codec<T>, arb: fc.Arbitrary<T>): void {
  it(`${name}: encode/decode/re-encode round-trips, also at offset 10`, () => {
    fc.assert(
      fc.property(arb, (v) => {
        const { decoded } = roundTrip(codec, v);
        assert.deepEqual(decoded, v, 'decode(encode(v)) equals v');
      }),
      { numRuns: 200 },
    );
  });
}

describe('codec round trips', () => {
  check(
    'ethernet',
    { encode: encodeEthernet, decode: decodeEthernet, encodingLength: encodingLengthEthernet },
    ethArb,
  );
  check('arp', { encode: encodeArp, decode: decodeArp, encodingLength: () => ARP_LEN }, arpArb);
  check('ipv4', { encode: encodeIPv4, decode: decodeIPv4, encodingLength: encodingLengthIPv4 }, ipv4Arb);
  check('ipv6', { encode: encodeIPv6, decode: decodeIPv6, encodingLength: () => IPV6_LEN }, ipv6Arb);
  check(
    'ipv6 fragment header',
    { encode: encodeIPv6Frag, decode: decodeIPv6Frag, encodingLength: () => IPV6_FRAG_LEN },
    fragArb,
  );
  check('icmp', { encode: encodeIcmp, decode: decodeIcmp, encodingLength: () => ICMP_LEN }, icmpArb);
  check('icmpv6', { encode: encodeIcmpv6, decode: decodeIcmpv6, encodingLength: () => ICMP_LEN }, icmpArb);
  check('tcp', { encode: encodeTcp, decode: decodeTcp, encodingLength: encodingLengthTcp }, tcpArb);
  check('udp', { encode: encodeUdp, decode: decodeUdp, encodingLength: () => UDP_LEN }, udpArb);
  check('gue', { encode: encodeGue, decode: decodeGue, encodingLength: encodingLengthGue }, gueArb);
  check('gre', { encode: encodeGre, decode: decodeGre, encodingLength: encodingLengthGre }, greArb);
  check(
    'toa',
    { encode: encodeToa, decode: decodeToa, encodingLength: (t) => (t.addr.length === 4 ? 8 : 20) },
    toaArb,
  );

  it('ipv6 extension headers of every kind round-trip given their type', () => {
    fc.assert(
      fc.property(extArb, (h) => {
        const len = encodingLengthIPv6Ext(h);
        const a = new Uint8Array(len + 10);
        assert.equal(encodeIPv6Ext(h, a, 10), len);
        assert.deepEqual(decodeIPv6Ext(a, 10, h.type), h);
        assert.throws(() => decodeIPv6Ext(a.subarray(0, 10 + len - 1), 10, h.type), {
          code: 'ERR_PACKET_TRUNCATED',
        });
      }),
    );
  });
});

describe('codec validation', () => {
  it('ipv4 encode computes a valid header checksum when none is given', () => {
    const h = {
      tos: 0,
      totalLength: 40,
      id: 7,
      flags: 2,
      fragOffset: 0,
      ttl: 64,
      protocol: 6,
      src: 0xc0000201,
      dst: 0xc6336401,
    };
    const buf = new Uint8Array(24);
    encodeIPv4({ ...h, options: new Uint8Array(4).fill(1) }, buf, 0);
    assert.ok(verifyIPv4Checksum(buf, 0));
    assert.equal(decodeIPv4(buf, 0).options.length, 4);
  });

  it('ipv4 decode rejects a wrong version, an IHL below 5 and a total length below the header', () => {
    const good = new Uint8Array([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.throws(
      () =>
        decodeIPv4(
          Uint8Array.from(good, (b, i) => (i === 0 ? 0x65 : b)),
          0,
        ),
      { code: 'ERR_PACKET_BAD_VERSION' },
    );
    assert.throws(
      () =>
        decodeIPv4(
          Uint8Array.from(good, (b, i) => (i === 0 ? 0x44 : b)),
          0,
        ),
      {
        code: 'ERR_PACKET_BAD_HEADER_LENGTH',
      },
    );
    assert.throws(
      () =>
        decodeIPv4(
          Uint8Array.from(good, (b, i) => (i === 3 ? 19 : b)),
          0,
        ),
      { code: 'ERR_PACKET_BAD_LENGTH' },
    );
    assert.throws(
      () =>
        decodeIPv4(
          Uint8Array.from(good, (b, i) => (i === 0 ? 0x46 : b)),
          0,
        ),
      { code: 'ERR_PACKET_TRUNCATED' },
    );
  });

  it('ipv6, tcp, gue and gre decoders reject bad versions and header lengths with stable codes', () => {
    assert.throws(() => decodeIPv6(new Uint8Array(40).fill(0x40, 0, 1), 0), {
      code: 'ERR_PACKET_BAD_VERSION',
    });
    const tcp = new Uint8Array(20);
    tcp[12] = 0x40;
    assert.throws(() => decodeTcp(tcp, 0), { code: 'ERR_PACKET_BAD_HEADER_LENGTH' });
    tcp[12] = 0x60;
    assert.throws(() => decodeTcp(tcp, 0), { code: 'ERR_PACKET_TRUNCATED' });
    assert.throws(() => decodeGue(new Uint8Array([0x40, 4, 0, 0]), 0), { code: 'ERR_PACKET_BAD_VERSION' });
    assert.throws(() => decodeGue(new Uint8Array([0x01, 4, 0, 0]), 0), { code: 'ERR_PACKET_TRUNCATED' });
    assert.throws(() => decodeGre(new Uint8Array([0, 1, 8, 0]), 0), { code: 'ERR_PACKET_BAD_VERSION' });
    assert.throws(() => decodeGre(new Uint8Array([0x80, 0, 8, 0]), 0), { code: 'ERR_PACKET_TRUNCATED' });
  });

  it('arp decode refuses non-Ethernet/IPv4 ARP as unsupported', () => {
    const b = new Uint8Array(28);
    b[1] = 6; // IEEE 802 hardware type
    assert.throws(() => decodeArp(b, 0), { code: 'ERR_PACKET_UNSUPPORTED' });
  });

  it('encoders refuse out-of-range fields and misaligned options with ERR_PACKET_BAD_FIELD', () => {
    const buf = new Uint8Array(100);
    const udp = { sport: 70000, dport: 1, length: 8, checksum: 0 };
    assert.throws(() => encodeUdp(udp, buf, 0), { code: 'ERR_PACKET_BAD_FIELD' });
    const tcp = {
      sport: 1,
      dport: 2,
      seq: 0,
      ack: 0,
      flags: 2,
      window: 0,
      checksum: 0,
      urgent: 0,
      options: new Uint8Array(3),
    };
    assert.throws(() => encodeTcp(tcp, buf, 0), { code: 'ERR_PACKET_BAD_FIELD' });
    assert.throws(
      () => encodeEthernet({ dst: new Uint8Array(5), src: new Uint8Array(6), etherType: 0x800 }, buf, 0),
      {
        code: 'ERR_PACKET_BAD_FIELD',
      },
    );
    assert.throws(
      () => encodeIPv6Ext({ type: IPPROTO.DSTOPTS, nextHeader: 6, body: new Uint8Array(5) }, buf, 0),
      {
        code: 'ERR_PACKET_BAD_FIELD',
      },
    );
  });

  it('toa decode rejects lengths other than 8 and 20', () => {
    assert.throws(() => decodeToa(new Uint8Array([254, 10, 0, 0, 0, 0, 0, 0, 0, 0]), 0), {
      code: 'ERR_PACKET_BAD_OPTION',
    });
    assert.throws(() => decodeToa(new Uint8Array([253, 8, 0, 0, 0, 0, 0, 0]), 0), {
      code: 'ERR_PACKET_BAD_OPTION',
    });
  });
});
