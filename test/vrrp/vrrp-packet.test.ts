import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Af, formatIpBytes } from '../../src/core/addr.js';
import { VrrpError } from '../../src/vrrp/vrrp-error.js';
import {
  buildVrrpAdvert,
  decodeVrrp,
  encodeVrrp,
  fillVrrpChecksum,
  type VrrpAdvert,
  verifyVrrpChecksum,
  vrrpCodec,
} from '../../src/vrrp/vrrp-packet.js';

interface Golden {
  readonly name: string;
  readonly af: Af;
  readonly src: string;
  readonly dst: string;
  readonly hex: string;
}
const golden: Golden[] = JSON.parse(
  readFileSync(new URL('../fixtures/vrrp/golden.json', import.meta.url), 'utf8'),
) as Golden[];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pass = (s: string) => {
  const b = new Uint8Array(8);
  b.set(Buffer.from(s).subarray(0, 8));
  return b;
};

describe('VRRP advert bytes', () => {
  it('a v2 advert with no auth has the hand-computed checksum 0xf210 (RFC 3768 §5.3.8, no pseudo-header)', () => {
    const bytes = buildVrrpAdvert(
      {
        version: 2,
        type: 1,
        vrid: 51,
        priority: 100,
        interval: 1,
        addrs: ['192.168.200.16'],
        authType: 0,
        authData: new Uint8Array(8),
      },
      { af: 4, src: '10.0.0.1', dst: '224.0.0.18' },
    );
    // 2133 6401 0001 [csum] c0a8 c810 + 8 zero auth bytes; the sum 0x20ded folds to 0x0def, ~ = 0xf210.
    assert.equal(hex(bytes), '213364010001f210c0a8c8100000000000000000');
  });

  it('a v3 IPv4 checksum covers the pseudo-header: the same advert differs by destination', () => {
    const v = { version: 3, type: 1, vrid: 1, priority: 100, interval: 100, addrs: ['10.1.1.1'] } as const;
    const fields = { ...v, authType: 0, authData: new Uint8Array(0) };
    const mc = buildVrrpAdvert(fields, { af: 4, src: '10.0.0.1', dst: '224.0.0.18' });
    const uc = buildVrrpAdvert(fields, { af: 4, src: '10.0.0.1', dst: '10.0.0.2' });
    const plain = buildVrrpAdvert(fields, { af: 4, src: '10.0.0.1', dst: '224.0.0.18', asV2: true });
    // Message words 3101 6401 0064 0a01 0101 sum to 0xa068; pseudo adds 0a00+0001+e000+0012+0070+000c.
    assert.equal(hex(plain), '3101640100645f970a010101'); // ~0xa068 = 0x5f97
    const pseudoMc = 0xa068 + 0x0a00 + 0x0001 + 0xe000 + 0x0012 + 0x0070 + 0x000c;
    const folded = (pseudoMc & 0xffff) + (pseudoMc >>> 16);
    assert.equal(hex(mc.subarray(6, 8)), (~folded & 0xffff).toString(16).padStart(4, '0'));
    assert.notEqual(hex(mc), hex(uc));
    assert.ok(verifyVrrpChecksum(uc, 0, uc.length, { af: 4, src: '10.0.0.1', dst: '10.0.0.2' }));
    assert.ok(!verifyVrrpChecksum(uc, 0, uc.length, { af: 4, src: '10.0.0.1', dst: '224.0.0.18' }));
  });

  for (const g of golden) {
    it(`matches Scapy byte for byte: ${g.name}`, () => {
      const bytes = Buffer.from(g.hex, 'hex');
      const ctx = { af: g.af, src: g.src, dst: g.dst };
      const adv = decodeVrrp(bytes, 0, g.af);
      assert.ok(verifyVrrpChecksum(bytes, 0, bytes.length, ctx), 'Scapy checksum verifies');
      const { checksum: _c, ...fields } = adv;
      assert.equal(hex(buildVrrpAdvert(fields, ctx)), g.hex, 'our encoder gives the same bytes');
    });
  }

  it('decodes the Scapy v2 PASS advert fields', () => {
    const g = golden.find((x) => x.name.startsWith('v2 PASS'))!;
    const adv = decodeVrrp(Buffer.from(g.hex, 'hex'), 0, 4);
    assert.deepEqual(
      { ...adv, authData: hex(adv.authData) },
      {
        version: 2,
        type: 1,
        vrid: 7,
        priority: 150,
        interval: 3,
        checksum: 0x4b60,
        addrs: ['192.168.200.16', '192.168.200.17', '192.168.200.18'],
        authType: 1,
        authData: hex(pass('1111')),
      },
    );
  });

  it('decodes the Scapy v3 IPv6 advert with the 12-bit interval', () => {
    const g = golden.find((x) => x.name === 'v3 IPv6 multicast')!;
    const adv = decodeVrrp(Buffer.from(g.hex, 'hex'), 0, 6);
    assert.equal(adv.interval, 4095);
    assert.deepEqual(adv.addrs, ['fe80::10', '2001:db8::10']);
  });

  it('rejects short, wrong-version and v2-over-IPv6 input with coded errors', () => {
    const g = Buffer.from(golden[0]!.hex, 'hex');
    assert.throws(() => decodeVrrp(g.subarray(0, 7), 0, 4), { code: 'VRRP_TRUNCATED' });
    assert.throws(() => decodeVrrp(g.subarray(0, g.length - 1), 0, 4), { code: 'VRRP_TRUNCATED' });
    const bad = Buffer.from(g);
    bad[0] = 0x41;
    assert.throws(() => decodeVrrp(bad, 0, 4), { code: 'VRRP_BAD_VERSION' });
    assert.throws(() => decodeVrrp(g, 0, 6), { code: 'VRRP_BAD_FAMILY' });
    const adv = decodeVrrp(g, 0, 4);
    assert.throws(() => encodeVrrp(adv, new Uint8Array(10), 0, 4), { code: 'VRRP_NO_SPACE' });
    assert.throws(() => encodeVrrp({ ...adv, version: 3, interval: 4096 }, new Uint8Array(40), 0, 4), {
      code: 'VRRP_BAD_VALUE',
    });
  });

  it('leaves Ethernet padding after the advert alone', () => {
    const g = Buffer.concat([Buffer.from(golden[0]!.hex, 'hex'), Buffer.alloc(6)]);
    assert.deepEqual(decodeVrrp(g, 0, 4).addrs, ['192.168.200.16']);
  });
});

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpBytes);

function advertArb(af: Af): fc.Arbitrary<VrrpAdvert> {
  const addr = af === 4 ? v4 : v6;
  const common = {
    type: fc.nat(15),
    vrid: fc.nat(255),
    priority: fc.nat(255),
    checksum: fc.nat(0xffff),
    addrs: fc.array(addr, { maxLength: 6 }),
  };
  const v3 = fc.record({
    ...common,
    version: fc.constant(3 as const),
    interval: fc.nat(4095),
    authType: fc.constant(0),
    authData: fc.constant(new Uint8Array(0)),
  });
  if (af === 6) return v3;
  const v2 = fc.record({
    ...common,
    version: fc.constant(2 as const),
    interval: fc.nat(255),
    authType: fc.nat(255),
    authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  });
  return fc.oneof(v2, v3);
}

describe('VRRP codec properties', () => {
  for (const af of [4, 6] as const) {
    it(`IPv${af}: encode then decode gives the advert back, at any offset`, () => {
      const codec = vrrpCodec(af);
      fc.assert(
        fc.property(advertArb(af), fc.nat(16), (adv, off) => {
          const buf = new Uint8Array(off + codec.encodingLength(adv));
          assert.equal(codec.encode(adv, buf, off), buf.length - off);
          assert.deepEqual(codec.decode(buf, off), { ...adv });
        }),
      );
    });

    it(`IPv${af}: decode of arbitrary bytes returns or throws a VrrpError, nothing else`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, off) => {
          try {
            decodeVrrp(bytes, off, af);
          } catch (e) {
            assert.ok(e instanceof VrrpError, String(e));
          }
        }),
      );
    });
  }

  it('a filled checksum always verifies, and flipping any byte breaks it', () => {
    fc.assert(
      fc.property(advertArb(4), fc.nat(), (adv, flip) => {
        const buf = new Uint8Array(vrrpCodec(4).encodingLength(adv));
        encodeVrrp(adv, buf, 0, 4);
        const ctx = { af: 4, src: '10.0.0.1', dst: '224.0.0.18' } as const;
        fillVrrpChecksum(buf, 0, buf.length, ctx);
        assert.ok(verifyVrrpChecksum(buf, 0, buf.length, ctx));
        const i = flip % buf.length;
        // A one's complement sum cannot tell 0x00 from 0xff in one position only when paired; flip one bit.
        buf[i] = buf[i]! ^ 0x01;
        assert.ok(!verifyVrrpChecksum(buf, 0, buf.length, ctx));
      }),
    );
  });
});
