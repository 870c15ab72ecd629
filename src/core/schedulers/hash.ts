/**
 * Hash functions of the kernel's hash schedulers: hash_32 (include/linux/hash.h, used by sh, dh,
 * lblc and lblcr in current kernels) and hsiphash as built on 64-bit kernels (lib/siphash.c:
 * SipHash-1-3 with 64-bit keys, truncated to 32 bits), used by mh. Written for the hot path: no
 * allocation, 32-bit halves instead of BigInt.
 */

/** GOLDEN_RATIO_32 of include/linux/hash.h. */
const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits): multiply by GOLDEN_RATIO_32 mod 2^32 and keep the top `bits` bits. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val, GOLDEN_RATIO_32) >>> (32 - bits);
}

/**
 * Folds 4 or 16 address bytes into one host-order u32 as the hash schedulers do (IPv6: XOR of the
 * four 32-bit words, then ntohl). Same result as addr.ts foldAddr, without a closure per call.
 * `n` limits the fold to the first n bytes (mh folds only the first word for an IPv4 service).
 */
export function foldBytes(b: Uint8Array, n: number = b.length): number {
  let v = 0;
  for (let i = 0; i + 3 < n; i += 4) {
    v ^=
      ((b[i] as number) << 24) |
      ((b[i + 1] as number) << 16) |
      ((b[i + 2] as number) << 8) |
      (b[i + 3] as number);
  }
  return v >>> 0;
}

/** SipHash state words as 32-bit halves: v0 hi/lo, v1 hi/lo, v2 hi/lo, v3 hi/lo. */
const s = new Uint32Array(8);

/** One SipRound (SIPHASH_PERMUTATION of include/linux/siphash.h) on the 64-bit words in `s`. */
function sipRound(): void {
  let v0h = s[0] as number;
  let v0l = s[1] as number;
  let v1h = s[2] as number;
  let v1l = s[3] as number;
  let v2h = s[4] as number;
  let v2l = s[5] as number;
  let v3h = s[6] as number;
  let v3l = s[7] as number;
  let t: number;
  let u: number;
  // v0 += v1; v1 = rol(v1, 13); v1 ^= v0; v0 = rol(v0, 32)
  t = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0;
  v0l = t;
  t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
  u = ((v1l << 13) | (v1h >>> 19)) >>> 0;
  v1h = (t ^ v0h) >>> 0;
  v1l = (u ^ v0l) >>> 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rol(v3, 16); v3 ^= v2
  t = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0;
  v2l = t;
  t = ((v3h << 16) | (v3l >>> 16)) >>> 0;
  u = ((v3l << 16) | (v3h >>> 16)) >>> 0;
  v3h = (t ^ v2h) >>> 0;
  v3l = (u ^ v2l) >>> 0;
  // v0 += v3; v3 = rol(v3, 21); v3 ^= v0
  t = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0;
  v0l = t;
  t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
  u = ((v3l << 21) | (v3h >>> 11)) >>> 0;
  v3h = (t ^ v0h) >>> 0;
  v3l = (u ^ v0l) >>> 0;
  // v2 += v1; v1 = rol(v1, 17); v1 ^= v2; v2 = rol(v2, 32)
  t = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0;
  v2l = t;
  t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
  u = ((v1l << 17) | (v1h >>> 15)) >>> 0;
  v1h = (t ^ v2h) >>> 0;
  v1l = (u ^ v2l) >>> 0;
  t = v2h;
  v2h = v2l;
  v2l = t;
  s[0] = v0h;
  s[1] = v0l;
  s[2] = v1h;
  s[3] = v1l;
  s[4] = v2h;
  s[5] = v2l;
  s[6] = v3h;
  s[7] = v3l;
}

/** A 128-bit hsiphash key as it sits in a 64-bit kernel: two u64 words, each as hi/lo halves. */
export interface HsipKey {
  k0h: number;
  k0l: number;
  k1h: number;
  k1l: number;
}

/** Builds a key from its two u64 words given as non-negative integers below 2^53. */
export function hsipKey(k0: number, k1: number): HsipKey {
  return {
    k0h: Math.floor(k0 / 2 ** 32) >>> 0,
    k0l: k0 >>> 0,
    k1h: Math.floor(k1 / 2 ** 32) >>> 0,
    k1l: k1 >>> 0,
  };
}

/**
 * hsiphash(&v, 4, key) on a 64-bit little-endian kernel (lib/siphash.c hsiphash_1u32 with
 * BITS_PER_LONG == 64): SipHash-1-3 over one 4-byte message, the low 32 bits of v0^v1^v2^v3.
 */
export function hsiphash32(v: number, key: HsipKey): number {
  // PREAMBLE: v0..v3 = "somepseudorandomlygeneratedbytes" ^ key words.
  s[0] = (0x736f6d65 ^ key.k0h) >>> 0;
  s[1] = (0x70736575 ^ key.k0l) >>> 0;
  s[2] = (0x646f7261 ^ key.k1h) >>> 0;
  s[3] = (0x6e646f6d ^ key.k1l) >>> 0;
  s[4] = (0x6c796765 ^ key.k0h) >>> 0;
  s[5] = (0x6e657261 ^ key.k0l) >>> 0;
  s[6] = (0x74656462 ^ key.k1h) >>> 0;
  s[7] = (0x79746573 ^ key.k1l) >>> 0;
  // b = (len << 56) | le32(v); a 4-byte message has no full 8-byte block.
  const bh = 0x04000000;
  const bl = v >>> 0;
  s[6] = ((s[6] as number) ^ bh) >>> 0;
  s[7] = ((s[7] as number) ^ bl) >>> 0;
  sipRound();
  s[0] = ((s[0] as number) ^ bh) >>> 0;
  s[1] = ((s[1] as number) ^ bl) >>> 0;
  s[5] = ((s[5] as number) ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  return ((s[1] as number) ^ (s[3] as number) ^ (s[5] as number) ^ (s[7] as number)) >>> 0;
}
