/**
 * A readable, fluent frame builder for tests (katran's PacketBuilder): layers are listed outermost
 * first and `build()` fills in lengths, next-protocol fields and checksums, using the real encoders
 * from src/packet. Checksums can be made deliberately wrong, absent or CHECKSUM_PARTIAL.
 *
 *   pkt().eth({}).ipv4({ src: '192.0.2.1', dst: '198.51.100.1' }).tcp({ sport: 1234, dport: 80, flags: 'S' }).payload('x').build()
 */
import { parseIPv4, parseIPv6 } from '../../src/core/addr.js';
import {
  ARP_OP,
  ETHERTYPE,
  encodeArp,
  encodeEthernet,
  encodeGre,
  encodeGue,
  encodeIcmp,
  encodeIPv4,
  encodeIPv6,
  encodeIPv6Ext,
  encodeIPv6Frag,
  encodeTcp,
  encodeUdp,
  fillGreChecksum,
  fillIcmpChecksum,
  fillL4Checksum,
  fillPartialChecksum,
  type IcmpHeader,
  IPPROTO,
  IPV4_FLAG,
  l4ChecksumOffset,
  parseMac,
  parseTcpFlags,
  type TcpOption,
  tcpOptionsBytes,
  type VlanTag,
} from '../../src/packet/index.js';

/** How a checksum is produced: computed (default), wrong, absent (0), CHECKSUM_PARTIAL, or a fixed value. */
export type CsumMode = 'auto' | 'bad' | 'zero' | 'partial' | number;

/** Ethernet layer options; the type follows the next layer unless given. */
export interface EthOpts {
  src?: string;
  dst?: string;
  vlan?: number | VlanTag;
  type?: number;
}

/** ARP layer options. */
export interface ArpOpts {
  op?: 'request' | 'reply' | number;
  senderMac?: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}

/** IPv4 layer options; protocol and total length follow the inner layers unless given. */
export interface IPv4Opts {
  src: string;
  dst: string;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  proto?: number;
  options?: Uint8Array;
  totalLength?: number;
  /** Overrides the IHL nibble (for malformed-header tests). */
  ihl?: number;
  csum?: 'auto' | 'bad' | number;
}

/** An IPv6 extension header to insert after the base header, in order. */
export type IPv6ExtOpts =
  | { type: 'hop' | 'dst' | 'routing' | 'ah'; body?: Uint8Array }
  | { type: 'frag'; offset?: number; more?: boolean; id?: number };

/** IPv6 layer options. */
export interface IPv6Opts {
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: IPv6ExtOpts[];
  proto?: number;
  payloadLength?: number;
}

/** TCP layer options. */
export interface TcpOpts {
  sport: number;
  dport: number;
  /** Letters as in tcpdump (`'S'`, `'SA'`, `'FA'`, `'R'`, `'PA'`) or bits. */
  flags?: string | number;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  options?: readonly TcpOption[] | Uint8Array;
  csum?: CsumMode;
}

/** UDP layer options. */
export interface UdpOpts {
  sport: number;
  dport: number;
  length?: number;
  csum?: CsumMode;
}

/** ICMP/ICMPv6 layer options. `embed` is the offending packet of an error message. */
export interface IcmpOpts {
  type: number;
  code?: number;
  /** The type-specific word; or give id/seq (echo) or mtu (frag-needed / packet-too-big). */
  rest?: number;
  id?: number;
  seq?: number;
  mtu?: number;
  embed?: PacketBuilder | Uint8Array;
  /** Keep only the embedded IP header (with v6 extension headers as given) plus this many bytes. */
  embedTruncate?: number;
  csum?: CsumMode;
}

/** GRE layer options; the protocol follows the next layer. */
export interface GreOpts {
  csum?: boolean;
  key?: number;
  seq?: number;
}

/** GUE layer options; the proto follows the next layer. */
export interface GueOpts {
  fields?: Uint8Array;
  control?: boolean;
  flags?: number;
}

type Layer =
  | { kind: 'eth'; o: EthOpts }
  | { kind: 'arp'; o: ArpOpts }
  | { kind: 'ipv4'; o: IPv4Opts }
  | { kind: 'ipv6'; o: IPv6Opts }
  | { kind: 'tcp'; o: TcpOpts; opts: Uint8Array }
  | { kind: 'udp'; o: UdpOpts }
  | { kind: 'icmp' | 'icmpv6'; o: IcmpOpts; body: Uint8Array }
  | { kind: 'gre'; o: GreOpts }
  | { kind: 'gue'; o: GueOpts }
  | { kind: 'payload'; bytes: Uint8Array };

function ip4(s: string): number {
  const v = parseIPv4(s);
  if (v === undefined) throw new Error(`builder: bad IPv4 ${s}`);
  return v;
}

function ip6(s: string): Uint8Array {
  const v = parseIPv6(s);
  if (!v) throw new Error(`builder: bad IPv6 ${s}`);
  return v;
}

function extLen(e: IPv6ExtOpts): number {
  return e.type === 'frag' ? 8 : 2 + (e.body?.length ?? (e.type === 'ah' ? 14 : 6));
}

const EXT_PROTO = {
  hop: IPPROTO.HOPOPTS,
  dst: IPPROTO.DSTOPTS,
  routing: IPPROTO.ROUTING,
  ah: IPPROTO.AH,
  frag: IPPROTO.FRAGMENT,
};

function protoOf(l: Layer | undefined): number | undefined {
  switch (l?.kind) {
    case 'tcp':
      return IPPROTO.TCP;
    case 'udp':
      return IPPROTO.UDP;
    case 'icmp':
      return IPPROTO.ICMP;
    case 'icmpv6':
      return IPPROTO.ICMPV6;
    case 'ipv4':
      return IPPROTO.IPIP;
    case 'ipv6':
      return IPPROTO.IPV6;
    case 'gre':
      return IPPROTO.GRE;
    default:
      return undefined;
  }
}

function etherTypeOf(l: Layer | undefined): number {
  if (l?.kind === 'ipv4') return ETHERTYPE.IPV4;
  if (l?.kind === 'ipv6') return ETHERTYPE.IPV6;
  if (l?.kind === 'arp') return ETHERTYPE.ARP;
  return 0x88b5; // IEEE local experimental EtherType for raw payloads
}

/** The fluent builder; start one with {@link pkt}. */
export class PacketBuilder {
  private readonly layers: Layer[] = [];
  private padTo = 0;

  /** Adds an Ethernet header (default MACs 02:00:00:00:00:01 → 02:00:00:00:00:02). */
  eth(o: EthOpts = {}): this {
    this.layers.push({ kind: 'eth', o });
    return this;
  }

  /** Adds an Ethernet/IPv4 ARP packet. */
  arp(o: ArpOpts): this {
    this.layers.push({ kind: 'arp', o });
    return this;
  }

  /** Adds an IPv4 header. */
  ipv4(o: IPv4Opts): this {
    this.layers.push({ kind: 'ipv4', o });
    return this;
  }

  /** Adds an outer IPv4 header for IP-in-IP; its protocol becomes 4 or 41 from the next layer. */
  ipip(o: IPv4Opts): this {
    return this.ipv4(o);
  }

  /** Adds an IPv6 header with optional extension headers. */
  ipv6(o: IPv6Opts): this {
    this.layers.push({ kind: 'ipv6', o });
    return this;
  }

  /** Adds a TCP header. */
  tcp(o: TcpOpts): this {
    const opts = o.options instanceof Uint8Array ? o.options : tcpOptionsBytes(o.options ?? []);
    this.layers.push({ kind: 'tcp', o, opts });
    return this;
  }

  /** Adds a UDP header. */
  udp(o: UdpOpts): this {
    this.layers.push({ kind: 'udp', o });
    return this;
  }

  /** Adds an ICMPv4 message (error types take `embed`). */
  icmp(o: IcmpOpts): this {
    this.layers.push({ kind: 'icmp', o, body: embedBytes(o) });
    return this;
  }

  /** Adds an ICMPv6 message (error types take `embed`). */
  icmpv6(o: IcmpOpts): this {
    this.layers.push({ kind: 'icmpv6', o, body: embedBytes(o) });
    return this;
  }

  /** Adds a GRE header (protocol from the next layer). */
  gre(o: GreOpts = {}): this {
    this.layers.push({ kind: 'gre', o });
    return this;
  }

  /** Adds a GUE header; it must follow a udp() layer. */
  gue(o: GueOpts = {}): this {
    if (this.layers[this.layers.length - 1]?.kind !== 'udp')
      throw new Error('builder: gue() must follow udp()');
    this.layers.push({ kind: 'gue', o });
    return this;
  }

  /** Adds payload bytes: a string (UTF-8), bytes, or a count of zero bytes. */
  payload(p: string | Uint8Array | number): this {
    const bytes = typeof p === 'string' ? Buffer.from(p) : typeof p === 'number' ? new Uint8Array(p) : p;
    this.layers.push({ kind: 'payload', bytes });
    return this;
  }

  /** Pads the frame with zeros to at least `n` bytes (Ethernet's 60-byte minimum), outside every length. */
  pad(n = 60): this {
    this.padTo = n;
    return this;
  }

  /** Encodes the layers into one Buffer with lengths and checksums filled in. */
  build(): Buffer {
    const L = this.layers;
    const lens = L.map((l) => layerLen(l));
    const offs: number[] = [];
    let total = 0;
    for (const n of lens) {
      offs.push(total);
      total += n;
    }
    const buf = Buffer.alloc(Math.max(total, this.padTo));
    for (let i = 0; i < L.length; i++) encodeLayer(L[i]!, L[i + 1], buf, offs[i]!, total - offs[i]!);
    // Checksums innermost first, so outer checksums (UDP of GUE, GRE, ICMP) cover final inner bytes.
    for (let i = L.length - 1; i >= 0; i--) finishLayer(L, i, buf, offs, total);
    return buf;
  }
}

/** Starts a new frame. */
export function pkt(): PacketBuilder {
  return new PacketBuilder();
}

function embedBytes(o: IcmpOpts): Uint8Array {
  if (!o.embed) return new Uint8Array(0);
  const b = o.embed instanceof PacketBuilder ? o.embed.build() : o.embed;
  if (o.embedTruncate === undefined) return b;
  let hl: number;
  if (b[0]! >> 4 === 4) hl = (b[0]! & 15) * 4;
  else {
    // IPv6: step over extension headers so the cut keeps them whole.
    hl = 40;
    let nh = b[6]!;
    while (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) {
      const len = nh === 44 ? 8 : nh === 51 ? (b[hl + 1]! + 2) * 4 : (b[hl + 1]! + 1) * 8;
      nh = b[hl]!;
      hl += len;
    }
  }
  return b.subarray(0, Math.min(b.length, hl + o.embedTruncate));
}

function layerLen(l: Layer): number {
  switch (l.kind) {
    case 'eth':
      return l.o.vlan !== undefined ? 18 : 14;
    case 'arp':
      return 28;
    case 'ipv4':
      return 20 + (l.o.options?.length ?? 0);
    case 'ipv6':
      return 40 + (l.o.ext ?? []).reduce((a, e) => a + extLen(e), 0);
    case 'tcp':
      return 20 + l.opts.length;
    case 'udp':
      return 8;
    case 'icmp':
    case 'icmpv6':
      return 8 + l.body.length;
    case 'gre':
      return 4 + (l.o.csum ? 4 : 0) + (l.o.key !== undefined ? 4 : 0) + (l.o.seq !== undefined ? 4 : 0);
    case 'gue':
      return 4 + (l.o.fields?.length ?? 0);
    case 'payload':
      return l.bytes.length;
  }
}

function encodeLayer(l: Layer, next: Layer | undefined, buf: Buffer, off: number, rest: number): void {
  switch (l.kind) {
    case 'eth': {
      const v = l.o.vlan;
      const vlan = v === undefined ? undefined : typeof v === 'number' ? { pcp: 0, dei: false, vid: v } : v;
      const src = parseMac(l.o.src ?? '02:00:00:00:00:01');
      const dst = parseMac(l.o.dst ?? '02:00:00:00:00:02');
      encodeEthernet({ src, dst, vlan, etherType: l.o.type ?? etherTypeOf(next) }, buf, off);
      return;
    }
    case 'arp': {
      const op =
        l.o.op === 'reply'
          ? ARP_OP.REPLY
          : l.o.op === 'request' || l.o.op === undefined
            ? ARP_OP.REQUEST
            : l.o.op;
      encodeArp(
        {
          op,
          senderMac: parseMac(l.o.senderMac ?? '02:00:00:00:00:01'),
          senderIp: ip4(l.o.senderIp),
          targetMac: parseMac(l.o.targetMac ?? '00:00:00:00:00:00'),
          targetIp: ip4(l.o.targetIp),
        },
        buf,
        off,
      );
      return;
    }
    case 'ipv4': {
      const o = l.o;
      encodeIPv4(
        {
          tos: o.tos ?? 0,
          totalLength: o.totalLength ?? rest,
          id: o.id ?? 0,
          flags: (o.df ? IPV4_FLAG.DF : 0) | (o.mf ? IPV4_FLAG.MF : 0),
          fragOffset: (o.fragOffset ?? 0) / 8,
          ttl: o.ttl ?? 64,
          protocol: o.proto ?? protoOf(next) ?? 253,
          src: ip4(o.src),
          dst: ip4(o.dst),
          options: o.options ?? new Uint8Array(0),
          checksum: typeof o.csum === 'number' ? o.csum : undefined,
        },
        buf,
        off,
      );
      if (o.ihl !== undefined) {
        buf[off] = 0x40 | (o.ihl & 15);
        if (o.csum === undefined || o.csum === 'auto') buf.writeUInt16BE(0, off + 10);
      }
      if (o.csum === 'bad') buf[off + 11] = buf[off + 11]! ^ 0xff;
      return;
    }
    case 'ipv6': {
      const o = l.o;
      const ext = o.ext ?? [];
      const upper = o.proto ?? protoOf(next) ?? IPPROTO.NONE;
      const chain = [...ext.map((e) => EXT_PROTO[e.type]), upper];
      encodeIPv6(
        {
          trafficClass: o.trafficClass ?? 0,
          flowLabel: o.flowLabel ?? 0,
          payloadLength: o.payloadLength ?? rest - 40,
          nextHeader: chain[0]!,
          hopLimit: o.hopLimit ?? 64,
          src: ip6(o.src),
          dst: ip6(o.dst),
        },
        buf,
        off,
      );
      let p = off + 40;
      ext.forEach((e, i) => {
        const nh = chain[i + 1]!;
        if (e.type === 'frag') {
          p += encodeIPv6Frag(
            { nextHeader: nh, fragOffset: (e.offset ?? 0) / 8, more: e.more ?? false, id: e.id ?? 1 },
            buf,
            p,
          );
        } else {
          // PadN filling the default body keeps hop-by-hop/destination options well formed.
          const body = e.body ?? (e.type === 'ah' ? new Uint8Array(14) : new Uint8Array([1, 4, 0, 0, 0, 0]));
          p += encodeIPv6Ext({ type: EXT_PROTO[e.type], nextHeader: nh, body }, buf, p);
        }
      });
      return;
    }
    case 'tcp': {
      const o = l.o;
      const flags = typeof o.flags === 'number' ? o.flags : parseTcpFlags(o.flags ?? 'A');
      encodeTcp(
        {
          sport: o.sport,
          dport: o.dport,
          seq: o.seq ?? 1000,
          ack: o.ack ?? 0,
          flags,
          window: o.window ?? 65535,
          checksum: 0,
          urgent: o.urgent ?? 0,
          options: l.opts,
        },
        buf,
        off,
      );
      return;
    }
    case 'udp':
      encodeUdp({ sport: l.o.sport, dport: l.o.dport, length: l.o.length ?? rest, checksum: 0 }, buf, off);
      return;
    case 'icmp':
    case 'icmpv6': {
      const o = l.o;
      let restWord = o.rest ?? 0;
      if (o.id !== undefined || o.seq !== undefined) restWord = (((o.id ?? 0) << 16) | (o.seq ?? 0)) >>> 0;
      if (o.mtu !== undefined) restWord = o.mtu >>> 0;
      const h: IcmpHeader = { type: o.type, code: o.code ?? 0, checksum: 0, rest: restWord };
      encodeIcmp(h, buf, off);
      buf.set(l.body, off + 8);
      return;
    }
    case 'gre': {
      const proto = next?.kind === 'ipv6' ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
      encodeGre(
        { protocol: proto, checksum: l.o.csum ? 0 : undefined, key: l.o.key, seq: l.o.seq },
        buf,
        off,
      );
      return;
    }
    case 'gue':
      encodeGue(
        {
          control: l.o.control ?? false,
          proto: protoOf(next) ?? 0,
          flags: l.o.flags ?? 0,
          fields: l.o.fields ?? new Uint8Array(0),
        },
        buf,
        off,
      );
      return;
    case 'payload':
      buf.set(l.bytes, off);
      return;
  }
}

function finishLayer(L: Layer[], i: number, buf: Buffer, offs: number[], total: number): void {
  const l = L[i]!;
  const off = offs[i]!;
  if (l.kind === 'gre') {
    if (l.o.csum) fillGreChecksum(buf, off, total);
    return;
  }
  if (l.kind !== 'tcp' && l.kind !== 'udp' && l.kind !== 'icmp' && l.kind !== 'icmpv6') return;
  let ipIdx = i - 1;
  while (ipIdx >= 0 && L[ipIdx]!.kind !== 'ipv4' && L[ipIdx]!.kind !== 'ipv6') ipIdx--;
  const l3off = ipIdx >= 0 ? offs[ipIdx]! : -1;
  const proto = protoOf(l)!;
  const mode: CsumMode = l.o.csum ?? 'auto';
  const co = off + l4ChecksumOffset(proto);
  if (typeof mode === 'number') buf.writeUInt16BE(mode, co);
  else if (mode === 'zero') buf.writeUInt16BE(0, co);
  else if (mode === 'partial') fillPartialChecksum(buf, l3off, off, total, proto);
  else {
    if (l.kind === 'icmp') fillIcmpChecksum(buf, off, total);
    else fillL4Checksum(buf, l3off, off, total, proto);
    if (mode === 'bad') buf[co + 1] = buf[co + 1]! ^ 0xff;
  }
}
