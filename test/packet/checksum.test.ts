import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  computeL4Checksum,
  csumReplace16,
  csumReplace32,
  Flow,
  fillPartialChecksum,
  fold,
  IPPROTO,
  internetChecksum,
  ipv4HeaderChecksum,
  PARSE,
  parseFlow,
  sum16,
  updateChecksumBytes,
  verifyIPv4Checksum,
  verifyL4Checksum,
} from '../../src/packet/index.js';
import { completeChecksum } from '../../src/packet/rewrite.js';
import { pkt } from '../helpers/packet-builder.js';

/** Two frames captured on lo with tshark: a connect() SYN to a closed port and the kernel's RST. */
const CAPTURED_SYN_PARTIAL =
  '00000000000000000000000008004500003c55f940004006e6c07f0000017f000001c00ab26e4420279700000000a002ffd7fe3000000204ffd70402080a1b469dee000000000103030a';
const CAPTURED_RST =
  '0000000000000000000000000800450000280000400040063cce7f0000017f000001b26ec00a000000004420279850140000d39c0000';

/** Equal as ones-complement numbers: 0x0000 and 0xFFFF are both zero. */
function sameCsum(a: number, b: number): boolean {
  return a === b || (a === 0 && b === 0xffff) || (a === 0xffff && b === 0);
}

describe('full checksums', () => {
  it('matches the RFC 1071 §3 worked example', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(fold(sum16(b, 0, 8)), 0xddf2);
    assert.equal(internetChecksum(b, 0, 8), 0x220d);
  });

  it('pads an odd trailing byte with zero', () => {
    assert.equal(internetChecksum(new Uint8Array([0x12, 0x34, 0x56]), 0, 3), ~(0x1234 + 0x5600) & 0xffff);
  });

  it('computes the header checksum of a real IPv4 header (0xb861)', () => {
    const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    assert.equal(ipv4HeaderChecksum(h, 0, 20), 0xb861);
    h.writeUInt16BE(0xb861, 10);
    assert.ok(verifyIPv4Checksum(h, 0));
  });

  it('reproduces the TCP checksum of a captured kernel RST (0xd39c)', () => {
    const f = Buffer.from(CAPTURED_RST, 'hex');
    const flow = new Flow();
    assert.equal(parseFlow(f, f.length, flow), PARSE.OK);
    assert.equal(computeL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP), 0xd39c);
    assert.ok(verifyL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP));
  });

  it('completes a captured CHECKSUM_PARTIAL SYN to the checksum tshark expects (0xb899)', () => {
    const f = Buffer.from(CAPTURED_SYN_PARTIAL, 'hex');
    const flow = new Flow();
    assert.equal(parseFlow(f, f.length, flow), PARSE.OK);
    assert.equal(f.readUInt16BE(flow.l4Off + 16), 0xfe30);
    assert.equal(verifyL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP), false);
    assert.ok(completeChecksum(f, flow));
    assert.equal(f.readUInt16BE(flow.l4Off + 16), 0xb899);
    assert.ok(verifyL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP));
    // And the partial form we write for tests is exactly what the kernel left in the field.
    fillPartialChecksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP);
    assert.equal(f.readUInt16BE(flow.l4Off + 16), 0xfe30);
  });

  it('completes partial TCP, UDP and ICMPv6 checksums built over IPv4 and IPv6', () => {
    const flow = new Flow();
    const frames = [
      pkt()
        .eth()
        .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
        .tcp({ sport: 40000, dport: 80, csum: 'partial' })
        .payload('abc'),
      pkt()
        .eth()
        .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
        .udp({ sport: 40000, dport: 9999, csum: 'partial' })
        .payload('abcde'),
      pkt()
        .eth()
        .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
        .udp({ sport: 1, dport: 2, csum: 'partial' })
        .payload('x'),
      pkt()
        .eth()
        .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
        .icmpv6({ type: 128, id: 1, seq: 2, csum: 'partial' })
        .payload(7),
    ];
    for (const b of frames) {
      const f = b.build();
      assert.equal(parseFlow(f, f.length, flow), PARSE.OK);
      assert.equal(verifyL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, flow.proto), false);
      completeChecksum(f, flow);
      assert.ok(verifyL4Checksum(f, flow.l3Off, flow.l4Off, flow.ipEnd, flow.proto));
    }
  });

  it('sends a computed UDP checksum of 0 as 0xFFFF and treats a stored IPv4 0 as "none"', () => {
    const base = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
      .udp({ sport: 1, dport: 2 })
      .payload(2)
      .build();
    const c = base.readUInt16BE(14 + 20 + 6);
    // A payload word equal to the checksum makes the ones-complement sum all ones.
    const p = Buffer.alloc(2);
    p.writeUInt16BE(c);
    const f = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
      .udp({ sport: 1, dport: 2 })
      .payload(p)
      .build();
    assert.equal(computeL4Checksum(f, 14, 34, f.length, IPPROTO.UDP), 0xffff);
    assert.ok(verifyL4Checksum(f, 14, 34, f.length, IPPROTO.UDP));
    const none = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
      .udp({ sport: 1, dport: 2, csum: 'zero' })
      .payload('q')
      .build();
    assert.ok(verifyL4Checksum(none, 14, 34, none.length, IPPROTO.UDP));
  });

  it('detects a deliberately bad checksum', () => {
    const f = pkt()
      .eth()
      .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
      .tcp({ sport: 1, dport: 2, csum: 'bad' })
      .build();
    assert.equal(verifyL4Checksum(f, 14, 34, f.length, IPPROTO.TCP), false);
  });
});

describe('incremental checksums (RFC 1624)', () => {
  it('replacing a 16-bit or 32-bit field equals recomputing the sum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, at, val) => {
          const b = Uint8Array.from(data.length % 2 ? [...data, 0] : data);
          const words = b.length / 2;
          const w = (at % Math.max(1, words - 1)) * 2;
          const before = internetChecksum(b, 0, b.length);
          const old16 = (b[w]! << 8) | b[w + 1]!;
          const new16 = val & 0xffff;
          const c16 = csumReplace16(before, old16, new16);
          const b16 = Uint8Array.from(b);
          b16[w] = new16 >>> 8;
          b16[w + 1] = new16 & 0xff;
          assert.ok(sameCsum(c16, internetChecksum(b16, 0, b16.length)));
          if (w + 4 <= b.length) {
            const old32 = ((b[w]! << 24) | (b[w + 1]! << 16) | (b[w + 2]! << 8) | b[w + 3]!) >>> 0;
            const b32 = Uint8Array.from(b);
            b32[w] = val >>> 24;
            b32[w + 1] = (val >>> 16) & 0xff;
            b32[w + 2] = (val >>> 8) & 0xff;
            b32[w + 3] = val & 0xff;
            assert.ok(sameCsum(csumReplace32(before, old32, val), internetChecksum(b32, 0, b32.length)));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('updating for a 16-byte field change equals recomputing (IPv6 addresses)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (data, addr) => {
          const b = Uint8Array.from(data);
          const cs = new Uint8Array(2);
          cs[0] = internetChecksum(b, 0, 40) >>> 8;
          cs[1] = internetChecksum(b, 0, 40) & 0xff;
          updateChecksumBytes(cs, 0, b, 8, addr, 0, 16);
          b.set(addr, 8);
          assert.ok(sameCsum((cs[0]! << 8) | cs[1]!, internetChecksum(b, 0, 40)));
        },
      ),
    );
  });
});
