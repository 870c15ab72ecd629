/**
 * Packet-in / packet-out fixture tables for the four forwarding methods (as katran's test fixtures):
 * each scenario runs a fresh lab engine over a sequence of frames built with the packet builder
 * and states the exact frames that must come out, or a check where a field is chosen at run time
 * (tunnel IP IDs and GUE source ports). Expected frames are built independently with full
 * checksums, so a byte match also proves every incremental checksum update.
 */
import assert from 'node:assert/strict';
import { Flow, PARSE, parseFlow } from '../../src/packet/index.js';
import { mssOption, toaOption } from '../../src/packet/tcp-options.js';
import type { Simulation } from '../../src/tools/simulate.js';
import {
  CLIENT,
  DIR_IP,
  DIR_MAC,
  GW_MAC,
  hex,
  LIP,
  lab,
  RS1,
  RS1_MAC,
  RS2,
  RS2_MAC,
  run,
  VIP,
} from '../engine/lab.js';
import { type IPv4Opts, type PacketBuilder, pkt, type TcpOpts } from '../helpers/packet-builder.js';

/** A router between the client and the director that reports errors. */
export const ROUTER = '198.51.100.1';

/** One frame in and what must come out. */
export interface Step {
  readonly desc: string;
  readonly in: Buffer;
  /** Exact frames out, in order. */
  readonly out?: readonly Buffer[];
  /** Or a check over the frames out. */
  readonly check?: (tx: readonly Buffer[]) => void;
  /** Drop reasons expected (default none). */
  readonly drops?: readonly string[];
  readonly flags?: number;
}

/** A sequence of steps on one fresh lab. */
export interface Scenario {
  readonly method: 'nat' | 'dr' | 'tun' | 'fullnat';
  readonly desc: string;
  readonly sim?: () => Simulation;
  readonly steps: readonly Step[];
}

/** Frame from the client side (arrives from the gateway's MAC). */
export const fromClient = (): PacketBuilder => pkt().eth({ src: GW_MAC, dst: DIR_MAC });
/** Frame the director sends toward the client (to the gateway's MAC). */
export const toClient = (): PacketBuilder => pkt().eth({ src: DIR_MAC, dst: GW_MAC });
/** Frame from / to a real server. */
export const fromRs = (mac: string): PacketBuilder => pkt().eth({ src: mac, dst: DIR_MAC });
export const toRs = (mac: string): PacketBuilder => pkt().eth({ src: DIR_MAC, dst: mac });

const C4 = new Uint8Array([203, 0, 113, 7]);

/** Runs a scenario, asserting every step; returns every frame sent (for the tshark cross-check). */
export function runScenario(s: Scenario): Buffer[] {
  const sim = s.sim ? s.sim() : lab();
  const all: Buffer[] = [];
  for (const st of s.steps) {
    const r = run(sim, st.in, st.flags ?? 0);
    assert.deepEqual(r.drops, st.drops ?? [], `${s.desc} / ${st.desc}: drops`);
    if (st.out) assert.deepEqual(r.tx.map(hex), st.out.map(hex), `${s.desc} / ${st.desc}: frames out`);
    st.check?.(r.tx);
    all.push(...r.tx);
  }
  return all;
}

/** Parses a frame the engine emitted (it must parse cleanly). */
export function flowOf(b: Uint8Array): Flow {
  const f = new Flow();
  assert.equal(parseFlow(b, b.length, f), PARSE.OK);
  return f;
}

// Outer fields chosen at run time are read back so the rest can be compared byte for byte.
function outerId(b: Buffer): number {
  return b.readUInt16BE(14 + 4);
}

/** ICMP frag-needed (type 3 code 4, next-hop MTU 1400) on top of `ip`, quoting `embed`. */
const fragNeeded = (ip: PacketBuilder, embed: PacketBuilder): PacketBuilder =>
  ip.icmp({ type: 3, code: 4, mtu: 1400, embed });
/** ICMP unreachable `code` on top of `ip`, quoting `embed`'s IP header and first 8 bytes (RFC 792). */
const unreach8 = (ip: PacketBuilder, code: number, embed: PacketBuilder): PacketBuilder =>
  ip.icmp({ type: 3, code, embed, embedTruncate: 8 });
/** A quoted TCP segment `src:sport` → `dst:dport`; `ip` and `tcp` add fields. */
const quoted = (
  src: string,
  sport: number,
  dst: string,
  dport: number,
  ip: Partial<IPv4Opts> = {},
  tcp: Partial<TcpOpts> = {},
): PacketBuilder =>
  pkt()
    .ipv4({ src, dst, ...ip })
    .tcp({ sport, dport, ...tcp });
/** A router's frag-needed to the VIP about the VIP's reply from `vport` to the client's port 40000. */
const routerFragNeeded = (
  vport: number,
  ip: Partial<IPv4Opts> = {},
  tcp: Partial<TcpOpts> = {},
): PacketBuilder =>
  fragNeeded(fromClient().ipv4({ src: ROUTER, dst: VIP }), quoted(VIP, vport, CLIENT, 40000, ip, tcp));

const syn = (dport: number, extra: object = {}) =>
  fromClient()
    .ipv4({ src: CLIENT, dst: VIP, ...extra })
    .tcp({ sport: 40000, dport, flags: 'S', seq: 1000 });

export const NAT: Scenario[] = [
  {
    method: 'nat',
    desc: 'NAT TCP: DNAT with port mapping, SNAT of replies, ICMP both ways',
    steps: [
      {
        desc: 'SYN to VIP:80 goes to RS1:8080',
        in: syn(80).build(),
        out: [
          toRs(RS1_MAC)
            .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
            .tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 1000 })
            .build(),
        ],
      },
      {
        desc: 'SYN-ACK from RS1:8080 leaves as VIP:80 toward the gateway',
        in: fromRs(RS1_MAC)
          .ipv4({ src: RS1, dst: CLIENT })
          .tcp({ sport: 8080, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })
          .build(),
        out: [
          toClient()
            .ipv4({ src: VIP, dst: CLIENT, ttl: 63 })
            .tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })
            .build(),
        ],
      },
      {
        desc: 'client data with payload keeps the mapping',
        in: fromClient()
          .ipv4({ src: CLIENT, dst: VIP, df: true })
          .tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 1001, ack: 5001 })
          .payload('GET / HTTP/1.0\r\n\r\n')
          .build(),
        out: [
          toRs(RS1_MAC)
            .ipv4({ src: CLIENT, dst: RS1, ttl: 63, df: true })
            .tcp({ sport: 40000, dport: 8080, flags: 'PA', seq: 1001, ack: 5001 })
            .payload('GET / HTTP/1.0\r\n\r\n')
            .build(),
        ],
      },
      {
        desc: 'frag-needed from a router about our reply goes to RS1 quoting RS1:8080',
        in: routerFragNeeded(80, { df: true }, { seq: 5001 }).build(),
        out: [
          fragNeeded(
            toRs(RS1_MAC).ipv4({ src: ROUTER, dst: RS1, ttl: 63 }),
            quoted(RS1, 8080, CLIENT, 40000, { df: true }, { seq: 5001 }),
          ).build(),
        ],
      },
      {
        desc: 'an ICMP error from RS1 about the request reaches the client quoting VIP:80',
        in: unreach8(
          fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }),
          3,
          quoted(CLIENT, 40000, RS1, 8080, { ttl: 63 }),
        ).build(),
        out: [
          unreach8(
            toClient().ipv4({ src: VIP, dst: CLIENT, ttl: 63 }),
            3,
            quoted(CLIENT, 40000, VIP, 80, { ttl: 63 }),
          ).build(),
        ],
      },
    ],
  },
  {
    method: 'nat',
    desc: 'NAT UDP: request and reply',
    steps: [
      {
        desc: 'query to VIP:53 goes to RS1:5353',
        in: fromClient().ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 5000, dport: 53 }).payload('q').build(),
        out: [
          toRs(RS1_MAC)
            .ipv4({ src: CLIENT, dst: RS1, ttl: 63 })
            .udp({ sport: 5000, dport: 5353 })
            .payload('q')
            .build(),
        ],
      },
      {
        desc: 'answer from RS1:5353 leaves as VIP:53',
        in: fromRs(RS1_MAC)
          .ipv4({ src: RS1, dst: CLIENT })
          .udp({ sport: 5353, dport: 5000 })
          .payload('a')
          .build(),
        out: [
          toClient()
            .ipv4({ src: VIP, dst: CLIENT, ttl: 63 })
            .udp({ sport: 53, dport: 5000 })
            .payload('a')
            .build(),
        ],
      },
      {
        desc: 'a datagram from RS1 with no conn is not ours',
        in: fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).udp({ sport: 5353, dport: 5999 }).build(),
        out: [],
        drops: ['not_ours'],
      },
    ],
  },
];

export const DR: Scenario[] = [
  {
    method: 'dr',
    desc: 'DR: only the MACs (and the TTL) change',
    steps: [
      {
        desc: 'SYN to VIP:81 goes to RS1 MAC unchanged at IP level',
        in: syn(81, { tos: 0x10, id: 77, df: true }).build(),
        out: [
          toRs(RS1_MAC)
            .ipv4({ src: CLIENT, dst: VIP, ttl: 63, tos: 0x10, id: 77, df: true })
            .tcp({ sport: 40000, dport: 81, flags: 'S', seq: 1000 })
            .build(),
        ],
      },
      {
        desc: 'an ICMP error about the VIP reply is relayed to RS1 as is',
        in: routerFragNeeded(81).build(),
        out: [
          fragNeeded(
            toRs(RS1_MAC).ipv4({ src: ROUTER, dst: VIP, ttl: 63 }),
            quoted(VIP, 81, CLIENT, 40000),
          ).build(),
        ],
      },
      {
        desc: 'a DR reply passing through the director is not ours',
        in: fromRs(RS1_MAC)
          .ipv4({ src: VIP, dst: CLIENT })
          .tcp({ sport: 81, dport: 40000, flags: 'SA' })
          .build(),
        out: [],
        drops: ['not_ours'],
      },
    ],
  },
];

export const TUN: Scenario[] = [
  {
    method: 'tun',
    desc: 'TUN: IPIP, GUE with checksum, GRE with checksum, frag-needed sized for the tunnel',
    steps: [
      {
        desc: 'IPIP: outer director → RS1, inner unchanged but for the TTL',
        in: syn(82).build(),
        check: (tx) => {
          assert.equal(tx.length, 1);
          const id = outerId(tx[0]!);
          const want = toRs(RS1_MAC)
            .ipip({ src: DIR_IP, dst: RS1, ttl: 63, id })
            .ipv4({ src: CLIENT, dst: VIP, ttl: 63 });
          assert.equal(
            hex(tx[0]!),
            hex(want.tcp({ sport: 40000, dport: 82, flags: 'S', seq: 1000 }).build()),
          );
        },
      },
      {
        desc: 'GUE: UDP to --tun-port with a flow-hash source port and a full checksum',
        in: fromClient()
          .ipv4({ src: CLIENT, dst: VIP })
          .udp({ sport: 5000, dport: 83 })
          .payload('dns?')
          .build(),
        check: (tx) => {
          assert.equal(tx.length, 1);
          const b = tx[0]!;
          const sport = b.readUInt16BE(34);
          assert.ok(sport >= 32768 && sport < 61000, `GUE source port ${sport} in the ephemeral range`);
          const want = toRs(RS1_MAC)
            .ipv4({ src: DIR_IP, dst: RS1, ttl: 63, id: outerId(b) })
            .udp({ sport, dport: 6080 })
            .gue()
            .ipv4({ src: CLIENT, dst: VIP, ttl: 63 })
            .udp({ sport: 5000, dport: 83 })
            .payload('dns?')
            .build();
          assert.equal(hex(b), hex(want));
        },
      },
      {
        desc: 'GRE with --tun-csum: C bit and checksum word',
        in: syn(84).build(),
        check: (tx) => {
          assert.equal(tx.length, 1);
          const want = toRs(RS1_MAC)
            .ipv4({ src: DIR_IP, dst: RS1, ttl: 63, id: outerId(tx[0]!) })
            .gre({ csum: true })
            .ipv4({ src: CLIENT, dst: VIP, ttl: 63 })
            .tcp({ sport: 40000, dport: 84, flags: 'S', seq: 1000 })
            .build();
          assert.equal(hex(tx[0]!), hex(want));
        },
      },
      {
        desc: 'a DF packet too big once encapsulated gets frag-needed with MTU 1480 from the VIP',
        in: fromClient()
          .ipv4({ src: CLIENT, dst: VIP, df: true })
          .tcp({ sport: 40000, dport: 82, flags: 'A', seq: 1001 })
          .payload(1450)
          .build(),
        drops: ['too_big'],
        check: (tx) => {
          assert.equal(tx.length, 1);
          const f = flowOf(tx[0]!);
          assert.equal(
            hex(tx[0]!.subarray(0, 12)),
            '0200000000fe020000000001',
            'to the gateway from the director',
          );
          assert.deepEqual([f.src4, f.dst4, f.icmpType, f.icmpCode], [0xc0000264, 0xcb007107, 3, 4]);
          assert.equal(tx[0]!.readUInt16BE(f.l4Off + 6), 1480);
          assert.deepEqual(
            [f.innerSrc4, f.innerDst4, f.innerSport, f.innerDport],
            [0xcb007107, 0xc0000264, 40000, 82],
          );
        },
      },
      {
        desc: 'an ICMP error about the VIP reply is relayed encapsulated',
        in: routerFragNeeded(82).build(),
        check: (tx) => {
          assert.equal(tx.length, 1);
          const want = fragNeeded(
            toRs(RS1_MAC)
              .ipip({ src: DIR_IP, dst: RS1, ttl: 63, id: outerId(tx[0]!) })
              .ipv4({ src: ROUTER, dst: VIP, ttl: 63 }),
            quoted(VIP, 82, CLIENT, 40000),
          ).build();
          assert.equal(hex(tx[0]!), hex(want));
        },
      },
    ],
  },
];

const fnatSyn = (flags: string, seq: number, ack: number, payload = '') => {
  const b = fromClient()
    .ipv4({ src: CLIENT, dst: VIP })
    .tcp({
      sport: 40000,
      dport: 85,
      flags,
      seq,
      ack,
      ...(flags === 'S' ? { options: [mssOption(1460)] } : {}),
    });
  return payload ? b.payload(payload) : b;
};
const fnatToRs = (flags: string, seq: number, ack: number, toa: boolean, payload = '') => {
  const opts = [];
  if (toa) opts.push(toaOption(40000, C4));
  if (flags === 'S') opts.push(mssOption(1460));
  const b = toRs(RS2_MAC)
    .ipv4({ src: LIP, dst: RS2, ttl: 63 })
    .tcp({ sport: 1024, dport: 8085, flags, seq, ack, options: opts });
  return payload ? b.payload(payload) : b;
};

export const FULLNAT: Scenario[] = [
  {
    method: 'fullnat',
    desc: 'FULLNAT TCP: LIP:lport + RIP, TOA in the SYN and first ACK, reverse on replies, ICMP both ways',
    steps: [
      {
        desc: 'SYN leaves LIP:1024 → RS2:8085 with TOA before the MSS option',
        in: fnatSyn('S', 1000, 0).build(),
        out: [fnatToRs('S', 1000, 0, true).build()],
      },
      {
        desc: 'SYN-ACK to LIP:1024 leaves as VIP:85 → client with MSS lowered by 8',
        in: fromRs(RS2_MAC)
          .ipv4({ src: RS2, dst: LIP })
          .tcp({ sport: 8085, dport: 1024, flags: 'SA', seq: 5000, ack: 1001, options: [mssOption(1460)] })
          .build(),
        out: [
          toClient()
            .ipv4({ src: VIP, dst: CLIENT, ttl: 63 })
            .tcp({ sport: 85, dport: 40000, flags: 'SA', seq: 5000, ack: 1001, options: [mssOption(1452)] })
            .build(),
        ],
      },
      {
        desc: 'the ACK completing the handshake carries TOA',
        in: fnatSyn('A', 1001, 5001).build(),
        out: [fnatToRs('A', 1001, 5001, true).build()],
      },
      {
        desc: 'data acknowledging the SYN-ACK still carries TOA',
        in: fnatSyn('PA', 1001, 5001, 'hello').build(),
        out: [fnatToRs('PA', 1001, 5001, true, 'hello').build()],
      },
      {
        desc: 'later segments go without TOA',
        in: fnatSyn('A', 1006, 5100).build(),
        out: [fnatToRs('A', 1006, 5100, false).build()],
      },
      {
        desc: 'frag-needed about our reply goes to RS2 quoting RS2:8085 → LIP:1024',
        in: routerFragNeeded(85).build(),
        out: [
          fragNeeded(
            toRs(RS2_MAC).ipv4({ src: LIP, dst: RS2, ttl: 63 }),
            quoted(RS2, 8085, LIP, 1024),
          ).build(),
        ],
      },
      {
        desc: 'an ICMP error to the LIP about our request reaches the client quoting client → VIP:85',
        in: unreach8(
          fromRs(RS2_MAC).ipv4({ src: RS2, dst: LIP }),
          1,
          quoted(LIP, 1024, RS2, 8085, { ttl: 63 }),
        ).build(),
        out: [
          unreach8(
            toClient().ipv4({ src: VIP, dst: CLIENT, ttl: 63 }),
            1,
            quoted(CLIENT, 40000, VIP, 85, { ttl: 63 }),
          ).build(),
        ],
      },
      {
        desc: 'a second client gets the next local port',
        in: fromClient()
          .ipv4({ src: CLIENT, dst: VIP })
          .tcp({ sport: 40001, dport: 85, flags: 'S', seq: 1 })
          .build(),
        check: (tx) => {
          assert.equal(tx.length, 1);
          const f = flowOf(tx[0]!);
          assert.deepEqual([f.src4, f.sport, f.dst4, f.dport], [0xc00002c8, 1025, 0xc000020b, 8085]);
        },
      },
    ],
  },
  {
    method: 'fullnat',
    desc: 'FULLNAT with TOA switched off',
    sim: () => lab({ toa: false }),
    steps: [
      {
        desc: 'SYN without TOA',
        in: fnatSyn('S', 1000, 0).build(),
        out: [fnatToRs('S', 1000, 0, false).build()],
      },
    ],
  },
  {
    method: 'fullnat',
    desc: 'FULLNAT service without local addresses',
    sim: () => lab({ rules: `-A -t ${VIP}:85 -s rr\n-a -t ${VIP}:85 -r ${RS2}:8085 -b -w 1\n` }),
    steps: [{ desc: 'SYN dropped', in: fnatSyn('S', 1000, 0).build(), out: [], drops: ['no_local_address'] }],
  },
];

/** Every scenario. */
export const ALL: readonly Scenario[] = [...NAT, ...DR, ...TUN, ...FULLNAT];
