import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FRAG6_TIMEOUT_MS, FragTable6 } from '../../src/engine/frag-table6.js';
import { GW_MAC, RS1_MAC, run } from './lab.js';
import { CLIENT6, fromGw6, lab6, RS6, VIP6 } from './lab6.js';

const T0 = 1_000_000;

/**
 * Splits an Ethernet/IPv6 frame (no extension headers) into fragments whose fragmentable part is
 * cut at the byte offsets `cuts` (multiples of 8), as RFC 8200 §4.5 describes: each fragment is
 * the base header (next header 44), an 8-byte Fragment header and its piece.
 */
function fragment6(frame: Buffer, cuts: number[], id: number): Buffer[] {
  const nh = frame[14 + 6]!;
  const body = frame.subarray(14 + 40, 14 + 40 + frame.readUInt16BE(14 + 4));
  const edges = [0, ...cuts, body.length];
  const out: Buffer[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const piece = body.subarray(edges[k]!, edges[k + 1]!);
    const fh = Buffer.alloc(8);
    fh[0] = nh;
    fh.writeUInt16BE(edges[k]! | (k + 2 < edges.length ? 1 : 0), 2);
    fh.writeUInt32BE(id >>> 0, 4);
    const f = Buffer.concat([frame.subarray(0, 14 + 40), fh, piece]);
    f.writeUInt16BE(8 + piece.length, 14 + 4);
    f[14 + 6] = 44;
    out.push(f);
  }
  return out;
}

const query = (bytes: number) =>
  fromGw6()
    .ipv6({ src: CLIENT6, dst: VIP6, hopLimit: 64 })
    .udp({ sport: 5000, dport: 53 })
    .payload(bytes)
    .build();

describe('IPv6 fragments', () => {
  it('counts a fragmented datagram once, all of its bytes, as the kernel counts the reassembled one', () => {
    const sim = lab6();
    const q = Buffer.from(query(3000));
    const frags = fragment6(q, [1232, 2464], 0x1234);
    assert.equal(frags.length, 3);
    const out = frags.flatMap((f) => run(sim, f, 0, T0).tx);
    assert.equal(out.length, 3);
    for (const f of out) assert.equal(f.subarray(0, 6).toString('hex'), RS1_MAC.replaceAll(':', ''));
    const st = sim.director.stats;
    // The reassembled datagram: 40-byte header + 8-byte UDP header + 3,000 bytes of payload.
    assert.deepEqual([st.inpkts, st.inbytes], [1, 40 + 8 + 3000]);
  });

  it('later fragments follow their first for ip6frag_time (60 s), then are dropped', () => {
    const sim = lab6();
    const frags = fragment6(Buffer.from(query(3000)), [1232, 2464], 0x55);
    assert.equal(run(sim, frags[0]!, 0, T0).tx.length, 1);
    const r1 = run(sim, frags[1]!, 0, T0 + FRAG6_TIMEOUT_MS);
    assert.deepEqual([r1.tx.length, r1.drops], [1, []], 'still within ip6frag_time');
    const r2 = run(sim, frags[2]!, 0, T0 + FRAG6_TIMEOUT_MS + 1);
    assert.deepEqual([r2.tx.length, r2.drops], [0, ['fragment']], 'expired');
  });

  it('a later fragment of another datagram (other id or other source) does not follow the first', () => {
    const sim = lab6();
    const a = fragment6(Buffer.from(query(3000)), [1232, 2464], 0x77);
    assert.equal(run(sim, a[0]!, 0, T0).tx.length, 1);
    const otherId = fragment6(Buffer.from(query(3000)), [1232, 2464], 0x78)[1]!;
    assert.deepEqual(run(sim, otherId, 0, T0).drops, ['fragment']);
    const otherSrc = Buffer.from(a[1]!);
    otherSrc[14 + 8 + 15] = otherSrc[14 + 8 + 15]! ^ 1;
    assert.deepEqual(run(sim, otherSrc, 0, T0).drops, ['fragment']);
    assert.deepEqual(run(sim, a[1]!, 0, T0).drops, []);
  });

  it('a reply fragment of a NAT conn leaves toward the client from the VIP', () => {
    const sim = lab6();
    run(sim, query(10), 0, T0);
    const reply = Buffer.from(
      fromGw6()
        .ipv6({ src: RS6, dst: CLIENT6, hopLimit: 64 })
        .udp({ sport: 5353, dport: 5000 })
        .payload(2000)
        .build(),
    );
    reply.write(RS1_MAC.replaceAll(':', ''), 6, 'hex');
    const out = fragment6(reply, [1232], 0x99).flatMap((f) => run(sim, f, 0, T0).tx);
    assert.equal(out.length, 2);
    for (const f of out) {
      assert.equal(f.subarray(0, 6).toString('hex'), GW_MAC.replaceAll(':', ''));
      assert.equal(f.subarray(14 + 8, 14 + 24).toString('hex'), '20010db8000100000000000000000100');
    }
  });
});

describe('FragTable6', () => {
  it('finds exactly the datagram put, by source, destination and identification', () => {
    const addr = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(addr, addr, fc.integer({ min: 0, max: 0xffffffff }), fc.nat(1000), (a, b, id, t) => {
        const tab = new FragTable6(64);
        tab.put(a, 0, 16, id, 7, 1, t);
        const s = tab.find(a, 0, 16, id, t);
        assert.ok(s >= 0);
        assert.deepEqual([tab.conn[s], tab.dir[s]], [7, 1]);
        assert.equal(tab.find(a, 0, 16, id, t + FRAG6_TIMEOUT_MS + 1), -1);
        if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) assert.equal(tab.find(b, 0, 16, id, t), -1);
        assert.equal(tab.find(a, 0, 16, (id + 1) >>> 0, t), -1);
      }),
    );
  });
});
