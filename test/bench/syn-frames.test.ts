import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MIN_FRAME_BYTES, onesSum } from '../../bench/lib/packet-frames.js';
import { buildSynFlood, expandSources, SYN_PORTS } from '../../bench/lib/syn-frames.js';

const spec = {
  srcMac: '02:00:00:00:00:01',
  dstMac: '02:00:00:00:00:02',
  dstIp: '203.0.113.100',
  dstPort: 80,
};

test('expandSources skips network, broadcast and excluded addresses', () => {
  const s = expandSources(['198.51.100.0/30', '203.0.113.8/29'], ['203.0.113.10']);
  assert.deepEqual(s, [
    '198.51.100.1',
    '198.51.100.2',
    '203.0.113.9',
    '203.0.113.11',
    '203.0.113.12',
    '203.0.113.13',
    '203.0.113.14',
  ]);
  assert.equal(expandSources(['198.51.100.0/24']).length, 254);
  assert.throws(() => expandSources(['10.0.0.0/8']), RangeError);
});

test('every SYN of a flood has a distinct (source, port), SYN only, and valid checksums', () => {
  const sources = expandSources(['198.51.100.0/29', '203.0.113.128/30']);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), (flows) => {
      const b = buildSynFlood({ ...spec, sources, flows });
      assert.equal(b.count, flows);
      const seen = new Set<string>();
      for (let i = 0; i < flows; i++) {
        const o = b.pairs[i * 2] as number;
        assert.equal(b.pairs[i * 2 + 1], MIN_FRAME_BYTES);
        const f = b.buffer.subarray(o, o + MIN_FRAME_BYTES);
        assert.equal(onesSum(f, 14, 20), 0xffff, 'IPv4 header checksum');
        assert.equal(f[14 + 9], 6);
        assert.equal(f[14 + 3], 40);
        const t = 34;
        assert.equal(f[t + 13], 0x02, 'SYN and nothing else');
        const pseudo = onesSum(f, 26, 8) + 6 + 20;
        assert.equal(onesSum(f, t, 20, pseudo), 0xffff, 'TCP checksum');
        assert.equal(((f[t + 2] as number) << 8) | (f[t + 3] as number), 80);
        const key = `${f.subarray(26, 30).join('.')}:${((f[t] as number) << 8) | (f[t + 1] as number)}`;
        assert.ok(sources.includes(f.subarray(26, 30).join('.')), key);
        assert.ok(!seen.has(key), `duplicate flow ${key}`);
        seen.add(key);
      }
    }),
    { numRuns: 30 },
  );
  assert.throws(
    () => buildSynFlood({ ...spec, sources: ['198.51.100.1'], flows: SYN_PORTS + 1 }),
    RangeError,
  );
});
