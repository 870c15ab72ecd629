import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodePcap,
  encodePcap,
  LINKTYPE_ETHERNET,
  PCAP_HEADER_LEN,
  pcapRecordAt,
} from '../../src/packet/index.js';

describe('pcap codec', () => {
  it('round-trips any list of records', () => {
    const rec = fc.record(
      {
        tsSec: fc.integer({ min: 0, max: 0xffffffff }),
        tsFrac: fc.integer({ min: 0, max: 999_999 }),
        data: fc.uint8Array({ maxLength: 80 }),
        origLen: fc.integer({ min: 0, max: 0xffff }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 5 }), (records) => {
        const file = { linktype: LINKTYPE_ETHERNET, snaplen: 65535, nanos: false, records };
        const bytes = encodePcap(file);
        assert.deepEqual(decodePcap(bytes), file);
        assert.deepEqual(encodePcap(decodePcap(bytes)), bytes);
      }),
    );
  });

  it('writes the little-endian 2.4 microsecond header libpcap expects', () => {
    const b = encodePcap({ linktype: 1, snaplen: 262144, nanos: false, records: [] });
    assert.equal(Buffer.from(b).toString('hex'), 'd4c3b2a10200040000000000000000000000040001000000');
    assert.equal(b.length, PCAP_HEADER_LEN);
  });

  it('reads big-endian and nanosecond files', () => {
    const be = Buffer.from(
      'a1b23c4d000200040000000000000000000000ff00000001' + '0000000a0000000b000000020000000c' + 'abcd',
      'hex',
    );
    const f = decodePcap(be);
    assert.deepEqual([f.nanos, f.snaplen, f.linktype], [true, 255, 1]);
    assert.deepEqual(f.records[0], {
      tsSec: 10,
      tsFrac: 11,
      data: new Uint8Array([0xab, 0xcd]),
      origLen: 12,
    });
  });

  it('rejects bad magic, pcapng and cut records with stable codes', () => {
    assert.throws(() => decodePcap(new Uint8Array(24)), { code: 'ERR_PACKET_BAD_VERSION' });
    assert.throws(() => decodePcap(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(20)])), {
      code: 'ERR_PACKET_UNSUPPORTED',
    });
    const one = encodePcap({
      linktype: 1,
      snaplen: 100,
      nanos: false,
      records: [pcapRecordAt(1500, new Uint8Array(10))],
    });
    assert.throws(() => decodePcap(one.subarray(0, one.length - 1)), { code: 'ERR_PACKET_TRUNCATED' });
  });

  it('pcapRecordAt splits milliseconds into seconds and microseconds', () => {
    assert.deepEqual(pcapRecordAt(1_700_000_000_123, new Uint8Array(3)), {
      tsSec: 1_700_000_000,
      tsFrac: 123_000,
      data: new Uint8Array(3),
      origLen: 3,
    });
  });
});
