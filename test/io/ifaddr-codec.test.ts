import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeIfAddrs } from '../../src/io/netlink/ifaddr-codec.js';

// One RTM_NEWADDR message (little-endian host) with the given attributes.
function msg(o: {
  family: number;
  prefixlen: number;
  flags?: number;
  scope?: number;
  index: number;
  attrs: [number, number[]][];
  type?: number;
}): number[] {
  const body: number[] = [o.family, o.prefixlen, o.flags ?? 0, o.scope ?? 0, ...u32(o.index)];
  for (const [type, data] of o.attrs) {
    const len = 4 + data.length;
    body.push(len & 255, len >> 8, type & 255, type >> 8, ...data);
    while (body.length % 4) body.push(0);
  }
  const total = 16 + body.length;
  return [...u32(total), o.type ?? 20, 0, 2, 0, ...u32(1), ...u32(0), ...body];
}
function u32(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
}
const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

describe('rtnetlink RTM_NEWADDR decoding (linux/if_addr.h)', () => {
  it('reads family, address, prefix, index and the secondary flag', () => {
    const b = Uint8Array.from([
      ...msg({
        family: 2,
        prefixlen: 24,
        index: 3,
        attrs: [
          [1, [192, 0, 2, 1]],
          [2, [192, 0, 2, 1]],
        ],
      }),
      ...msg({ family: 2, prefixlen: 24, flags: 1, index: 3, attrs: [[2, [192, 0, 2, 2]]] }),
      ...msg({ family: 10, prefixlen: 64, scope: 0, index: 4, attrs: [[1, v6]] }),
    ]);
    assert.deepEqual(decodeIfAddrs(b, b.length, true), [
      {
        index: 3,
        family: 'IPv4',
        address: '192.0.2.1',
        prefixlen: 24,
        secondary: false,
        tentative: false,
        scope: 0,
      },
      {
        index: 3,
        family: 'IPv4',
        address: '192.0.2.2',
        prefixlen: 24,
        secondary: true,
        tentative: false,
        scope: 0,
      },
      {
        index: 4,
        family: 'IPv6',
        address: '2001:db8::1',
        prefixlen: 64,
        secondary: false,
        tentative: false,
        scope: 0,
      },
    ]);
  });

  it('takes IFA_LOCAL over IFA_ADDRESS (a point-to-point link names its peer there)', () => {
    const b = Uint8Array.from(
      msg({
        family: 2,
        prefixlen: 32,
        index: 5,
        attrs: [
          [1, [203, 0, 113, 2]],
          [2, [203, 0, 113, 1]],
        ],
      }),
    );
    assert.equal(decodeIfAddrs(b, b.length, true)[0]?.address, '203.0.113.1');
  });

  it('takes the flags from IFA_FLAGS when present (tentative, secondary)', () => {
    const b = Uint8Array.from(
      msg({
        family: 10,
        prefixlen: 64,
        index: 2,
        attrs: [
          [1, v6],
          [8, u32(0x40)],
        ],
      }),
    );
    assert.equal(decodeIfAddrs(b, b.length, true)[0]?.tentative, true);
  });

  it('skips other message types and families, and stops at a truncated message', () => {
    const good = msg({ family: 2, prefixlen: 8, index: 1, attrs: [[2, [127, 0, 0, 1]]] });
    const b = Uint8Array.from([
      ...msg({ family: 2, prefixlen: 8, index: 1, type: 16, attrs: [[2, [127, 0, 0, 1]]] }),
      ...msg({ family: 17, prefixlen: 0, index: 1, attrs: [] }),
      ...good,
      ...good.slice(0, 20),
    ]);
    assert.deepEqual(
      decodeIfAddrs(b, b.length, true).map((r) => r.address),
      ['127.0.0.1'],
    );
    // `len` bounds the walk even when the buffer holds more.
    assert.deepEqual(decodeIfAddrs(b, 10, true), []);
  });

  it('never throws and returns only well-formed records, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(700), fc.boolean(), (b, len, le) => {
        for (const r of decodeIfAddrs(b, len, le)) {
          assert.ok(r.family === 'IPv4' || r.family === 'IPv6');
          assert.ok(r.prefixlen >= 0 && r.prefixlen <= 255);
          assert.match(r.address, r.family === 'IPv4' ? /^\d+\.\d+\.\d+\.\d+$/ : /:/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes what a valid message encodes, for random addresses (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.nat(1 << 20), (ip, plen, index) => {
        const bytes = ip.split('.').map(Number);
        const b = Uint8Array.from(msg({ family: 2, prefixlen: plen, index, attrs: [[2, bytes]] }));
        const r = decodeIfAddrs(b, b.length, true);
        assert.equal(r.length, 1);
        assert.equal(r[0]?.address, ip);
        assert.equal(r[0]?.index, index);
        assert.equal(r[0]?.prefixlen, plen);
      }),
    );
  });
});
