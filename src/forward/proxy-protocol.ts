/**
 * PROXY protocol v1 (text) and v2 (binary) headers, as the haproxy spec "The PROXY protocol,
 * versions 1 & 2" (haproxy doc/proxy-protocol.txt) defines them. The proxy data plane writes one
 * before the first client byte so a real server behind a socket proxy still learns the client's
 * address (the job NAT does for free in the packet data plane). Pure: encoders write into a
 * caller's buffer and return the bytes written; decoders exist for tests and for real servers
 * written in TypeScript.
 */
import { formatIpBytes, ipBytes, parseIPv4, parseIPv6 } from '../core/addr.js';
import { PacketError } from '../packet/packet-error.js';

/** The 12-byte v2 signature (proxy-protocol.txt §2.2): \r\n\r\n\0\r\nQUIT\n. */
export const PROXY_V2_SIGNATURE: readonly number[] = [
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
];
/** Fixed part of a v2 header: signature, ver_cmd, fam, len. */
export const PROXY_V2_FIXED_LEN = 16;
/** Longest v1 line the spec allows, CRLF included (proxy-protocol.txt §2.1: 107 bytes). */
export const PROXY_V1_MAX_LEN = 107;

/** v2 version/command byte: version 2, command PROXY (proxy-protocol.txt §2.2, 0x21). */
const V2_PROXY = 0x21;
/** v2 version/command byte: version 2, command LOCAL (health checks, 0x20). */
const V2_LOCAL = 0x20;

/** The addresses a PROXY header carries: the client's, and the one it connected to (the VIP). */
export interface ProxyAddrs {
  /** IP protocol number: 6 (TCP) or 17 (UDP). */
  readonly protocol: number;
  /** Client address bytes: 4 (IPv4) or 16 (IPv6). */
  readonly srcAddr: Uint8Array;
  readonly srcPort: number;
  /** Destination (VIP) address bytes, same family as srcAddr. */
  readonly dstAddr: Uint8Array;
  readonly dstPort: number;
}

/** A decoded header: addresses, or `local` (v2 LOCAL / v1 UNKNOWN) when the sender gave none. */
export interface DecodedProxyHeader {
  readonly version: 1 | 2;
  readonly local: boolean;
  readonly addrs?: ProxyAddrs;
  /** Bytes the header took at the front of the stream. */
  readonly length: number;
}

function checkAddrs(a: ProxyAddrs): void {
  const n = a.srcAddr.length;
  if ((n !== 4 && n !== 16) || a.dstAddr.length !== n) {
    throw new PacketError('ERR_PACKET_INVALID', 'PROXY header needs two addresses of one family');
  }
}

/**
 * The v1 line: "PROXY TCP4 src dst sport dport\r\n" (proxy-protocol.txt §2.1). v1 only names TCP, so a UDP
 * flow, or mixed families, is sent as "PROXY UNKNOWN\r\n" as the spec says for unsupported ones.
 */
export function proxyV1Text(a: ProxyAddrs | undefined): string {
  if (a?.protocol !== 6 || a.srcAddr.length !== a.dstAddr.length) return 'PROXY UNKNOWN\r\n';
  const fam = a.srcAddr.length === 4 ? 'TCP4' : 'TCP6';
  return `PROXY ${fam} ${formatIpBytes(a.srcAddr)} ${formatIpBytes(a.dstAddr)} ${a.srcPort} ${a.dstPort}\r\n`;
}

/** Writes a v1 header at `off`; returns bytes written. Throws when `buf` is too small. */
export function encodeProxyV1(a: ProxyAddrs | undefined, buf: Uint8Array, off = 0): number {
  const text = proxyV1Text(a);
  if (off + text.length > buf.length) throw new PacketError('ERR_PACKET_TRUNCATED', 'buffer too small');
  // The line is pure ASCII, so one byte per character.
  for (let i = 0; i < text.length; i++) buf[off + i] = text.charCodeAt(i);
  return text.length;
}

/** Length of the v2 header for these addresses (LOCAL when undefined): 16 + 12 (IPv4) or + 36 (IPv6). */
export function proxyV2Length(a: ProxyAddrs | undefined): number {
  if (!a) return PROXY_V2_FIXED_LEN;
  return PROXY_V2_FIXED_LEN + (a.srcAddr.length === 4 ? 12 : 36);
}

/**
 * Writes a v2 header at `off` (proxy-protocol.txt §2.2): signature, 0x21 PROXY (or 0x20 LOCAL with no
 * addresses), family byte 0x11 TCP4 / 0x12 UDP4 / 0x21 TCP6 / 0x22 UDP6, big-endian length,
 * then src addr, dst addr, src port, dst port. Returns bytes written. No TLVs are sent.
 */
export function encodeProxyV2(a: ProxyAddrs | undefined, buf: Uint8Array, off = 0): number {
  const len = proxyV2Length(a);
  if (off + len > buf.length) throw new PacketError('ERR_PACKET_TRUNCATED', 'buffer too small');
  for (let i = 0; i < 12; i++) buf[off + i] = PROXY_V2_SIGNATURE[i] as number;
  if (!a) {
    buf[off + 12] = V2_LOCAL;
    buf[off + 13] = 0x00; // AF_UNSPEC, UNSPEC
    buf[off + 14] = 0;
    buf[off + 15] = 0;
    return len;
  }
  checkAddrs(a);
  const v6 = a.srcAddr.length === 16;
  const transport = a.protocol === 17 ? 0x2 : 0x1;
  buf[off + 12] = V2_PROXY;
  buf[off + 13] = ((v6 ? 0x2 : 0x1) << 4) | transport;
  const body = len - PROXY_V2_FIXED_LEN;
  buf[off + 14] = body >>> 8;
  buf[off + 15] = body & 0xff;
  let p = off + PROXY_V2_FIXED_LEN;
  buf.set(a.srcAddr, p);
  p += a.srcAddr.length;
  buf.set(a.dstAddr, p);
  p += a.dstAddr.length;
  buf[p++] = (a.srcPort >>> 8) & 0xff;
  buf[p++] = a.srcPort & 0xff;
  buf[p++] = (a.dstPort >>> 8) & 0xff;
  buf[p++] = a.dstPort & 0xff;
  return len;
}

/** Encodes a header of `version` into a fresh buffer (once per connection, off the per-byte path). */
export function proxyHeader(version: 1 | 2, a: ProxyAddrs | undefined): Uint8Array {
  if (version === 1) {
    const out = new Uint8Array(proxyV1Text(a).length);
    encodeProxyV1(a, out, 0);
    return out;
  }
  const out = new Uint8Array(proxyV2Length(a));
  encodeProxyV2(a, out, 0);
  return out;
}

function v1Addr(s: string, v6: boolean): Uint8Array {
  const b = v6 ? parseIPv6(s) : parseIPv4(s) === undefined ? undefined : ipBytes(s);
  if (!b) throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v1 address');
  return b;
}

function v1Port(s: string): number {
  // The spec forbids leading zeros and signs: a port is 0..65535 in plain decimal.
  if (!/^(0|[1-9]\d{0,4})$/.test(s) || Number(s) > 65535) {
    throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v1 port');
  }
  return Number(s);
}

/**
 * Decodes a header at the front of `buf`. Returns undefined while more bytes are needed;
 * throws PacketError (ERR_PACKET_INVALID) when the bytes are not a valid PROXY header.
 */
export function decodeProxyHeader(buf: Uint8Array): DecodedProxyHeader | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] === 0x0d) return decodeV2(buf);
  if (buf[0] !== 0x50) throw new PacketError('ERR_PACKET_INVALID', 'not a PROXY header');
  const limit = Math.min(buf.length, PROXY_V1_MAX_LEN);
  let end = -1;
  for (let i = 0; i + 1 < limit; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    if (buf.length >= PROXY_V1_MAX_LEN) throw new PacketError('ERR_PACKET_INVALID', 'PROXY v1 line too long');
    return undefined;
  }
  const line = String.fromCharCode(...buf.subarray(0, end));
  const f = line.split(' ');
  if (f[0] !== 'PROXY') throw new PacketError('ERR_PACKET_INVALID', 'not a PROXY header');
  if (f[1] === 'UNKNOWN') return { version: 1, local: true, length: end + 2 };
  if ((f[1] !== 'TCP4' && f[1] !== 'TCP6') || f.length !== 6) {
    throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v1 line');
  }
  const v6 = f[1] === 'TCP6';
  const addrs: ProxyAddrs = {
    protocol: 6,
    srcAddr: v1Addr(f[2] ?? '', v6),
    dstAddr: v1Addr(f[3] ?? '', v6),
    srcPort: v1Port(f[4] ?? ''),
    dstPort: v1Port(f[5] ?? ''),
  };
  return { version: 1, local: false, addrs, length: end + 2 };
}

function decodeV2(buf: Uint8Array): DecodedProxyHeader | undefined {
  const n = Math.min(buf.length, 12);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== PROXY_V2_SIGNATURE[i])
      throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v2 signature');
  }
  if (buf.length < PROXY_V2_FIXED_LEN) return undefined;
  const verCmd = buf[12] as number;
  if (verCmd >>> 4 !== 2) throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v2 version');
  const body = ((buf[14] as number) << 8) | (buf[15] as number);
  const length = PROXY_V2_FIXED_LEN + body;
  if (buf.length < length) return undefined;
  const cmd = verCmd & 0x0f;
  if (cmd === 0) return { version: 2, local: true, length };
  if (cmd !== 1) throw new PacketError('ERR_PACKET_INVALID', 'bad PROXY v2 command');
  const fam = (buf[13] as number) >>> 4;
  const transport = (buf[13] as number) & 0x0f;
  const alen = fam === 1 ? 4 : fam === 2 ? 16 : 0;
  // AF_UNSPEC or AF_UNIX addresses: the receiver must ignore them (proxy-protocol.txt §2.2).
  if (alen === 0 || (transport !== 1 && transport !== 2)) return { version: 2, local: true, length };
  if (body < alen * 2 + 4) throw new PacketError('ERR_PACKET_INVALID', 'PROXY v2 address block too short');
  const p = PROXY_V2_FIXED_LEN;
  const q = p + alen * 2;
  const addrs: ProxyAddrs = {
    protocol: transport === 2 ? 17 : 6,
    srcAddr: buf.slice(p, p + alen),
    dstAddr: buf.slice(p + alen, q),
    srcPort: ((buf[q] as number) << 8) | (buf[q + 1] as number),
    dstPort: ((buf[q + 2] as number) << 8) | (buf[q + 3] as number),
  };
  return { version: 2, local: false, addrs, length };
}
