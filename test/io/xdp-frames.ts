/**
 * Frames and a service table for the XDP filter tests: one service of each kind the filter
 * knows (TCP VIP:80 by DR, a UDP every-port VIP, a NAT service with a masquerading real server,
 * a FULLNAT service with a LIP), crafted frames around them, and a fast-check arbitrary of
 * frames biased towards those addresses and ports so both verdicts come up often.
 */
import fc from 'fast-check';
import type { BypassService } from '../../src/io/host/bypass-rules.js';

const VIP = [192, 0, 2, 10];
const VIP_ANY = [192, 0, 2, 11];
const NAT_VIP = [192, 0, 2, 12];
const RIP = [198, 51, 100, 2];
const LIP = [203, 0, 113, 100];
const HOST = [198, 51, 100, 1];
const OTHER = [198, 51, 100, 9];

/** The host's own addresses: a NAT-reply match addressed here passes. */
export const LOCAL = ['198.51.100.1'];

const dest = (addr: string, port: number, fwd: number) => ({ addr, port, af: 4 as const, fwd });

/** Services in the shape bypassSpecFromServices reads (fwd 0 = MASQ, 3 = DROUTE as core/types FWD). */
export const FILTER_SERVICES: readonly BypassService[] = [
  {
    key: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 },
    laddrs: [],
    dests: [dest('198.51.100.3', 80, 3)],
  },
  { key: { kind: 'addr', af: 4, protocol: 17, addr: '192.0.2.11', port: 0 }, laddrs: [], dests: [] },
  {
    key: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.12', port: 80 },
    laddrs: [],
    dests: [dest('198.51.100.2', 8080, 0)],
  },
  {
    key: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.13', port: 443 },
    laddrs: ['203.0.113.100'],
    dests: [],
  },
];

/** An Ethernet + IPv4 + L4 frame; `l4` holds the 4 port bytes and more. */
export function frame(o: {
  src: number[];
  dst: number[];
  proto: number;
  sport: number;
  dport: number;
  etherType?: number;
  vhl?: number;
  frag?: number;
  len?: number;
}): Uint8Array {
  const f = new Uint8Array(o.len ?? 60);
  const b = Buffer.from(f.buffer);
  b.writeUInt16BE(o.etherType ?? 0x0800, 12);
  f[14] = o.vhl ?? 0x45;
  b.writeUInt16BE(f.length - 14, 16);
  b.writeUInt16BE(o.frag ?? 0x4000, 20);
  f[22] = 64;
  f[23] = o.proto;
  f.set(o.src, 26);
  f.set(o.dst, 30);
  const l4 = 14 + ((o.vhl ?? 0x45) & 15) * 4;
  if (l4 + 4 <= f.length) {
    b.writeUInt16BE(o.sport, l4);
    b.writeUInt16BE(o.dport, l4 + 2);
  }
  return f;
}

const C = [203, 0, 113, 7];

/** Named frames and the action the filter must take (see xdp-filter.test.ts). */
export const FRAMES: Record<string, Uint8Array> = {
  vipTcp: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80 }),
  vipOtherPort: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 22 }),
  vipUdpWrongProto: frame({ src: C, dst: VIP, proto: 17, sport: 40000, dport: 80 }),
  vipAnyUdp: frame({ src: C, dst: VIP_ANY, proto: 17, sport: 5, dport: 9 }),
  natVip: frame({ src: C, dst: NAT_VIP, proto: 6, sport: 40000, dport: 80 }),
  natReply: frame({ src: RIP, dst: C, proto: 6, sport: 8080, dport: 40000 }),
  natReplyOtherPort: frame({ src: RIP, dst: C, proto: 6, sport: 22, dport: 40000 }),
  natReplyToHost: frame({ src: RIP, dst: HOST, proto: 6, sport: 8080, dport: 40000 }),
  lipTcp: frame({ src: RIP, dst: LIP, proto: 6, sport: 80, dport: 61000 }),
  lipUdp: frame({ src: RIP, dst: LIP, proto: 17, sport: 80, dport: 61000 }),
  icmpToVip: frame({ src: C, dst: VIP, proto: 1, sport: 0x0800, dport: 0 }),
  arp: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, etherType: 0x0806 }),
  vlan: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, etherType: 0x8100 }),
  ipv6: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, etherType: 0x86dd }),
  laterFragment: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, frag: 0x0010 }),
  firstFragment: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, frag: 0x2000 }),
  withOptions: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, vhl: 0x46 }),
  badIhl: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80, vhl: 0x44 }),
  truncatedPorts: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80 }).subarray(0, 36),
  truncatedIp: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80 }).subarray(0, 30),
  ethernetOnly: frame({ src: C, dst: VIP, proto: 6, sport: 40000, dport: 80 }).subarray(0, 14),
  other: frame({ src: C, dst: OTHER, proto: 6, sport: 40000, dport: 80 }),
};

/** Expected action per frame: 4 = XDP_REDIRECT, 2 = XDP_PASS. */
export const EXPECTED: Record<string, number> = {
  vipTcp: 4,
  vipOtherPort: 2,
  vipUdpWrongProto: 2,
  vipAnyUdp: 4,
  natVip: 4,
  natReply: 4,
  natReplyOtherPort: 2,
  natReplyToHost: 2,
  lipTcp: 4,
  lipUdp: 2,
  icmpToVip: 2,
  arp: 2,
  vlan: 2,
  ipv6: 2,
  laterFragment: 2,
  firstFragment: 2,
  withOptions: 4,
  badIhl: 2,
  truncatedPorts: 2,
  truncatedIp: 2,
  ethernetOnly: 2,
  other: 2,
};

const addrs = [VIP, VIP_ANY, NAT_VIP, RIP, LIP, HOST, OTHER, C];
const addr = fc.oneof(
  fc.constantFrom(...addrs),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
);
const port = fc.oneof(fc.constantFrom(0, 9, 22, 80, 443, 8080, 40000), fc.integer({ min: 0, max: 65535 }));

/** Random frames near the services above, including odd headers and truncations (≥ 14 bytes). */
export const randomFrame: fc.Arbitrary<Uint8Array> = fc
  .record({
    src: addr,
    dst: addr,
    proto: fc.constantFrom(1, 6, 17, 132, 47),
    sport: port,
    dport: port,
    etherType: fc.constantFrom(0x0800, 0x0800, 0x0800, 0x0806, 0x86dd, 0x8100),
    vhl: fc.constantFrom(0x45, 0x45, 0x46, 0x4f, 0x44, 0x65),
    frag: fc.constantFrom(0, 0x4000, 0x2000, 0x0001, 0x1fff, 0x0100),
    len: fc.integer({ min: 60, max: 128 }),
    cut: fc.integer({ min: 14, max: 140 }),
  })
  .map((r) => {
    const f = frame(r);
    return r.cut < f.length ? f.slice(0, r.cut) : f;
  });
