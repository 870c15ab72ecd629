import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { foldAddr } from '../../../src/core/addr.js';
import { foldBytes, hash32, hsiphash32, hsipKey } from '../../../src/core/schedulers/hash.js';

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M64;

/** Textbook SipHash-c-d over bytes with a 128-bit key, in BigInt: the independent reference. */
function sipRef(c: number, d: number, k0: bigint, k1: bigint, msg: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const full = msg.length - (msg.length % 8);
  const word = (at: number, n: number) => {
    let w = 0n;
    for (let i = n - 1; i >= 0; i--) w = (w << 8n) | BigInt(msg[at + i] as number);
    return w;
  };
  for (let i = 0; i < full; i += 8) {
    const m = word(i, 8);
    v3 ^= m;
    for (let r = 0; r < c; r++) round();
    v0 ^= m;
  }
  const b = (BigInt(msg.length & 255) << 56n) | word(full, msg.length - full);
  v3 ^= b;
  for (let r = 0; r < c; r++) round();
  v0 ^= b;
  v2 ^= 0xffn;
  for (let r = 0; r < d; r++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const le = (b: Uint8Array, at: number) => {
  let w = 0n;
  for (let i = 7; i >= 0; i--) w = (w << 8n) | BigInt(b[at + i] as number);
  return w;
};

test('the BigInt SipHash reference reproduces the SipHash-2-4 paper vectors', () => {
  assert.equal(sipRef(2, 4, le(KEY, 0), le(KEY, 8), new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
  assert.equal(sipRef(2, 4, le(KEY, 0), le(KEY, 8), msg), 0xa129ca6149be45e5n);
});

test('hsiphash32 is SipHash-1-3 of the 4-byte little-endian value, low 32 bits (64-bit kernel hsiphash)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.bigInt({ min: 0n, max: M64 }),
      fc.bigInt({ min: 0n, max: M64 }),
      (v, k0, k1) => {
        const key = {
          k0h: Number(k0 >> 32n),
          k0l: Number(k0 & 0xffffffffn),
          k1h: Number(k1 >> 32n),
          k1l: Number(k1 & 0xffffffffn),
        };
        const msg = new Uint8Array([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24]);
        assert.equal(hsiphash32(v, key), Number(sipRef(1, 3, k0, k1, msg) & 0xffffffffn));
      },
    ),
  );
  // The mh keys: both words 2654435761 (hash1) and 2654446892 (hash2), upper halves zero.
  const k = hsipKey(2654435761, 2654435761);
  assert.deepEqual(k, { k0h: 0, k0l: 2654435761, k1h: 0, k1l: 2654435761 });
  assert.equal(
    hsiphash32(1234, k),
    Number(sipRef(1, 3, 2654435761n, 2654435761n, new Uint8Array([210, 4, 0, 0])) & 0xffffffffn),
  );
});

test('hash32 is the top bits of val * 0x61C88647 mod 2^32 (include/linux/hash.h)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 31 }), (v, bits) => {
      const want = Number(((BigInt(v) * 0x61c88647n) & 0xffffffffn) >> BigInt(32 - bits));
      assert.equal(hash32(v, bits), want);
    }),
  );
  assert.equal(hash32(1, 8), 0x61);
});

test('foldBytes equals addr.ts foldAddr for IPv4 and IPv6', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
      (b) => {
        assert.equal(foldBytes(b), foldAddr(b));
      },
    ),
  );
});
