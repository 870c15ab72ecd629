import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trackedPriority } from '../../src/vrrp/vrrp-track.js';
import { parseTrackFileValue, trackFileEffect } from '../../src/vrrp/vrrp-track-file.js';

describe('track_file values, read as keepalived reads them (strtol base 0)', () => {
  const table: [string, number | undefined][] = [
    ['', 0],
    ['\n', 0],
    ['5\n', 5],
    ['  -12 apples', -12],
    ['+7', 7],
    ['0x1f', 31],
    ['010', 8],
    ['09', 0],
    ['0x', 0],
    ['abc', 0],
    ['-', 0],
    ['2147483648', 2147483648],
    ['2147483649', undefined],
    ['-2147483648', -2147483648],
    ['-2147483649', undefined],
  ];
  for (const [text, want] of table)
    it(`${JSON.stringify(text)} reads ${want}`, () => assert.equal(parseTrackFileValue(text), want));

  it('property: any 32-bit integer written in decimal, with white space and a tail, reads back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.constantFrom('', ' ', '\t\n'),
        (n, ws) => {
          assert.equal(parseTrackFileValue(`${ws}${n}\n trailing`), n);
        },
      ),
    );
  });

  it('property: any text reads as an integer or undefined and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const v = parseTrackFileValue(s);
        assert.ok(v === undefined || Number.isSafeInteger(v));
      }),
    );
  });
});

describe('track_file effect on the priority (keepalived track_file.c)', () => {
  it('value × weight is added, negated with reverse, and clamped to 253', () => {
    assert.deepEqual(trackFileEffect(3, 10, false), { delta: 30, fault: false });
    assert.deepEqual(trackFileEffect(3, 10, true), { delta: -30, fault: false });
    assert.deepEqual(trackFileEffect(-2, -20, false), { delta: 40, fault: false });
    assert.deepEqual(trackFileEffect(1000, 1, false), { delta: 253, fault: false });
  });

  it('a product at or below −254 is FAULT', () => {
    assert.deepEqual(trackFileEffect(1, -254, false), { delta: 0, fault: true });
    assert.deepEqual(trackFileEffect(-300, 1, false), { delta: 0, fault: true });
    assert.deepEqual(trackFileEffect(1, -253, false), { delta: -253, fault: false });
  });

  it('weight 0: a non-zero value is FAULT, and with reverse a zero value is', () => {
    assert.equal(trackFileEffect(0, 0, false).fault, false);
    assert.equal(trackFileEffect(7, 0, false).fault, true);
    assert.equal(trackFileEffect(0, 0, true).fault, true);
    assert.equal(trackFileEffect(-1, 0, true).fault, false);
  });

  it('effects add to the base priority, clamp to 1..254, and leave an owner at 255', () => {
    assert.deepEqual(trackedPriority(100, [], [trackFileEffect(2, -30, false)]), {
      priority: 40,
      fault: false,
    });
    assert.deepEqual(trackedPriority(100, [], [trackFileEffect(5, 100, false)]), {
      priority: 254,
      fault: false,
    });
    assert.deepEqual(trackedPriority(100, [], [trackFileEffect(1, -200, false)]), {
      priority: 1,
      fault: false,
    });
    assert.deepEqual(trackedPriority(255, [], [trackFileEffect(1, -50, false)]), {
      priority: 255,
      fault: false,
    });
    assert.deepEqual(trackedPriority(100, [], [trackFileEffect(1, 0, false)]), {
      priority: 100,
      fault: true,
    });
  });
});
