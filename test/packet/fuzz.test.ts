import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeArp,
  decodeEthernet,
  decodeGre,
  decodeGue,
  decodeIcmp,
  decodeIcmpErrorV4,
  decodeIcmpErrorV6,
  decodeIcmpv6,
  decodeIPv4,
  decodeIPv6,
  decodeIPv6Ext,
  decodeIPv6Frag,
  decodeIpip,
  decodePcap,
  decodeTcp,
  decodeTcpOptions,
  decodeToa,
  decodeUdp,
  Flow,
  IPPROTO,
  isMalformed,
  locateIPv6Upper,
  PACKET_ERR,
  PARSE,
  parseFlow,
} from '../../src/packet/index.js';
import { PacketError } from '../../src/packet/packet-error.js';
import { pkt } from '../helpers/packet-builder.js';

const CODES = new Set<string>(Object.values(PACKET_ERR));
const VERDICTS = new Set<number>(Object.values(PARSE));

const decoders: [string, (b: Uint8Array, o: number) => unknown][] = [
  ['ethernet', decodeEthernet],
  ['arp', decodeArp],
  ['ipv4', decodeIPv4],
  ['ipv6', decodeIPv6],
  ['ipv6 hop-by-hop', (b, o) => decodeIPv6Ext(b, o, IPPROTO.HOPOPTS)],
  ['ipv6 ah', (b, o) => decodeIPv6Ext(b, o, IPPROTO.AH)],
  ['ipv6 fragment', decodeIPv6Frag],
  ['ipv6 upper-layer walk', locateIPv6Upper],
  ['icmp', decodeIcmp],
  ['icmpv6', decodeIcmpv6],
  ['icmp error v4', (b, o) => decodeIcmpErrorV4(b, o, b.length)],
  ['icmp error v6', (b, o) => decodeIcmpErrorV6(b, o, b.length)],
  ['tcp', decodeTcp],
  ['tcp options', (b, o) => decodeTcpOptions(b, o, b.length)],
  ['toa', decodeToa],
  ['udp', decodeUdp],
  ['gue', decodeGue],
  ['gre', decodeGre],
  ['ipip', decodeIpip],
  ['pcap', (b) => decodePcap(b)],
];

/** Valid frames of every shape the parser knows, mutated below. */
const seeds: Uint8Array[] = [
  pkt()
    .eth({ vlan: 9 })
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
    .tcp({ sport: 1, dport: 80, flags: 'S', options: new Uint8Array([2, 4, 5, 180]) })
    .payload('hello')
    .build(),
  pkt()
    .eth()
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.1', options: new Uint8Array([1, 1, 1, 0]) })
    .udp({ sport: 5, dport: 53 })
    .payload(20)
    .build(),
  pkt()
    .eth()
    .ipv6({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      ext: [{ type: 'hop' }, { type: 'frag', more: true }, { type: 'ah' }],
    })
    .tcp({ sport: 9, dport: 443 })
    .build(),
  pkt()
    .eth()
    .ipv4({ src: '198.51.100.9', dst: '192.0.2.1' })
    .icmp({
      type: 3,
      code: 4,
      mtu: 1400,
      embed: pkt().ipv4({ src: '192.0.2.1', dst: '198.51.100.1' }).tcp({ sport: 1, dport: 2 }),
      embedTruncate: 8,
    })
    .build(),
  pkt()
    .eth()
    .ipv6({ src: '2001:db8::9', dst: '2001:db8::1' })
    .icmpv6({
      type: 1,
      embed: pkt()
        .ipv6({ src: '2001:db8::1', dst: '2001:db8::2', ext: [{ type: 'dst' }] })
        .udp({ sport: 1, dport: 2 }),
    })
    .build(),
  pkt().eth().arp({ senderIp: '192.0.2.1', targetIp: '192.0.2.2' }).build(),
  pkt()
    .eth()
    .ipv4({ src: '192.0.2.1', dst: '203.0.113.5' })
    .udp({ sport: 1, dport: 6080 })
    .gue()
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
    .tcp({ sport: 1, dport: 2 })
    .build(),
  pkt()
    .eth()
    .ipv4({ src: '192.0.2.1', dst: '203.0.113.5' })
    .gre({ csum: true })
    .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
    .udp({ sport: 1, dport: 2 })
    .build(),
];

function onlyPacketErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PacketError, `threw a non-PacketError: ${String(e)}`);
    assert.ok(CODES.has(e.code), `unknown code ${e.code}`);
  }
}

const mutated = fc
  .record({
    seed: fc.constantFrom(...seeds),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.nat(),
  })
  .map(({ seed, flips, cut }) => {
    const b = Uint8Array.from(seed);
    for (const [at, v] of flips) b[at % b.length] = v;
    return b.subarray(0, b.length - (cut % 8 === 0 ? cut % b.length : 0));
  });

describe('decoders on hostile input', () => {
  for (const [name, decode] of decoders) {
    it(`${name} throws nothing but coded PacketErrors on random bytes and mutated frames`, () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated),
          fc.integer({ min: -2, max: 80 }),
          (b, off) => {
            onlyPacketErrors(() => decode(b, off));
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('parseFlow on hostile input', () => {
  const flow = new Flow();
  const check = (b: Uint8Array, len: number) => {
    const code = parseFlow(b, len, flow);
    assert.ok(VERDICTS.has(code), `unknown verdict ${code}`);
    if (code === PARSE.OK && flow.af !== 0) {
      assert.ok(flow.ipEnd <= flow.len, 'IP end within the frame');
      assert.ok(flow.l4Off <= flow.ipEnd, 'L4 offset within the IP packet');
      if (flow.hasL4) assert.ok(flow.payloadOff <= flow.ipEnd, 'payload offset within the IP packet');
      if (flow.inner) assert.ok(flow.innerL4Off <= flow.ipEnd, 'embedded L4 within the packet');
    }
  };

  it('never throws on random bytes, and OK verdicts have in-bounds offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: -5, max: 300 }), (b, len) =>
        check(b, len),
      ),
      {
        numRuns: 2000,
      },
    );
  });

  it('never throws on mutated and truncated valid frames', () => {
    fc.assert(
      fc.property(mutated, (b) => check(b, b.length)),
      { numRuns: 5000 },
    );
  });

  it('every seed frame parses without a malformed verdict before mutation', () => {
    // The GRE seed is well formed but not a balanced protocol, hence UNSUPPORTED_PROTOCOL.
    for (const s of seeds) assert.ok(!isMalformed(parseFlow(s, s.length, flow)));
  });
});
