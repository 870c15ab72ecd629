import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as packet from '../../src/packet/index.js';
import {
  type ArpPacket,
  arpCodec,
  decodeArp,
  decodeGre,
  decodeGue,
  decodeIPv4,
  decodeIPv6,
  decodeIPv6Ext,
  decodeTcp,
  decodeToa,
  type EthernetHeader,
  encodeEthernet,
  encodeIPv4,
  encodeIPv6Ext,
  encodeTcp,
  encodeUdp,
  encodingLengthIPv6Ext,
  ethernetCodec,
  type GreHeader,
  type GueHeader,
  greCodec,
  gueCodec,
  type IcmpHeader,
  IPPROTO,
  type IPv4Header,
  type IPv6ExtHeader,
  type IPv6FragHeader,
  type IPv6Header,
  type IpipDatagram,
  icmpCodec,
  icmpv6Codec,
  ipipCodec,
  ipv4Codec,
  ipv6AhCodec,
  ipv6Codec,
  ipv6DstOptsCodec,
  ipv6FragCodec,
  ipv6HopByHopCodec,
  ipv6RoutingCodec,
  isCodec,
  type PcapFile,
  pcapCodec,
  TCPOPT,
  type TcpHeader,
  type TcpOption,
  type Toa,
  tcpCodec,
  tcpOptionsCodec,
  toaCodec,
  type UdpHeader,
  udpCodec,
  verifyIPv4Checksum,
} from '../../src/packet/index.js';
import { type Codec, returnsOrThrowsCoded, roundTrip } from '../helpers/round-trip.js';

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

const extArbOf = (type: number): fc.Arbitrary<IPv6ExtHeader> =>
  type === IPPROTO.AH
    ? rec({
        type: fc.constant(type),
        nextHeader: u8,
        body: fc.integer({ min: 1, max: 6 }).chain((n) => bytes(2 + n * 4)),
      })
    : rec({
        type: fc.constant(type),
        nextHeader: u8,
        body: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(6 + n * 8)),
      });
const opt = (kind: number, data: fc.Arbitrary<Uint8Array>): fc.Arbitrary<TcpOption> =>
  rec<TcpOption>({ kind: fc.constant(kind), data });
// Lists end with EOL, as encode pads with EOL and decode keeps it and stops there.
const tcpOptionsArb: fc.Arbitrary<readonly TcpOption[]> = fc
  .array(
    fc.oneof(
      opt(TCPOPT.NOP, bytes(0)),
      opt(TCPOPT.MSS, bytes(2)),
      opt(TCPOPT.WSCALE, bytes(1)),
      opt(TCPOPT.SACK_PERM, bytes(0)),
      opt(TCPOPT.TIMESTAMP, bytes(8)),
      fc.integer({ min: 6, max: 253 }).chain((k) => opt(k, fc.uint8Array({ maxLength: 6 }))),
    ),
    { maxLength: 6 },
  )
  .map((l): readonly TcpOption[] => [...l, { kind: TCPOPT.EOL, data: new Uint8Array(0) }])
  .filter((l) => tcpOptionsCodec.encodingLength(l) <= 40);
const pcapArb: fc.Arbitrary<PcapFile> = fc.boolean().chain((nanos) =>
  rec<PcapFile>({
    linktype: fc.integer({ min: 0, max: 0x0fffffff }),
    snaplen: u32,
    nanos: fc.constant(nanos),
    records: fc.array(
      rec({
        tsSec: u32,
        tsFrac: fc.integer({ min: 0, max: nanos ? 999_999_999 : 999_999 }),
        data: fc.uint8Array({ maxLength: 64 }),
        origLen: u32,
      }),
      { maxLength: 4 },
    ),
  }),
);
const ipipArb: fc.Arbitrary<IpipDatagram> = rec<IpipDatagram>({
  outer: rec({ src: u32, dst: u32, ttl: u8, tos: u8, id: u16, df: fc.boolean() }),
  inner: fc.tuple(fc.constantFrom(4, 6), fc.uint8Array({ minLength: 1, maxLength: 80 })).map(([v, b]) => {
    b[0] = (v << 4) | (b[0]! & 0x0f);
    return b;
  }),
});

/** One registered codec with an arbitrary of its values; the tests below run over all of them. */
interface Registered {
  readonly codec: Codec<unknown>;
  /** Round-trips arbitrary values, also at offset 10. */
  roundTrips(numRuns: number): void;
  /** Decodes truncated encodings of arbitrary values; each must return or throw a coded error. */
  truncations(numRuns: number): void;
}

function register<T>(codec: Codec<T>, arb: fc.Arbitrary<T>): Registered {
  return {
    codec: codec as Codec<unknown>,
    roundTrips(numRuns) {
      fc.assert(
        fc.property(arb, (v) => {
          const { decoded } = roundTrip(codec, v);
          assert.deepEqual(decoded, v, 'decode(encode(v)) equals v');
        }),
        { numRuns },
      );
    },
    truncations(numRuns) {
      fc.assert(
        fc.property(arb, fc.nat(), (v, cut) => {
          const b = new Uint8Array(codec.encodingLength(v));
          codec.encode(v, b, 0);
          returnsOrThrowsCoded(() => codec.decode(b.subarray(0, cut % (b.length + 1)), 0));
        }),
        { numRuns },
      );
    },
  };
}

/** Every codec src/packet exports, each with an arbitrary (a test checks none is missing). */
const REGISTRY: readonly Registered[] = [
  register(ethernetCodec, ethArb),
  register(arpCodec, arpArb),
  register(ipv4Codec, ipv4Arb),
  register(ipv6Codec, ipv6Arb),
  register(ipv6FragCodec, fragArb),
  register(ipv6HopByHopCodec, extArbOf(IPPROTO.HOPOPTS)),
  register(ipv6RoutingCodec, extArbOf(IPPROTO.ROUTING)),
  register(ipv6DstOptsCodec, extArbOf(IPPROTO.DSTOPTS)),
  register(ipv6AhCodec, extArbOf(IPPROTO.AH)),
  register(icmpCodec, icmpArb),
  register(icmpv6Codec, icmpArb),
  register(tcpCodec, tcpArb),
  register(tcpOptionsCodec, tcpOptionsArb),
  register(toaCodec, toaArb),
  register(udpCodec, udpArb),
  register(gueCodec, gueArb),
  register(greCodec, greArb),
  register(ipipCodec, ipipArb),
  register(pcapCodec, pcapArb),
];

describe('codec round trips', () => {
  it('every Codec that src/packet exports is registered here, under a unique name', () => {
    const exported = Object.values(packet as Record<string, unknown>).filter(isCodec);
    const registered = new Set(REGISTRY.map((r) => r.codec));
    for (const c of exported) assert.ok(registered.has(c), `codec ${c.name} has no arbitrary here`);
    assert.equal(registered.size, exported.length, 'only exported codecs are registered');
    assert.equal(new Set(exported.map((c) => c.name)).size, exported.length, 'codec names are unique');
  });

  for (const r of REGISTRY) {
    it(`${r.codec.name}: encode/decode/re-encode round-trips, also at offset 10`, () => r.roundTrips(200));
    it(`${r.codec.name}: decoding a truncated encoding returns or throws a coded PacketError`, () =>
      r.truncations(200));
    it(`${r.codec.name}: decoding random bytes at any offset returns or throws a coded PacketError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -2, max: 80 }), (b, off) =>
          returnsOrThrowsCoded(() => r.codec.decode(b, off)),
        ),
        { numRuns: 300 },
      );
    });
  }

  it('an extension-header codec refuses a header of another type', () => {
    const h = { type: IPPROTO.DSTOPTS, nextHeader: 6, body: new Uint8Array(6) };
    assert.throws(() => ipv6HopByHopCodec.encode(h, new Uint8Array(8), 0), { code: 'ERR_PACKET_BAD_FIELD' });
  });

  it('the ipip codec refuses an inner packet that is neither IPv4 nor IPv6, and an outer fragment', () => {
    const outer = { src: 1, dst: 2, ttl: 64, tos: 0, id: 0, df: false };
    assert.throws(() => ipipCodec.encode({ outer, inner: new Uint8Array([0x50]) }, new Uint8Array(21), 0), {
      code: 'ERR_PACKET_BAD_FIELD',
    });
    const b = new Uint8Array(21);
    ipipCodec.encode({ outer, inner: new Uint8Array([0x45]) }, b, 0);
    b[6] = 0x20; // MF
    assert.throws(() => ipipCodec.decode(b, 0), { code: 'ERR_PACKET_UNSUPPORTED' });
  });

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
