/**
 * pmtu_disc on the packet plane for tunnelled IPv4 (net/netfilter/ipvs/ip_vs_xmit.c
 * ensure_mtu_is_adequate() and ip_vs_tunnel_xmit()): with 1 (the default) the outer header copies
 * the inner DF and a DF packet too big once encapsulated gets frag-needed; with 0 the outer DF is
 * clear, the MTU is not checked, and the outer packet leaves in fragments (ip_do_fragment()). An
 * inner packet without DF is fragmented the same way whatever the setting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyIPv4Checksum } from '../../src/packet/checksum.js';
import { flowOf, fromClient } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { CLIENT, DIR_IP, lab, RS1, RS1_MAC, run, VIP } from './lab.js';

const syn = (dport: number) =>
  fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 40000, dport, flags: 'S', seq: 1000 }).build();
const big = (dport: number, df: boolean, size = 1600) =>
  fromClient()
    .ipv4({ src: CLIENT, dst: VIP, df })
    .tcp({ sport: 40000, dport, flags: 'A', seq: 1001 })
    .payload(size)
    .build();
const bigUdp = (df: boolean) =>
  fromClient().ipv4({ src: CLIENT, dst: VIP, df }).udp({ sport: 5000, dport: 83 }).payload(1600).build();

function sim(v: number) {
  const s = lab();
  s.director.setSysctl('pmtu_disc', v);
  return s;
}

// Outer IPv4 header fields of a frame: DF, MF, offset in bytes, total length, ID, protocol.
function outer(b: Buffer) {
  const f = b.readUInt16BE(14 + 6);
  return {
    df: (f & 0x4000) !== 0,
    mf: (f & 0x2000) !== 0,
    off: (f & 0x1fff) * 8,
    len: b.readUInt16BE(14 + 2),
    id: b.readUInt16BE(14 + 4),
    proto: b[14 + 9],
  };
}

// Reassembles fragments (by offset) into the outer payload.
function reassemble(frames: readonly Buffer[]): Buffer {
  const parts = frames.map((b) => ({ o: outer(b), data: b.subarray(34, 14 + outer(b).len) }));
  parts.sort((a, b) => a.o.off - b.o.off);
  return Buffer.concat(parts.map((p) => p.data));
}

describe('pmtu_disc', () => {
  it('1 (default): the outer header copies DF from the inner packet', () => {
    const s = sim(1);
    const r = run(s, syn(82));
    assert.equal(outer(r.tx[0]!).df, false, 'the SYN was sent without DF');
    const r2 = run(
      s,
      fromClient()
        .ipv4({ src: CLIENT, dst: VIP, df: true })
        .tcp({ sport: 40000, dport: 82, flags: 'A' })
        .build(),
    );
    assert.equal(outer(r2.tx[0]!).df, true);
  });

  it('0: the outer header never carries DF', () => {
    const s = sim(0);
    run(s, syn(82));
    const r = run(
      s,
      fromClient()
        .ipv4({ src: CLIENT, dst: VIP, df: true })
        .tcp({ sport: 40000, dport: 82, flags: 'A' })
        .build(),
    );
    assert.equal(r.tx.length, 1);
    assert.equal(outer(r.tx[0]!).df, false);
  });

  it('1: a DF packet too big once encapsulated gets frag-needed (MTU 1480), nothing reaches the real server', () => {
    const s = sim(1);
    run(s, syn(82));
    const r = run(s, big(82, true));
    assert.deepEqual(r.drops, ['too_big']);
    assert.equal(r.tx.length, 1);
    const f = flowOf(r.tx[0]!);
    assert.deepEqual([f.icmpType, f.icmpCode, r.tx[0]!.readUInt16BE(f.l4Off + 6)], [3, 4, 1480]);
  });

  for (const [what, s, frame] of [
    ['pmtu_disc 0, inner DF set', () => sim(0), big(82, true)],
    ['pmtu_disc 1, inner DF clear', () => sim(1), big(82, false)],
  ] as const) {
    it(`${what}: the IPIP packet leaves in fragments of the MTU that reassemble to the inner packet`, () => {
      const d = s();
      run(d, syn(82));
      const r = run(d, frame);
      assert.deepEqual(r.drops, []);
      assert.equal(r.tx.length, 2);
      const o = r.tx.map(outer);
      assert.deepEqual(
        o.map((x) => [x.df, x.mf, x.off, x.proto]),
        [
          [false, true, 0, 4],
          [false, false, 1480, 4],
        ],
      );
      assert.equal(o[0]!.len, 1500);
      assert.equal(o[0]!.id, o[1]!.id, 'one ID for all fragments');
      for (const b of r.tx) {
        assert.ok(verifyIPv4Checksum(b, 14));
        assert.equal(b.subarray(0, 6).toString('hex'), RS1_MAC.replaceAll(':', ''));
        const f = b.readUInt32BE(14 + 12);
        assert.equal(f, 0xc0000201, `outer source ${DIR_IP}`);
        assert.equal(b.readUInt32BE(14 + 16), 0xc000020a, `outer destination ${RS1}`);
      }
      // The inner packet, TTL decremented, whole and unchanged otherwise.
      const want = pkt()
        .ipv4({ src: CLIENT, dst: VIP, df: frame[14 + 6] === 0x40, ttl: 63 })
        .tcp({ sport: 40000, dport: 82, flags: 'A', seq: 1001 })
        .payload(1600)
        .build();
      assert.equal(reassemble(r.tx).toString('hex'), Buffer.from(want).toString('hex'));
    });
  }

  it('0: a GUE (UDP) tunnel fragments too; 1 answers the same DF datagram with frag-needed (MTU 1468)', () => {
    const off = sim(0);
    const r = run(off, bigUdp(true));
    assert.deepEqual(r.drops, []);
    assert.equal(r.tx.length, 2);
    assert.deepEqual(
      r.tx.map((b) => outer(b).proto),
      [17, 17],
    );
    assert.equal(reassemble(r.tx).length, 8 + 4 + 20 + 8 + 1600);
    const on = sim(1);
    const r2 = run(on, bigUdp(true));
    assert.deepEqual(r2.drops, ['too_big']);
    const f = flowOf(r2.tx[0]!);
    assert.equal(r2.tx[0]!.readUInt16BE(f.l4Off + 6), 1468);
  });

  it('NAT and DR are not tunnels: a DF packet too big still gets frag-needed with pmtu_disc 0', () => {
    const s = sim(0);
    run(s, syn(81));
    const r = run(s, big(81, true));
    assert.deepEqual(r.drops, ['too_big']);
  });
});
