import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeProxyHeader,
  encodeProxyV1,
  encodeProxyV2,
  type ProxyAddrs,
  proxyHeader,
  proxyV1Text,
  proxyV2Length,
} from '../../src/forward/proxy-protocol.js';

const v4: ProxyAddrs = {
  protocol: 6,
  srcAddr: Uint8Array.from([192, 0, 2, 10]),
  srcPort: 56324,
  dstAddr: Uint8Array.from([198, 51, 100, 1]),
  dstPort: 443,
};
const v6: ProxyAddrs = {
  protocol: 6,
  srcAddr: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
  srcPort: 1,
  dstAddr: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]),
  dstPort: 65535,
};

test('v1 TCP4 line matches the spec example layout', () => {
  assert.equal(proxyV1Text(v4), 'PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n');
});

test('v1 TCP6 line uses compressed IPv6 text', () => {
  assert.equal(proxyV1Text(v6), 'PROXY TCP6 2001:db8::1 2001:db8::80 1 65535\r\n');
});

test('v1 sends UNKNOWN for UDP, which v1 cannot name', () => {
  assert.equal(proxyV1Text({ ...v4, protocol: 17 }), 'PROXY UNKNOWN\r\n');
  assert.equal(proxyV1Text(undefined), 'PROXY UNKNOWN\r\n');
});

test('v2 IPv4 TCP header bytes are exact', () => {
  const b = Buffer.from(proxyHeader(2, v4));
  assert.equal(
    b.toString('hex'),
    // signature, 0x21 PROXY, 0x11 TCP over IPv4, len 12, src, dst, sport 56324, dport 443
    '0d0a0d0a000d0a515549540a' + '21' + '11' + '000c' + 'c000020a' + 'c6336401' + 'dc04' + '01bb',
  );
});

test('v2 IPv6 UDP header has family 0x22 and a 36-byte body', () => {
  const b = Buffer.from(proxyHeader(2, { ...v6, protocol: 17 }));
  assert.equal(b.length, 52);
  assert.equal(b[12], 0x21);
  assert.equal(b[13], 0x22);
  assert.equal(b.readUInt16BE(14), 36);
  assert.equal(b.readUInt16BE(48), 1);
  assert.equal(b.readUInt16BE(50), 65535);
});

test('v2 LOCAL header carries no addresses', () => {
  const b = Buffer.from(proxyHeader(2, undefined));
  assert.equal(b.toString('hex'), '0d0a0d0a000d0a515549540a' + '20' + '00' + '0000');
});

test('encoders write at an offset and report bytes written', () => {
  const buf = new Uint8Array(200).fill(0xee);
  const n2 = encodeProxyV2(v4, buf, 10);
  assert.equal(n2, proxyV2Length(v4));
  assert.equal(buf[9], 0xee);
  assert.equal(buf[10 + n2], 0xee);
  assert.deepEqual(decodeProxyHeader(buf.subarray(10))?.addrs, v4);
  const n1 = encodeProxyV1(v4, buf, 100);
  assert.equal(n1, proxyV1Text(v4).length);
  assert.deepEqual(decodeProxyHeader(buf.subarray(100))?.addrs, v4);
});

test('encoders refuse a buffer that is too small', () => {
  assert.throws(() => encodeProxyV2(v4, new Uint8Array(27)), { code: 'ERR_PACKET_TRUNCATED' });
  assert.throws(() => encodeProxyV1(v4, new Uint8Array(10)), { code: 'ERR_PACKET_TRUNCATED' });
});

test('v2 refuses mixed address families', () => {
  assert.throws(() => proxyHeader(2, { ...v4, dstAddr: v6.dstAddr }), { code: 'ERR_PACKET_INVALID' });
});

test('decoder waits for more bytes on a partial header', () => {
  const full = proxyHeader(2, v6);
  assert.equal(decodeProxyHeader(full.subarray(0, 20)), undefined);
  const line = proxyHeader(1, v4);
  assert.equal(decodeProxyHeader(line.subarray(0, line.length - 1)), undefined);
  assert.equal(decodeProxyHeader(full)?.length, full.length);
});

test('decoder rejects non-PROXY bytes and bad v1 fields', () => {
  assert.throws(() => decodeProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')), { code: 'ERR_PACKET_INVALID' });
  assert.throws(() => decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 080 1\r\n')), {
    code: 'ERR_PACKET_INVALID',
  });
  assert.throws(() => decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.400 5.6.7.8 80 1\r\n')), {
    code: 'ERR_PACKET_INVALID',
  });
});

const addrs = fc.oneof(
  fc.record({
    protocol: fc.constantFrom(6, 17),
    srcAddr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    dstAddr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    srcPort: fc.integer({ min: 0, max: 65535 }),
    dstPort: fc.integer({ min: 0, max: 65535 }),
  }),
  fc.record({
    protocol: fc.constantFrom(6, 17),
    srcAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dstAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    srcPort: fc.integer({ min: 0, max: 65535 }),
    dstPort: fc.integer({ min: 0, max: 65535 }),
  }),
);

test('v2 round-trips any addresses', () => {
  fc.assert(
    fc.property(addrs, (a) => {
      const h = proxyHeader(2, a);
      const d = decodeProxyHeader(h);
      assert.equal(d?.length, h.length);
      assert.deepEqual(d?.addrs, { ...a });
    }),
  );
});

test('v1 round-trips any TCP addresses and stays within 107 bytes', () => {
  fc.assert(
    fc.property(addrs, (a) => {
      const t = { ...a, protocol: 6 };
      const h = proxyHeader(1, t);
      assert.ok(h.length <= 107);
      assert.deepEqual(decodeProxyHeader(h)?.addrs, t);
    }),
  );
});

test('decoder never throws anything but PacketError on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      try {
        decodeProxyHeader(b);
      } catch (e) {
        assert.equal((e as { name: string }).name, 'PacketError');
      }
    }),
  );
});
