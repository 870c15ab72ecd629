/**
 * Pure frame building for the packet benchmark's load generator: a block of minimum-size
 * Ethernet/IPv4/UDP frames, one per flow (source ports vary), laid out back to back with an
 * [offset, length] pair per frame, exactly the shape the AF_PACKET addon's batched send takes.
 * Built once before the run, so the generator's loop only hands ranges of it to sendmmsg.
 */

/** Bytes handed to the NIC per frame: 64 on the wire once the 4-byte FCS is added. */
export const MIN_FRAME_BYTES = 60;

/** What every generated frame shares; only the UDP source port differs per flow. */
export interface UdpFlowSpec {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly dstPort: number;
  /** First source port; flow i uses firstSrcPort + i. */
  readonly firstSrcPort: number;
  /** Number of distinct flows (frames in the block). */
  readonly flows: number;
}

/** A block of prebuilt frames: `pairs` holds [offset, length] per frame inside `buffer`. */
export interface FrameBlock {
  readonly buffer: Uint8Array;
  readonly pairs: Uint32Array;
  readonly count: number;
}

/** Parses aa:bb:cc:dd:ee:ff into 6 bytes; throws on anything else. */
export function parseMac(s: string): Uint8Array {
  const parts = s.trim().split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`not a MAC address: ${s}`);
  }
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** Parses dotted-quad IPv4 into 4 bytes; throws on anything else. */
export function parseIpv4(s: string): Uint8Array {
  const parts = s.trim().split('.');
  const n = parts.map(Number);
  if (parts.length !== 4 || n.some((x, i) => !/^\d{1,3}$/.test(parts[i] ?? '') || x > 255)) {
    throw new RangeError(`not an IPv4 address: ${s}`);
  }
  return Uint8Array.from(n);
}

/** RFC 1071 one's-complement sum of `b[off..off+len)` folded to 16 bits, starting from `seed`. */
export function onesSum(b: Uint8Array, off: number, len: number, seed = 0): number {
  let sum = seed;
  for (let i = 0; i + 1 < len; i += 2) sum += ((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0);
  if (len & 1) sum += (b[off + len - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Builds one minimum-size frame per flow. IPv4 header checksum and UDP checksum are both
 * filled in (a zero UDP checksum is legal, but a director must rewrite a real one correctly,
 * and that is part of what is measured).
 */
export function buildUdpFlows(spec: UdpFlowSpec): FrameBlock {
  if (!Number.isInteger(spec.flows) || spec.flows < 1) throw new RangeError('flows must be >= 1');
  if (spec.firstSrcPort < 1 || spec.firstSrcPort + spec.flows - 1 > 65535) {
    throw new RangeError('source ports must stay within 1..65535');
  }
  const src = parseMac(spec.srcMac);
  const dst = parseMac(spec.dstMac);
  const sip = parseIpv4(spec.srcIp);
  const dip = parseIpv4(spec.dstIp);
  const buffer = new Uint8Array(spec.flows * MIN_FRAME_BYTES);
  const pairs = new Uint32Array(spec.flows * 2);
  const udpLen = MIN_FRAME_BYTES - 14 - 20;
  for (let i = 0; i < spec.flows; i++) {
    const o = i * MIN_FRAME_BYTES;
    const f = buffer.subarray(o, o + MIN_FRAME_BYTES);
    f.set(dst, 0);
    f.set(src, 6);
    f[12] = 0x08; // EtherType IPv4
    f[13] = 0x00;
    const ip = 14;
    f[ip] = 0x45;
    f[ip + 2] = (20 + udpLen) >> 8;
    f[ip + 3] = (20 + udpLen) & 0xff;
    f[ip + 4] = (i >> 8) & 0xff; // IP id: distinct per flow, irrelevant otherwise
    f[ip + 5] = i & 0xff;
    f[ip + 6] = 0x40; // DF
    f[ip + 8] = 64; // TTL
    f[ip + 9] = 17; // UDP
    f.set(sip, ip + 12);
    f.set(dip, ip + 16);
    const ipSum = ~onesSum(f, ip, 20) & 0xffff;
    f[ip + 10] = ipSum >> 8;
    f[ip + 11] = ipSum & 0xff;
    const u = ip + 20;
    const sport = spec.firstSrcPort + i;
    f[u] = sport >> 8;
    f[u + 1] = sport & 0xff;
    f[u + 2] = spec.dstPort >> 8;
    f[u + 3] = spec.dstPort & 0xff;
    f[u + 4] = udpLen >> 8;
    f[u + 5] = udpLen & 0xff;
    for (let p = u + 8; p < MIN_FRAME_BYTES; p++) f[p] = 0x61 + ((p - u - 8) % 26);
    // Pseudo-header (src, dst, proto, length) then the UDP header and payload.
    let pseudo = onesSum(f, ip + 12, 8);
    pseudo += 17 + udpLen;
    const udpSum = ~onesSum(f, u, udpLen, pseudo) & 0xffff;
    const wire = udpSum === 0 ? 0xffff : udpSum; // RFC 768: a computed 0 is sent as all ones
    f[u + 6] = wire >> 8;
    f[u + 7] = wire & 0xff;
    pairs[i * 2] = o;
    pairs[i * 2 + 1] = MIN_FRAME_BYTES;
  }
  return { buffer, pairs, count: spec.flows };
}
