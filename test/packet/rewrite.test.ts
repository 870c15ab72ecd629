import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIPv6 } from '../../src/core/addr.js';
import {
  computeL4Checksum,
  decrementTtl,
  Flow,
  IPPROTO,
  PARSE,
  parseFlow,
  setDport,
  setDst4,
  setDst6,
  setSport,
  setSrc4,
  setSrc6,
  verifyIPv4Checksum,
  verifyL4Checksum,
} from '../../src/packet/index.js';
import { pkt } from '../helpers/packet-builder.js';

const u16 = fc.integer({ min: 1, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const dotted = u32.map((v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);

function verifies(b: Uint8Array, f: Flow): boolean {
  return verifyL4Checksum(b, f.l3Off, f.l4Off, f.l4Off + f.l4Len, f.proto);
}

describe('in-place NAT rewrites keep checksums valid', () => {
  it('DNAT + SNAT of TCP and UDP over IPv4 equals a full recompute', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tcp', 'udp'),
        dotted,
        dotted,
        u16,
        u16,
        fc.uint8Array({ maxLength: 64 }),
        u32,
        u32,
        u16,
        u16,
        (kind, src, dst, sport, dport, payload, nsrc, ndst, nsport, ndport) => {
          const base = pkt().eth().ipv4({ src, dst });
          const b = (kind === 'tcp' ? base.tcp({ sport, dport }) : base.udp({ sport, dport }))
            .payload(payload)
            .build();
          const f = new Flow();
          assert.equal(parseFlow(b, b.length, f), PARSE.OK);
          setDst4(b, f, ndst);
          setDport(b, f, ndport);
          setSrc4(b, f, nsrc);
          setSport(b, f, nsport);
          assert.ok(verifyIPv4Checksum(b, f.l3Off), 'IP header checksum');
          assert.ok(verifies(b, f), 'L4 checksum');
          const again = new Flow();
          assert.equal(parseFlow(b, b.length, again), PARSE.OK);
          assert.deepEqual(
            [again.src4, again.dst4, again.sport, again.dport],
            [nsrc >>> 0, ndst >>> 0, nsport, ndport],
          );
          const co = f.l4Off + (kind === 'tcp' ? 16 : 6);
          const stored = (b[co]! << 8) | b[co + 1]!;
          const full = computeL4Checksum(b, f.l3Off, f.l4Off, f.l4Off + f.l4Len, f.proto);
          assert.ok(stored === full || (stored | full) === 0xffff, 'same ones-complement value');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rewriting IPv6 addresses keeps TCP, UDP and ICMPv6 checksums valid', () => {
    const a = parseIPv6('2001:db8:1::77')!;
    const c = parseIPv6('2001:db8:ffff::1')!;
    for (const build of [
      () =>
        pkt()
          .eth()
          .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
          .tcp({ sport: 1, dport: 2 })
          .payload('abc'),
      () =>
        pkt()
          .eth()
          .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
          .udp({ sport: 1, dport: 2 })
          .payload('abcd'),
      () =>
        pkt().eth().ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }).icmpv6({ type: 128, id: 1 }).payload(5),
    ]) {
      const b = build().build();
      const f = new Flow();
      assert.equal(parseFlow(b, b.length, f), PARSE.OK);
      setDst6(b, f, a);
      setSrc6(b, f, c);
      assert.deepEqual(b.subarray(f.dstOff, f.dstOff + 16), Buffer.from(a));
      assert.deepEqual(f.src6, c);
      assert.ok(verifies(b, f));
    }
  });

  it('an IPv4 UDP checksum of 0 ("none") stays 0 through DNAT', () => {
    const b = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
      .udp({ sport: 1, dport: 2, csum: 'zero' })
      .build();
    const f = new Flow();
    parseFlow(b, b.length, f);
    setDst4(b, f, 0x0a000001);
    setDport(b, f, 8080);
    assert.equal(b.readUInt16BE(f.l4Off + 6), 0);
    assert.ok(verifyIPv4Checksum(b, f.l3Off));
  });

  it('a later fragment gets only its IP header rewritten', () => {
    const b = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1', fragOffset: 16, proto: IPPROTO.TCP })
      .payload('01234567')
      .build();
    const f = new Flow();
    parseFlow(b, b.length, f);
    const payloadBefore = Buffer.from(b.subarray(34));
    setDst4(b, f, 0x0a000001);
    setDport(b, f, 8080);
    assert.ok(verifyIPv4Checksum(b, f.l3Off));
    assert.deepEqual(b.subarray(34), payloadBefore);
  });

  it('decrementTtl lowers TTL/hop limit with a valid header checksum and refuses at 1', () => {
    const b = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1', ttl: 64 })
      .udp({ sport: 1, dport: 2 })
      .build();
    const f = new Flow();
    parseFlow(b, b.length, f);
    assert.ok(decrementTtl(b, f));
    assert.equal(b[14 + 8], 63);
    assert.ok(verifyIPv4Checksum(b, 14));
    const one = pkt()
      .eth()
      .ipv6({ src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 1 })
      .udp({ sport: 1, dport: 2 })
      .build();
    parseFlow(one, one.length, f);
    assert.equal(decrementTtl(one, f), false);
    assert.equal(one[14 + 7], 1);
  });
});
