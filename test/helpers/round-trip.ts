/**
 * The shared codec check (dns-packet's testEncoder): encode → decode → re-encode gives the same
 * bytes, the byte count equals encodingLength, encoding at offset 10 of a larger buffer writes the
 * same bytes and nothing else, and short buffers fail with coded errors.
 */
import assert from 'node:assert/strict';
import type { Codec } from '../../src/packet/codec.js';
import { PACKET_ERR } from '../../src/packet/index.js';
import { PacketError } from '../../src/packet/packet-error.js';

export type { Codec };

const CODES = new Set<string>(Object.values(PACKET_ERR));

/** Runs `fn`; passes if it returns or throws a PacketError with a PACKET_ERR code, fails otherwise. */
export function returnsOrThrowsCoded(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PacketError, `threw a non-PacketError: ${String(e)}`);
    assert.ok(CODES.has(e.code), `unknown code ${e.code}`);
  }
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
  // A codec that reads to the end of the buffer is handed one cut at the encoding's end.
  const at10 = codec.extent === 'self' ? big : big.subarray(0, 10 + len);
  assert.deepEqual(codec.decode(at10, 10), decoded, 'decode at offset 10');

  if (len > 0) {
    assert.throws(() => codec.encode(value, new Uint8Array(len - 1), 0), { code: 'ERR_PACKET_NO_SPACE' });
    const short = bytes.subarray(0, len - 1);
    // A self-delimited encoding cut short is always truncated; a buffer-delimited one (a TCP option
    // list) may still be a shorter valid value, so it need only fail cleanly if it fails.
    if (codec.extent === 'self')
      assert.throws(() => codec.decode(short, 0), { code: 'ERR_PACKET_TRUNCATED' });
    else returnsOrThrowsCoded(() => codec.decode(short, 0));
  }
  return { bytes, decoded };
}
