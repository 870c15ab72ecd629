import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TUN_TYPE } from '../../src/core/types.js';
import { writeIPv4Header, writeIPv4HeaderWords } from '../../src/forward/frame.js';
import { ipipEncap4, TunParams, tunEncap } from '../../src/forward/tun.js';

// The tunnel fast path's word-store header writers must produce exactly the bytes of the byte-wise
// writers the general path uses, checksum included, for any field values and (unaligned) offset.

const u32 = fc.integer({ min: 0, max: 0xffffffff });

test('writeIPv4HeaderWords writes the same 20 bytes as writeIPv4Header', () => {
  fc.assert(
    fc.property(
      fc.record({
        off: fc.nat(7),
        tos: fc.nat(255),
        len: fc.integer({ min: 20, max: 65535 }),
        id: fc.nat(65535),
        df: fc.boolean(),
        ttl: fc.nat(255),
        proto: fc.nat(255),
        src: u32,
        dst: u32,
        asInt: fc.boolean(),
      }),
      (h) => {
        // Addresses arrive as u32 or as the same bits in an int32; both must give the same header.
        const src = h.asInt ? h.src | 0 : h.src;
        const dst = h.asInt ? h.dst | 0 : h.dst;
        const a = new Uint8Array(32).fill(0xee);
        const b = new Uint8Array(32).fill(0xee);
        writeIPv4Header(a, h.off, h.tos, h.len, h.id, h.df, h.ttl, h.proto, h.src, h.dst);
        writeIPv4HeaderWords(
          new DataView(b.buffer),
          h.off,
          h.tos,
          h.len,
          h.id,
          h.df,
          h.ttl,
          h.proto,
          src,
          dst,
        );
        assert.deepEqual(b, a);
      },
    ),
    { numRuns: 500 },
  );
});

test('ipipEncap4 writes the outer header tunEncap writes for IPIP (ECN CE mapped to ECT(0))', () => {
  fc.assert(
    fc.property(
      fc.nat(255),
      fc.nat(255),
      fc.boolean(),
      fc.nat(65535),
      u32,
      u32,
      (tos, ttl, df, id, src, dst) => {
        const a = new Uint8Array(96).fill(0x5a);
        const b = new Uint8Array(96).fill(0x5a);
        const p = new TunParams();
        p.type = TUN_TYPE.IPIP;
        p.src4 = src;
        p.dst4 = dst;
        p.id = id;
        const oa = tunEncap(a, 37, 40, 4, tos, ttl, df, 0, p);
        const ob = ipipEncap4(new DataView(b.buffer), 37, 40, tos, ttl, df, id, src | 0, dst | 0);
        assert.equal(ob, oa);
        assert.deepEqual(b, a);
      },
    ),
    { numRuns: 300 },
  );
});
