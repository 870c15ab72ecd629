import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseIPv6 } from '../../src/core/addr.js';
import { type DecapResult, findInner, findInner6 } from '../../src/tools/rs-agent.js';
import { pkt } from '../helpers/packet-builder.js';

const VIPS = new Uint32Array([0xc0000264]); // 192.0.2.100
const inner = () =>
  pkt().ipv4({ src: '203.0.113.10', dst: '192.0.2.100' }).tcp({ sport: 40000, dport: 80, flags: 'S' });
const innerBytes = inner().build();

function check(frame: Buffer): DecapResult | undefined {
  const r: DecapResult = { off: 0, len: 0 };
  return findInner(frame, frame.length, VIPS, 6080, r) ? r : undefined;
}

const outer = { src: '192.0.2.2', dst: '192.0.2.11' };

test('IPIP, GRE (with key and checksum) and GUE frames yield the inner packet unchanged', () => {
  const frames = [
    pkt()
      .eth()
      .ipip(outer)
      .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
      .tcp({ sport: 40000, dport: 80, flags: 'S' })
      .build(),
    pkt()
      .eth()
      .ipv4(outer)
      .gre({ key: 7, csum: true })
      .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
      .tcp({ sport: 40000, dport: 80, flags: 'S' })
      .build(),
    pkt()
      .eth()
      .ipv4(outer)
      .udp({ sport: 5000, dport: 6080 })
      .gue()
      .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
      .tcp({ sport: 40000, dport: 80, flags: 'S' })
      .build(),
  ];
  for (const f of frames) {
    const r = check(f);
    assert.ok(r, 'decapsulated');
    assert.deepEqual(f.subarray(r.off, r.off + r.len), innerBytes);
  }
});

test('frames that are not tunnels to a VIP are left alone', () => {
  assert.equal(
    check(pkt().eth().ipv4({ src: '203.0.113.10', dst: '192.0.2.100' }).tcp({ sport: 1, dport: 80 }).build()),
    undefined,
  );
  assert.equal(
    check(
      pkt()
        .eth()
        .ipip(outer)
        .ipv4({ src: '203.0.113.10', dst: '192.0.2.99' })
        .udp({ sport: 1, dport: 2 })
        .build(),
    ),
    undefined,
  );
  assert.equal(
    check(
      pkt()
        .eth()
        .ipv4(outer)
        .udp({ sport: 5000, dport: 6081 })
        .gue()
        .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
        .udp({ sport: 1, dport: 2 })
        .build(),
    ),
    undefined,
  );
  const cut = pkt()
    .eth()
    .ipip(outer)
    .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
    .tcp({ sport: 40000, dport: 80 })
    .build();
  assert.equal(check(cut.subarray(0, cut.length - 10)), undefined);
  const frag = pkt()
    .eth()
    .ipip({ ...outer, mf: true })
    .ipv4({ src: '203.0.113.10', dst: '192.0.2.100' })
    .tcp({ sport: 40000, dport: 80 })
    .build();
  assert.equal(check(frag), undefined);
});

test('IPv6-in-IPv6 to an IPv6 VIP yields the inner IPv6 packet; other VIPs, protocols and cut frames do not', () => {
  const vips6 = new Uint8Array(32);
  vips6.set(parseIPv6('2001:db8:1::100')!, 16);
  const innerV6 = () =>
    pkt()
      .ipv6({ src: '2001:db8:99::7', dst: '2001:db8:1::100' })
      .tcp({ sport: 40000, dport: 80, flags: 'S' });
  const frame = pkt()
    .eth()
    .ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::10' })
    .ipv6({ src: '2001:db8:99::7', dst: '2001:db8:1::100' })
    .tcp({ sport: 40000, dport: 80, flags: 'S' })
    .build();
  const r: DecapResult = { off: 0, len: 0 };
  assert.ok(findInner6(frame, frame.length, vips6, r));
  assert.deepEqual(frame.subarray(r.off, r.off + r.len), innerV6().build());
  const other = pkt()
    .eth()
    .ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::10' })
    .ipv6({ src: '2001:db8:99::7', dst: '2001:db8:1::101' })
    .tcp({ sport: 40000, dport: 80, flags: 'S' })
    .build();
  assert.equal(findInner6(other, other.length, vips6, r), false);
  const plain = pkt()
    .eth()
    .ipv6({ src: '2001:db8:99::7', dst: '2001:db8:1::100' })
    .tcp({ sport: 1, dport: 80 })
    .build();
  assert.equal(findInner6(plain, plain.length, vips6, r), false);
  for (let cut = 0; cut < frame.length; cut += 7) assert.equal(findInner6(frame, cut, vips6, r), false);
});

test('findInner6 never reads past the frame or throws on arbitrary bytes', () => {
  const vips6 = parseIPv6('2001:db8:1::100')!;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (b) => {
      const r: DecapResult = { off: 0, len: 0 };
      if (b.length > 13) {
        b[12] = 0x86;
        b[13] = 0xdd;
      }
      if (findInner6(b, b.length, vips6, r)) assert.ok(r.off + r.len <= b.length);
    }),
  );
});
