/**
 * Pure frame building for the spoofed-source SYN flood (issue #16 point 2): one minimum-size
 * Ethernet/IPv4/TCP SYN per flow, each from its own (source address, source port) pair taken from
 * a list of documentation ranges, laid out like bench/lib/packet-frames.ts's UDP block so the same
 * batched sends take it. A flood of distinct spoofed sources is what fills a director's connection
 * table: each SYN is a new conn (net/netfilter/ipvs/ip_vs_proto_tcp.c tcp_conn_schedule()), never
 * answered by the client it claims to come from.
 */
import { type FrameBlock, MIN_FRAME_BYTES, onesSum, parseIpv4, parseMac } from './packet-frames.js';

/** What the SYNs share and how their sources are spread. */
export interface SynFloodSpec {
  readonly srcMac: string;
  readonly dstMac: string;
  /** Spoofed source addresses; flow i uses sources[i % n] and port 1024 + floor(i / n) % 64512. */
  readonly sources: readonly string[];
  readonly dstIp: string;
  readonly dstPort: number;
  /** Distinct flows (frames in the block). At most sources.length * 64512. */
  readonly flows: number;
}

/** Source ports used: 1024..65535. */
export const SYN_PORTS = 65536 - 1024;

/**
 * The addresses of `cidrs` (each `a.b.c.d/len`, len 16..32), in order, skipping the network and
 * broadcast addresses of prefixes shorter than /31 and every address in `exclude` (the lab's own
 * hosts: spoofing them would make the real servers answer a real host).
 */
export function expandSources(cidrs: readonly string[], exclude: readonly string[] = []): string[] {
  const skip = new Set(exclude);
  const out: string[] = [];
  for (const c of cidrs) {
    const [a, l] = c.split('/');
    const len = Number(l ?? '32');
    if (!Number.isInteger(len) || len < 16 || len > 32) throw new RangeError(`prefix length of ${c}: 16..32`);
    const b = parseIpv4(a ?? '');
    const base =
      (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>>
      0;
    const size = 2 ** (32 - len);
    const net = base - (base % size);
    for (let k = 0; k < size; k++) {
      if (size > 2 && (k === 0 || k === size - 1)) continue;
      const v = net + k;
      const s = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
      if (!skip.has(s)) out.push(s);
    }
  }
  return out;
}

/** Builds one SYN per flow with valid IPv4 and TCP checksums. */
export function buildSynFlood(spec: SynFloodSpec): FrameBlock {
  const n = spec.sources.length;
  if (n < 1) throw new RangeError('at least one source address');
  if (!Number.isInteger(spec.flows) || spec.flows < 1 || spec.flows > n * SYN_PORTS) {
    throw new RangeError(`flows must be 1..${n * SYN_PORTS}`);
  }
  const src = parseMac(spec.srcMac);
  const dst = parseMac(spec.dstMac);
  const sips = spec.sources.map(parseIpv4);
  const dip = parseIpv4(spec.dstIp);
  const buffer = new Uint8Array(spec.flows * MIN_FRAME_BYTES);
  const pairs = new Uint32Array(spec.flows * 2);
  const tcpLen = 20;
  let seq = 0x6a09e667;
  for (let i = 0; i < spec.flows; i++) {
    const o = i * MIN_FRAME_BYTES;
    const f = buffer.subarray(o, o + MIN_FRAME_BYTES);
    f.set(dst, 0);
    f.set(src, 6);
    f[12] = 0x08; // EtherType IPv4
    const ip = 14;
    f[ip] = 0x45;
    f[ip + 3] = 20 + tcpLen; // total length 40: the frame's last 6 bytes are Ethernet padding
    f[ip + 4] = (i >> 8) & 0xff;
    f[ip + 5] = i & 0xff;
    f[ip + 6] = 0x40; // DF
    f[ip + 8] = 64; // TTL
    f[ip + 9] = 6; // TCP
    f.set(sips[i % n] as Uint8Array, ip + 12);
    f.set(dip, ip + 16);
    const ipSum = ~onesSum(f, ip, 20) & 0xffff;
    f[ip + 10] = ipSum >> 8;
    f[ip + 11] = ipSum & 0xff;
    const t = ip + 20;
    const sport = 1024 + (Math.floor(i / n) % SYN_PORTS);
    f[t] = sport >> 8;
    f[t + 1] = sport & 0xff;
    f[t + 2] = spec.dstPort >> 8;
    f[t + 3] = spec.dstPort & 0xff;
    seq = (Math.imul(seq, 1664525) + 1013904223) >>> 0; // an LCG: initial sequence numbers vary
    f[t + 4] = seq >>> 24;
    f[t + 5] = (seq >>> 16) & 0xff;
    f[t + 6] = (seq >>> 8) & 0xff;
    f[t + 7] = seq & 0xff;
    f[t + 12] = 5 << 4; // data offset 5 words, no options
    f[t + 13] = 0x02; // SYN
    f[t + 14] = 0xfa; // window 64240
    f[t + 15] = 0xf0;
    let pseudo = onesSum(f, ip + 12, 8);
    pseudo += 6 + tcpLen;
    const sum = ~onesSum(f, t, tcpLen, pseudo) & 0xffff;
    f[t + 16] = sum >> 8;
    f[t + 17] = sum & 0xff;
    pairs[i * 2] = o;
    pairs[i * 2 + 1] = MIN_FRAME_BYTES;
  }
  return { buffer, pairs, count: spec.flows };
}
