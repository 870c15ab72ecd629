import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Flow, parseFlow } from '../../src/packet/flow.js';
import { decrementTtl, setDport, setDst4, setSport, setSrc4, translate4 } from '../../src/packet/rewrite.js';
import { pkt } from '../helpers/packet-builder.js';

// translate4 (the NAT/FULLNAT fast path's one-pass rewrite) must leave the bytes and Flow fields
// the one-by-one rewrites leave: addresses, ports, TTL, both checksums, UDP's zero checksum.

const addr = fc.constantFrom(
  '192.0.2.1',
  '198.51.100.7',
  '203.0.113.200',
  '10.0.0.1',
  '255.255.255.255',
  '0.0.0.0',
);
const toU32 = (s: string) => s.split('.').reduce((x, b) => x * 256 + Number(b), 0);

test('translate4 writes what setSrc4, setSport, setDst4, setDport and decrementTtl write', () => {
  fc.assert(
    fc.property(
      fc.record({
        src: addr,
        dst: addr,
        nsrc: addr,
        ndst: addr,
        sport: fc.integer({ min: 1, max: 65535 }),
        dport: fc.integer({ min: 1, max: 65535 }),
        nsport: fc.integer({ min: 1, max: 65535 }),
        ndport: fc.integer({ min: 1, max: 65535 }),
        keepPorts: fc.boolean(),
        ttl: fc.integer({ min: 2, max: 255 }),
        udp: fc.boolean(),
        noUdpCsum: fc.boolean(),
        pad: fc.constantFrom(0, 1, 2),
        payload: fc.nat(40),
        asInt: fc.boolean(),
      }),
      (x) => {
        const b = pkt().eth().ipv4({ src: x.src, dst: x.dst, ttl: x.ttl });
        const body = new Uint8Array(x.payload).fill(0xa5);
        const l4 = x.udp
          ? b.udp({ sport: x.sport, dport: x.dport, csum: x.noUdpCsum ? 'zero' : 'auto' })
          : b.tcp({ sport: x.sport, dport: x.dport, flags: 'A' });
        const frame = Buffer.from(l4.payload(body).build());
        const one = Buffer.alloc(frame.length + x.pad);
        frame.copy(one, x.pad);
        const all = Buffer.from(one);
        const f1 = new Flow();
        const f2 = new Flow();
        parseFlow(one, frame.length, f1, x.pad);
        parseFlow(all, frame.length, f2, x.pad);
        const sp = x.keepPorts ? x.sport : x.nsport;
        const dp = x.keepPorts ? x.dport : x.ndport;
        const s = toU32(x.nsrc);
        const d = toU32(x.ndst);
        setSrc4(one, f1, s);
        setSport(one, f1, sp);
        setDst4(one, f1, d);
        setDport(one, f1, dp);
        decrementTtl(one, f1);
        // Addresses arrive as u32 or as the same bits in an int32.
        translate4(all, f2, x.asInt ? s | 0 : s, sp, x.asInt ? d | 0 : d, dp);
        assert.deepEqual(all, one);
        assert.deepEqual(
          [f2.src4 >>> 0, f2.dst4 >>> 0, f2.sport, f2.dport, f2.ttl],
          [f1.src4 >>> 0, f1.dst4 >>> 0, f1.sport, f1.dport, f1.ttl],
        );
      },
    ),
    { numRuns: 1000 },
  );
});
