/**
 * The frame summary shared by `lvsd simulate` and `lab trace`: total on any bytes (fast-check),
 * tunnels read as outer | inner, and the changed fields named without the source MAC.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { changedFields, formatFrame, isForwardOf, summarizeFrame } from '../../src/tools/frame-summary.js';
import { pkt } from '../helpers/packet-builder.js';

const A = '02:00:00:00:00:0a';
const D = '02:00:00:00:00:01';
const syn = (src: string, dst: string) =>
  pkt()
    .eth({ src, dst })
    .ipv4({ src: '203.0.113.7', dst: '192.0.2.100' })
    .tcp({ sport: 40000, dport: 80, flags: 'S' });

describe('frame summary', () => {
  it('never throws and always formats, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x1234),
        (tail, et) => {
          const f = new Uint8Array(14 + tail.length);
          f[12] = et >> 8;
          f[13] = et & 0xff;
          f.set(tail, 14);
          for (const b of [f, tail]) {
            const s = summarizeFrame(b, { guePorts: new Set([6080]) });
            assert.equal(typeof formatFrame(s), 'string');
          }
        },
      ),
    );
  });

  it('reads a TCP frame as tcpdump would show it', () => {
    const s = summarizeFrame(syn(A, D).build());
    assert.equal(formatFrame(s), `${A} > ${D}  203.0.113.7.40000 > 192.0.2.100.80 TCP [S] ttl 64 len 40`);
  });

  it('reads an IPIP frame as outer | inner and names the encapsulation as a change', () => {
    const inner = syn(A, D).build();
    const t = pkt()
      .eth({ src: D, dst: A })
      .ipip({ src: '192.0.2.1', dst: '192.0.2.10' })
      .ipv4({ src: '203.0.113.7', dst: '192.0.2.100', ttl: 63 })
      .tcp({ sport: 40000, dport: 80, flags: 'S' })
      .build();
    const a = summarizeFrame(inner);
    const b = summarizeFrame(t);
    assert.equal(b.kind, 'ipip');
    assert.match(
      formatFrame(b),
      /IPIP 192\.0\.2\.1 > 192\.0\.2\.10 ttl \d+ len 60 \| 203\.0\.113\.7\.40000 > 192\.0\.2\.100\.80 TCP \[S\]/,
    );
    assert.ok(isForwardOf(a, b));
    assert.deepEqual(changedFields(a, b), [
      'encap ipip 192.0.2.1 > 192.0.2.10',
      `dst-mac ${D} -> ${A}`,
      'ttl 64 -> 63',
    ]);
  });

  it('leaves the source MAC out of the changes and tells a made frame from a forwarded one', () => {
    const a = summarizeFrame(syn(A, D).build());
    const b = summarizeFrame(syn(D, A).build());
    assert.deepEqual(changedFields(a, b), [`dst-mac ${D} -> ${A}`]);
    const rst = summarizeFrame(
      pkt()
        .eth({ src: D, dst: A })
        .ipv4({ src: '192.0.2.100', dst: '203.0.113.7' })
        .icmp({ type: 3, code: 3 })
        .build(),
    );
    assert.equal(isForwardOf(a, rst), false);
  });
});
