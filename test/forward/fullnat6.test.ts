import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { adjustSynAckMss6, insertToa6, toaFits6 } from '../../src/forward/fullnat6.js';
import { IPPROTO, verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeToa, findTcpOption, mssOption, TCPOPT, tcpMss } from '../../src/packet/tcp-options.js';
import { pkt } from '../helpers/packet-builder.js';
import { flowOf } from './fixtures.js';

const segment = (payload: number, mss: boolean, flags = 'S') =>
  pkt()
    .eth({ src: '02:00:00:00:00:fe', dst: '02:00:00:00:00:01' })
    .ipv6({ src: '2001:db8:1::200', dst: '2001:db8:1::11' })
    .tcp({ sport: 1024, dport: 8085, flags, seq: 1000, options: mss ? [mssOption(1440)] : [] })
    .payload(payload)
    .build();

describe('IPv6 FULLNAT TOA', () => {
  it('insertToa6: the option reads back (client port and address), options and payload follow it, lengths and checksum are right', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat(400),
        fc.boolean(),
        (cip, cport, payload, mss) => {
          const orig = segment(payload, mss);
          const buf = new Uint8Array(orig.length + 20);
          buf.set(orig);
          const flow = flowOf(orig);
          assert.ok(toaFits6(buf, flow, 1500));
          insertToa6(buf, flow, cip, cport);
          const f = flowOf(buf);
          assert.equal(f.ipEnd, orig.length + 20);
          const at = findTcpOption(buf, f.l4Off, TCPOPT.TOA);
          assert.equal(at, f.l4Off + 20, 'right after the base TCP header');
          const t = decodeToa(buf, at);
          assert.deepEqual([t.port, [...t.addr]], [cport, [...cip]]);
          if (mss) assert.equal(tcpMss(buf, f.l4Off), 1440);
          const o0 = flowOf(orig);
          assert.deepEqual(
            Buffer.from(buf.subarray(f.payloadOff, f.ipEnd)),
            Buffer.from(orig.subarray(o0.payloadOff, o0.ipEnd)),
          );
          assert.ok(verifyL4Checksum(buf, f.l3Off, f.l4Off, f.ipEnd, IPPROTO.TCP));
        },
      ),
    );
  });

  it('toaFits6: not when the grown packet passes the MTU, not in a fragment, not for UDP', () => {
    const s = segment(100, true);
    const len = s.length - 14;
    assert.equal(toaFits6(s, flowOf(s), len + 20), true);
    assert.equal(toaFits6(s, flowOf(s), len + 19), false);
    const u = pkt()
      .eth({ src: '02:00:00:00:00:fe', dst: '02:00:00:00:00:01' })
      .ipv6({ src: '2001:db8:1::200', dst: '2001:db8:1::11' })
      .udp({ sport: 1, dport: 2 })
      .build();
    assert.equal(toaFits6(u, flowOf(u), 1500), false);
    const fr = pkt()
      .eth({ src: '02:00:00:00:00:fe', dst: '02:00:00:00:00:01' })
      .ipv6({ src: '2001:db8:1::200', dst: '2001:db8:1::11', ext: [{ type: 'frag', more: true, id: 9 }] })
      .tcp({ sport: 1024, dport: 8085, flags: 'PA', seq: 1 })
      .payload(64)
      .build();
    assert.equal(toaFits6(fr, flowOf(fr), 1500), false);
  });

  it('adjustSynAckMss6 lowers the MSS by 20 and keeps the checksum right', () => {
    const sa = segment(0, true, 'SA');
    const f = flowOf(sa);
    adjustSynAckMss6(sa, f);
    assert.equal(tcpMss(sa, f.l4Off), 1420);
    assert.ok(verifyL4Checksum(sa, f.l3Off, f.l4Off, f.ipEnd, IPPROTO.TCP));
  });
});
