import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DecapResult, findInner } from '../../src/daemon/rs-agent.js';
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
