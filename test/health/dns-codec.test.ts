import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DNS_TYPES, decodeMessage, encodeQuery, readName } from '../../src/health/dns-codec.js';
import { PacketError } from '../../src/packet/packet-error.js';

test('encodeQuery writes RFC 1035 header, labels and qtype/qclass', () => {
  const q = encodeQuery({ id: 0x1234, name: 'www.example.com', type: DNS_TYPES.A as number, rd: true });
  assert.equal(
    Buffer.from(q).toString('hex'),
    '12340100000100000000000003777777076578616d706c6503636f6d0000010001',
  );
  const root = encodeQuery({ id: 1, name: '', type: DNS_TYPES.SOA as number, rd: true });
  assert.equal(Buffer.from(root.subarray(12)).toString('hex'), '0000060001');
});

test('decodeMessage round-trips a query and follows compression pointers in answers', () => {
  const q = encodeQuery({ id: 7, name: 'a.test', type: 1, rd: true });
  const ans = Buffer.from([0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 0x0c]);
  const msg = Buffer.concat([Buffer.from(q), ans]);
  msg.writeUInt16BE(0x8180, 2);
  msg.writeUInt16BE(1, 6);
  const m = decodeMessage(msg);
  assert.deepEqual([m.id, m.qr, m.rcode], [7, true, 0]);
  assert.deepEqual(m.questions, [{ name: 'a.test', type: 1 }]);
  assert.deepEqual(m.answers, [{ name: 'a.test', type: 5, cls: 1, ttl: 9, data: 'a.test' }]);
});

test('a pointer loop is a coded error, not a hang', () => {
  const buf = Uint8Array.from([0xc0, 0x00]);
  assert.throws(
    () => readName(buf, 0),
    (e: unknown) => e instanceof PacketError && e.code === 'ERR_DNS_POINTER_LOOP',
  );
});

test('over-long labels are refused when encoding', () => {
  assert.throws(
    () => encodeQuery({ id: 1, name: 'x'.repeat(64), type: 1, rd: true }),
    (e: unknown) => e instanceof PacketError && e.code === 'ERR_DNS_BAD_NAME',
  );
});

test('property: random bytes never throw anything but a coded PacketError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeMessage(bytes);
      } catch (e) {
        assert.ok(e instanceof PacketError, String(e));
        assert.match(e.code, /^ERR_DNS_/);
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: a valid header with random records decodes or fails with a coded error', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 120 }),
      fc.integer({ min: 0, max: 5 }),
      (tail, an) => {
        const q = Buffer.from(encodeQuery({ id: 9, name: 'x.test', type: 1, rd: true }));
        q.writeUInt16BE(an, 6);
        try {
          const m = decodeMessage(Buffer.concat([q, Buffer.from(tail)]));
          assert.equal(m.answers.length, an);
        } catch (e) {
          assert.ok(e instanceof PacketError && e.code.startsWith('ERR_DNS_'), String(e));
        }
      },
    ),
    { numRuns: 3000 },
  );
});
