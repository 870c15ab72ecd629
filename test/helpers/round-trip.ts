/**
 * The shared codec check (dns-packet's testEncoder): encode → decode →
 * re-encode gives the same bytes, the byte count equals encodingLength, encoding at offset 10 of a
 * larger buffer writes the same bytes and nothing else, and short buffers fail with coded errors.
 */
import assert from 'node:assert/strict';

/** A codec in the project's contract shape. */
export interface Codec<T> {
  encode(v: T, buf: Uint8Array, off: number): number;
  decode(buf: Uint8Array, off: number): T;
  encodingLength(v: T): number;
}

/** Runs every round-trip assertion for `value`; returns the encoded bytes and the decoded value. */
export function roundTrip<T>(codec: Codec<T>, value: T): { bytes: Uint8Array; decoded: T } {
  const len = codec.encodingLength(value);
  const bytes = new Uint8Array(len);
  assert.equal(codec.encode(value, bytes, 0), len, 'encode returns encodingLength');
  const decoded = codec.decode(bytes, 0);
  const again = new Uint8Array(len);
  assert.equal(codec.encode(decoded, again, 0), len, 're-encode length');
  assert.deepEqual(again, bytes, 'encode(decode(encode(v))) equals encode(v)');

  const big = new Uint8Array(len + 20).fill(0xa5);
  assert.equal(codec.encode(value, big, 10), len, 'encode at offset 10');
  assert.deepEqual(big.subarray(10, 10 + len), bytes, 'same bytes at offset 10');
  assert.ok(
    big.subarray(0, 10).every((b) => b === 0xa5),
    'nothing written before the offset',
  );
  assert.ok(
    big.subarray(10 + len).every((b) => b === 0xa5),
    'nothing written after the encoding',
  );
  assert.deepEqual(codec.decode(big, 10), decoded, 'decode at offset 10');

  if (len > 0) {
    assert.throws(() => codec.encode(value, new Uint8Array(len - 1), 0), { code: 'ERR_PACKET_NO_SPACE' });
    assert.throws(() => codec.decode(bytes.subarray(0, len - 1), 0), { code: 'ERR_PACKET_TRUNCATED' });
  }
  return { bytes, decoded };
}
