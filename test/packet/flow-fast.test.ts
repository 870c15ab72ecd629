import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Flow, parseFlow, parseFrame } from '../../src/packet/flow.js';
import { pkt } from '../helpers/packet-builder.js';

// Every per-packet field of a Flow, for comparing the fast path with the general parser.
function fields(f: Flow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (k === 'rare') continue;
    out[k] = v instanceof Uint8Array ? [...v] : v;
  }
  return out;
}

const tcp = (flags: string, payload: number) =>
  pkt()
    .eth()
    .ipv4({ src: '203.0.113.7', dst: '192.0.2.100' })
    .tcp({ sport: 40000, dport: 80, flags, options: new Uint8Array([2, 4, 5, 180]) })
    .payload(payload)
    .build();
const udp = (payload: number) =>
  pkt()
    .eth()
    .ipv4({ src: '198.51.100.9', dst: '192.0.2.1' })
    .udp({ sport: 5, dport: 53 })
    .payload(payload)
    .build();
const icmpErr = () =>
  pkt()
    .eth()
    .ipv4({ src: '198.51.100.9', dst: '192.0.2.1' })
    .icmp({ type: 3, code: 4, rest: 1400 })
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.9' })
    .tcp({ sport: 80, dport: 1234 })
    .build();
const arp = () =>
  pkt().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ senderIp: '192.0.2.9', targetIp: '192.0.2.1' }).build();

// Seeds the fast path takes (TCP and UDP over plain IPv4) and ones that leave rare fields set.
const fastSeeds = [tcp('A', 0), tcp('PA', 30), tcp('S', 0), udp(0), udp(12)];
const otherSeeds = [icmpErr(), arp()];

const frames = fc
  .record({
    seed: fc.constantFrom(...fastSeeds, ...otherSeeds),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    lead: fc.integer({ min: 0, max: 9 }),
    trail: fc.integer({ min: 0, max: 9 }),
    cut: fc.integer({ min: -4, max: 4 }),
  })
  .map(({ seed, flips, lead, trail, cut }) => {
    // The frame lies at an offset inside a larger buffer, as in a ring.
    const b = new Uint8Array(lead + seed.length + trail).fill(0xa5);
    b.set(seed, lead);
    // Flips land in the Ethernet, IP and L4 headers most of the time.
    for (const [at, v] of flips) b[lead + (at % Math.min(seed.length, 60))] = v;
    return { b, base: lead, len: seed.length + cut };
  });

describe('parseFlow fast path (untagged IPv4 TCP/UDP)', () => {
  it('leaves every field and the verdict exactly as the general parser does, frames mutated and cut', () => {
    const fast = new Flow();
    const slow = new Flow();
    fc.assert(
      fc.property(frames, frames, (prev, cur) => {
        // The previous frame on the same Flow must leave no trace (ICMP and ARP set rare fields).
        assert.equal(
          parseFlow(prev.b, prev.len, fast, prev.base),
          parseFrame(prev.b, prev.len, slow, prev.base),
        );
        const a = parseFlow(cur.b, cur.len, fast, cur.base);
        const b = parseFrame(cur.b, cur.len, slow, cur.base);
        assert.equal(a, b);
        assert.deepEqual(fields(fast), fields(slow));
      }),
      { numRuns: 4000 },
    );
  });

  it('reads every header field as the general parser does, over random valid TCP and UDP frames', () => {
    const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const frame = fc
      .record({
        src: ip4,
        dst: ip4,
        ttl: fc.nat(255),
        tos: fc.nat(255),
        id: fc.nat(0xffff),
        df: fc.boolean(),
        sport: fc.nat(0xffff),
        dport: fc.nat(0xffff),
        udp: fc.boolean(),
        flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R', 'U', ''),
        payload: fc.nat(40),
      })
      .map((o) => {
        const b = pkt().eth().ipv4({ src: o.src, dst: o.dst, ttl: o.ttl, tos: o.tos, id: o.id, df: o.df });
        const l4 = o.udp
          ? b.udp({ sport: o.sport, dport: o.dport })
          : b.tcp({ sport: o.sport, dport: o.dport, flags: o.flags });
        return l4.payload(o.payload).build();
      });
    const fast = new Flow();
    const slow = new Flow();
    fc.assert(
      fc.property(frame, (f) => {
        assert.equal(parseFlow(f, f.length, fast), 0);
        assert.equal(parseFrame(f, f.length, slow), 0);
        assert.deepEqual(fields(fast), fields(slow));
      }),
      { numRuns: 1000 },
    );
  });

  it('parses a frame at offset 0 and at an offset inside a ring buffer the same way', () => {
    const f = tcp('PA', 30);
    const ring = new Uint8Array(f.length + 100);
    ring.set(f, 37);
    const a = new Flow();
    const b = new Flow();
    assert.equal(parseFlow(f, f.length, a), 0);
    assert.equal(parseFlow(ring, f.length, b, 37), 0);
    assert.deepEqual(
      [b.l3Off - 37, b.l4Off - 37, b.payloadOff - 37, b.sport, b.dport, b.tcpFlags],
      [a.l3Off, a.l4Off, a.payloadOff, 40000, 80, 0x18],
    );
  });

  it('a bad IPv4 header checksum is still refused', () => {
    const f = tcp('A', 0);
    f[14 + 10] = (f[14 + 10]! ^ 1) & 0xff;
    assert.equal(parseFlow(f, f.length, new Flow()), parseFrame(f, f.length, new Flow()));
    assert.notEqual(parseFlow(f, f.length, new Flow()), 0);
  });
});
