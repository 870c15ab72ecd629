import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fragCount4, writeFragment4 } from '../../src/forward/frag4.js';
import { verifyIPv4Checksum } from '../../src/packet/checksum.js';
import { pkt } from '../helpers/packet-builder.js';

describe('IPv4 fragmentation (ip_do_fragment)', () => {
  it('any packet cut for any MTU reassembles to its payload, each fragment valid and within the MTU', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 28, max: 1500 }), (size, mtu) => {
        const p = pkt()
          .ipv4({ src: '192.0.2.1', dst: '192.0.2.10', id: 77 })
          .udp({ sport: 1, dport: 2 })
          .payload(size)
          .build();
        const total = p.length;
        const n = fragCount4(total, mtu);
        assert.ok(n >= 1);
        const dst = new Uint8Array(mtu);
        const parts: Buffer[] = [];
        let next = 0;
        for (let k = 0; k < n; k++) {
          const len = writeFragment4(p, 0, total, mtu, k, dst, 0);
          assert.ok(len <= mtu && len > 20);
          assert.ok(verifyIPv4Checksum(dst, 0));
          const f = (dst[6]! << 8) | dst[7]!;
          assert.equal((f & 0x1fff) * 8, next, 'offsets follow each other');
          assert.equal((f & 0x2000) !== 0, k < n - 1, 'MF on all but the last');
          assert.equal((dst[4]! << 8) | dst[5]!, 77);
          assert.equal((dst[2]! << 8) | dst[3]!, len);
          parts.push(Buffer.from(dst.subarray(20, len)));
          next += len - 20;
        }
        assert.ok(Buffer.concat(parts).equals(Buffer.from(p.subarray(20))));
      }),
    );
  });

  it('an MTU too small for 8 bytes of payload cannot fragment', () => {
    assert.equal(fragCount4(100, 27), -1);
  });
});
