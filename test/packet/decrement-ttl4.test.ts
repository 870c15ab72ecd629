import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Flow, parseFlow } from '../../src/packet/flow.js';
import { decrementTtl, decrementTtl4 } from '../../src/packet/rewrite.js';
import { pkt } from '../helpers/packet-builder.js';

// The fast path's word-wise TTL decrement must leave the bytes and the Flow that the byte-wise
// decrementTtl (the general path's) leaves, for every TTL above 1 and every header checksum.

test('decrementTtl4 writes the same bytes and Flow as decrementTtl', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 255 }),
      fc.nat(0xffff),
      fc.constantFrom(0, 1, 3),
      fc.boolean(),
      (ttl, check, pad, udp) => {
        const b = pkt().eth().ipv4({ src: '192.0.2.1', dst: '198.51.100.7', ttl });
        const frame = Buffer.from(
          (udp ? b.udp({ sport: 1, dport: 2 }) : b.tcp({ sport: 1, dport: 2 })).build(),
        );
        // At an aligned or unaligned frame offset, parsed with its valid header checksum; then the
        // checksum is set to any value (0x0000 and 0xFFFF included) in both copies.
        const buf = Buffer.alloc(frame.length + pad);
        frame.copy(buf, pad);
        const a = Buffer.from(buf);
        const fa = new Flow();
        const fb = new Flow();
        parseFlow(a, a.length - pad, fa, pad);
        parseFlow(buf, buf.length - pad, fb, pad);
        assert.equal(fb.l3Off, pad + 14);
        a.writeUInt16BE(check, pad + 24);
        buf.writeUInt16BE(check, pad + 24);
        assert.equal(decrementTtl(a, fa), true);
        decrementTtl4(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), fb);
        assert.deepEqual(buf, a);
        assert.equal(fb.ttl, fa.ttl);
      },
    ),
    { numRuns: 1000 },
  );
});
