/**
 * One Ethernet frame as a line a person reads (tcpdump -e style: MACs, addresses, ports, TCP flags,
 * a tunnel's outer header before its inner packet) and the fields that differ between a frame the
 * director received and the frame it sent for it. Shared by `lvsd simulate` and `lvsadm lab trace`
 * so both tools speak one notation. Pure and total: any byte string gives a summary, short or odd
 * frames give what could be read.
 */
import { formatIPv4, formatIPv6 } from '../core/addr.js';
import { formatMac } from '../packet/ethernet.js';

/** The network and transport part of a packet (the inner packet of a tunnel too). */
export interface IpSummary {
  /** 'tcp', 'udp', 'icmp', 'icmp6' or `ipN` for other protocols. */
  kind: string;
  af: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  /** IP total length (IPv6: payload length plus 40). */
  ipLen: number;
  sport?: number;
  dport?: number;
  /** TCP flags in tcpdump letters ('S', 'S.', 'P.', 'F.', 'R', '.'). */
  flags?: string;
  seq?: number;
  ack?: number;
  /** ICMP / ICMPv6 type and code. */
  icmpType?: number;
  icmpCode?: number;
}

/** What {@link summarizeFrame} read from one frame. */
export interface FrameSummary {
  srcMac: string;
  dstMac: string;
  /**
   * 'arp', 'tcp', 'udp', 'icmp', 'icmp6', `ipN`, a tunnel ('ipip', 'ip6ip6', 'gre', 'gue') or the
   * EtherType in hex.
   */
  kind: string;
  /** IP source and destination (the outer ones of a tunnel; ARP: sender and target address). */
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  flags?: string;
  /** ARP: 'who-has' (request) or 'is-at' (reply). */
  arp?: 'who-has' | 'is-at';
  /** ARP sender hardware address. */
  arpMac?: string;
  /** The IP packet (the outer one of a tunnel). */
  ip?: IpSummary;
  /** The packet a tunnel carries. */
  inner?: IpSummary;
  /** Frame length in bytes. */
  len: number;
}

/** Options of {@link summarizeFrame}. */
export interface SummaryOptions {
  /** UDP destination ports that carry GUE (default 6080, ipvsadm's --tun-port example). */
  readonly guePorts?: ReadonlySet<number>;
}

const DEFAULT_GUE = new Set([6080]);
const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** TCP flags as tcpdump prints them (RFC 9293 §3.1 bit order: FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
export function tcpFlagLetters(f: number): string {
  let s = '';
  if (f & 2) s += 'S';
  if (f & 1) s += 'F';
  if (f & 4) s += 'R';
  if (f & 8) s += 'P';
  if (f & 32) s += 'U';
  if (f & 16) s += '.';
  return s || 'none';
}

// The IP packet at `o` (up to `end`): addresses, L4 ports, flags; returns also where L4 starts.
function readIp(
  b: Uint8Array,
  o: number,
  end: number,
): { ip: IpSummary; l4: number; proto: number } | undefined {
  if (o + 1 > end) return undefined;
  const v = b[o]! >> 4;
  let ip: IpSummary;
  let l4: number;
  let proto: number;
  if (v === 4 && o + 20 <= end) {
    l4 = o + (b[o]! & 15) * 4;
    proto = b[o + 9]!;
    ip = {
      kind: '',
      af: 4,
      src: formatIPv4(u32(b, o + 12)),
      dst: formatIPv4(u32(b, o + 16)),
      ttl: b[o + 8]!,
      ipLen: u16(b, o + 2),
    };
  } else if (v === 6 && o + 40 <= end) {
    l4 = o + 40;
    proto = b[o + 6]!;
    ip = {
      kind: '',
      af: 6,
      src: formatIPv6(b.subarray(o + 8, o + 24)),
      dst: formatIPv6(b.subarray(o + 24, o + 40)),
      ttl: b[o + 7]!,
      ipLen: u16(b, o + 4) + 40,
    };
  } else return undefined;
  ip.kind =
    proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : proto === 58 ? 'icmp6' : `ip${proto}`;
  if ((proto === 6 || proto === 17) && l4 + 4 <= end) {
    ip.sport = u16(b, l4);
    ip.dport = u16(b, l4 + 2);
    if (proto === 6 && l4 + 14 <= end) {
      ip.seq = u32(b, l4 + 4);
      ip.ack = u32(b, l4 + 8);
      ip.flags = tcpFlagLetters(b[l4 + 13]!);
    }
  } else if ((proto === 1 || proto === 58) && l4 + 2 <= end) {
    ip.icmpType = b[l4]!;
    ip.icmpCode = b[l4 + 1]!;
  }
  return { ip, l4, proto };
}

// Where a tunnel's inner packet starts, or -1 when the packet is no tunnel we know.
function innerOffset(
  b: Uint8Array,
  proto: number,
  l4: number,
  ip: IpSummary,
  end: number,
  gue: ReadonlySet<number>,
): [string, number] {
  if (proto === 4) return ['ipip', l4];
  if (proto === 41) return ['ip6ip6', l4];
  if (proto === 47 && l4 + 4 <= end) {
    // RFC 2890 GRE: C, K and S bits each add 4 bytes after the base header.
    const f = b[l4]!;
    const pt = u16(b, l4 + 2);
    if (pt !== 0x0800 && pt !== 0x86dd) return ['', -1];
    return ['gre', l4 + 4 + (f & 0x80 ? 4 : 0) + (f & 0x20 ? 4 : 0) + (f & 0x10 ? 4 : 0)];
  }
  if (proto === 17 && ip.dport !== undefined && gue.has(ip.dport) && l4 + 12 <= end) {
    // GUE variant 0 (draft-ietf-intarea-gue §3.1): ver 0, C 0, hlen words of fields, proto 4/41.
    const b0 = b[l4 + 8]!;
    const p = b[l4 + 9]!;
    if (b0 >> 5 !== 0 || (p !== 4 && p !== 41)) return ['', -1];
    return ['gue', l4 + 12 + (b0 & 0x1f) * 4];
  }
  return ['', -1];
}

/** Reads one untagged Ethernet frame; never throws. */
export function summarizeFrame(b: Uint8Array, o: SummaryOptions = {}): FrameSummary {
  const len = b.length;
  if (len < 14) return { srcMac: '', dstMac: '', kind: 'runt', src: '', dst: '', len };
  const base = { srcMac: formatMac(b, 6), dstMac: formatMac(b, 0), len };
  const type = u16(b, 12);
  if (type === 0x0806 && len >= 42) {
    return {
      ...base,
      kind: 'arp',
      arp: u16(b, 20) === 1 ? 'who-has' : 'is-at',
      arpMac: formatMac(b, 22),
      src: formatIPv4(u32(b, 28)),
      dst: formatIPv4(u32(b, 38)),
    };
  }
  const r = type === 0x0800 || type === 0x86dd ? readIp(b, 14, len) : undefined;
  if (!r) return { ...base, kind: `0x${type.toString(16).padStart(4, '0')}`, src: '', dst: '' };
  const { ip, l4, proto } = r;
  const s: FrameSummary = { ...base, kind: ip.kind, src: ip.src, dst: ip.dst, ip };
  if (ip.sport !== undefined) s.sport = ip.sport;
  if (ip.dport !== undefined) s.dport = ip.dport;
  if (ip.flags !== undefined) s.flags = ip.flags;
  const [tkind, io] = innerOffset(b, proto, l4, ip, len, o.guePorts ?? DEFAULT_GUE);
  const inner = io >= 0 ? readIp(b, io, len) : undefined;
  if (inner) {
    s.kind = tkind;
    s.inner = inner.ip;
  }
  return s;
}

// tcpdump writes an endpoint as ADDR.PORT for both families.
const ep = (addr: string, port?: number): string => (port === undefined ? addr : `${addr}.${port}`);

const ICMP_NAMES: Readonly<Record<string, string>> = {
  '4:0': 'echo reply',
  '4:8': 'echo request',
  '4:3': 'unreachable',
  '4:11': 'time exceeded',
  '6:1': 'unreachable',
  '6:2': 'packet too big',
  '6:3': 'time exceeded',
  '6:128': 'echo request',
  '6:129': 'echo reply',
  '6:135': 'neighbor solicitation',
  '6:136': 'neighbor advertisement',
};

/** One IP packet as `SRC.PORT > DST.PORT TCP [S] ttl 64 len 60`. */
export function formatIp(p: IpSummary): string {
  let s = `${ep(p.src, p.sport)} > ${ep(p.dst, p.dport)} ${p.kind.toUpperCase()}`;
  if (p.flags !== undefined) s += ` [${p.flags}]`;
  if (p.icmpType !== undefined) {
    const name = ICMP_NAMES[`${p.af}:${p.icmpType}`] ?? `type ${p.icmpType}`;
    s += ` ${name}${p.icmpType === 3 || p.icmpType === 1 ? ` code ${p.icmpCode}` : ''}`;
  }
  return `${s} ttl ${p.ttl} len ${p.ipLen}`;
}

/** One frame as a tcpdump-like line: `SRCMAC > DSTMAC  <packet>`; a tunnel shows `OUTER | INNER`. */
export function formatFrame(f: FrameSummary): string {
  const macs = `${f.srcMac} > ${f.dstMac}`;
  if (f.kind === 'arp') {
    const what = f.arp === 'who-has' ? `who-has ${f.dst} tell ${f.src}` : `reply ${f.src} is-at ${f.arpMac}`;
    return `${macs}  ARP ${what}`;
  }
  if (!f.ip) return `${macs}  ethertype ${f.kind} len ${f.len}`;
  if (!f.inner) return `${macs}  ${formatIp(f.ip)}`;
  const outer = `${f.kind.toUpperCase()} ${f.ip.src} > ${f.ip.dst} ttl ${f.ip.ttl} len ${f.ip.ipLen}`;
  return `${macs}  ${outer} | ${formatIp(f.inner)}`;
}

/**
 * True when `out` is `input` forwarded (rewritten, tunnelled or not) rather than a frame the
 * director made itself (an ARP reply, an ICMP error, an echo reply): same family of transport and,
 * for ICMP, the same message type.
 */
export function isForwardOf(input: FrameSummary, out: FrameSummary): boolean {
  const a = input.inner ?? input.ip;
  const b = out.inner ?? out.ip;
  if (!a || !b || a.kind !== b.kind) return false;
  if (a.kind === 'icmp' || a.kind === 'icmp6') return a.icmpType === b.icmpType;
  return true;
}

/**
 * The fields `out` changed relative to `input`, as `name old -> new` words: a tunnel header added
 * or removed, `dst-mac`, `src`, `dst`, `sport`, `dport`, `ttl` and `len` (the IP length, which TOA
 * or a tunnel changes). The source MAC is left out: every frame leaves with its sender's own MAC,
 * so it changes on every hop and says nothing about the forwarding method.
 */
export function changedFields(input: FrameSummary, out: FrameSummary): string[] {
  const ch: string[] = [];
  if (out.inner && !input.inner && out.ip) ch.push(`encap ${out.kind} ${out.ip.src} > ${out.ip.dst}`);
  if (input.inner && !out.inner && input.ip) ch.push(`decap ${input.kind}`);
  if (input.dstMac !== out.dstMac) ch.push(`dst-mac ${input.dstMac} -> ${out.dstMac}`);
  const a = input.inner ?? input.ip;
  const b = out.inner ?? out.ip;
  if (!a || !b) return ch;
  const cmp = (name: string, x: string | number | undefined, y: string | number | undefined) => {
    if (x !== y) ch.push(`${name} ${x ?? '-'} -> ${y ?? '-'}`);
  };
  cmp('src', a.src, b.src);
  cmp('dst', a.dst, b.dst);
  cmp('sport', a.sport, b.sport);
  cmp('dport', a.dport, b.dport);
  cmp('ttl', a.ttl, b.ttl);
  cmp('len', a.ipLen, b.ipLen);
  return ch;
}
