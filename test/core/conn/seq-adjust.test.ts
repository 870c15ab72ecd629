/**
 * TCP sequence adjustment of resized segments: ip_vs_app.c's vs_fix_seq, vs_fix_ack_seq and
 * vs_seq_update, with 32-bit wraparound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fixAckSeq, fixSeq, SEQ_WORDS, seqAfter, seqUpdate } from '../../../src/core/seq-adjust.js';

describe('seq adjust', () => {
  it('after() is serial-number order across the 2^32 wrap', () => {
    assert.equal(seqAfter(5, 3), true);
    assert.equal(seqAfter(3, 5), false);
    assert.equal(seqAfter(3, 3), false);
    assert.equal(seqAfter(2, 0xfffffff0), true);
    assert.equal(seqAfter(0xfffffff0, 2), false);
  });

  it('a fresh record changes nothing', () => {
    const r = new Int32Array(SEQ_WORDS);
    assert.equal(fixSeq(r, 0, 12345), 12345);
    assert.equal(fixAckSeq(r, 0, 12345), 12345);
  });

  it('after one +1 resize at seq S: later segments move by 1, S itself and earlier by 0; acks back', () => {
    const r = new Int32Array(SEQ_WORDS);
    const S = 5000;
    assert.equal(seqUpdate(r, 0, false, S, 1), true);
    assert.equal(fixSeq(r, 0, S), S, 'the resized segment itself keeps its seq');
    assert.equal(fixSeq(r, 0, S + 50), S + 51);
    assert.equal(fixSeq(r, 0, S - 10), S - 10, 'a retransmission before it');
    // The client acks S + 50 + 1 (bytes it saw) → the server must see S + 50.
    assert.equal(fixAckSeq(r, 0, S + 51), S + 50);
    assert.equal(fixAckSeq(r, 0, S), S, 'an ack up to the resized segment');
  });

  it('a retransmitted resized segment does not count twice; a later one adds up', () => {
    const r = new Int32Array(SEQ_WORDS);
    seqUpdate(r, 0, false, 100, 3);
    assert.equal(seqUpdate(r, 0, true, 100, 3), false);
    assert.equal(fixSeq(r, 0, 200), 203);
    assert.equal(seqUpdate(r, 0, true, 300, -2), true);
    assert.equal(fixSeq(r, 0, 400), 401, 'delta 3 - 2');
    assert.equal(fixSeq(r, 0, 250), 253, 'between the two: previous_delta');
  });

  it('wraps: a resize just below 2^32 moves the seq past 0', () => {
    const r = new Int32Array(SEQ_WORDS);
    seqUpdate(r, 0, false, 0xfffffffe, 5);
    assert.equal(fixSeq(r, 0, 0xffffffff), 4);
    assert.equal(fixSeq(r, 0, 10), 15);
    assert.equal(fixAckSeq(r, 0, 15), 10);
    assert.equal(fixAckSeq(r, 0, 4), 0xffffffff);
    // ack == init_seq + delta is not after it: previous_delta (0) applies, as in the kernel.
    assert.equal(fixAckSeq(r, 0, 3), 3);
  });

  it('property: after growing resizes, the ack of a rewritten byte maps back to the original byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 40 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 5000 }),
        (start, resizes, ahead) => {
          const r = new Int32Array(SEQ_WORDS);
          let seq = start;
          let set = false;
          for (const [gap, diff] of resizes) {
            seq = (seq + gap) >>> 0;
            if (seqUpdate(r, 0, set, seq, diff)) set = true;
          }
          const x = (seq + ahead) >>> 0;
          assert.equal(fixAckSeq(r, 0, fixSeq(r, 0, x)), x);
          const total = resizes.reduce((a, [, d]) => a + d, 0);
          assert.equal(fixSeq(r, 0, x), (x + total) >>> 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
