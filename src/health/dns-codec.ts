/**
 * PURE minimal DNS codec for DNS_CHECK (RFC 1035 §4): encode one question, decode a response's
 * header, questions and answer records with name compression. Every read is bounds-checked and
 * malformed input throws only a PacketError with an ERR_DNS_* code.
 */
import { formatIPv4, formatIPv6 } from '../core/addr.js';
import { PacketError } from '../packet/packet-error.js';

/** Record types keepalived's DNS_CHECK accepts (check_dns.c), plus PTR for ldirectord. */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

/** DNS header length (RFC 1035 §4.1.1). */
export const DNS_HEADER_LEN = 12;

/** A question to encode. */
export interface DnsQuery {
  readonly id: number;
  /** Dotted name; "" or "." is the root. */
  readonly name: string;
  readonly type: number;
  /** Recursion desired (keepalived sets RD). */
  readonly rd: boolean;
}

/** One decoded resource record. */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly cls: number;
  readonly ttl: number;
  /** Text form for A/AAAA (address) and NS/CNAME/PTR (name); hex otherwise. */
  readonly data: string;
}

/** A decoded message. */
export interface DnsMessage {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly rcode: number;
  readonly questions: ReadonlyArray<{ readonly name: string; readonly type: number }>;
  readonly answers: readonly DnsRecord[];
}

function fail(code: string, msg: string): never {
  throw new PacketError(code, msg);
}

/** Encodes a one-question query. Throws ERR_DNS_BAD_NAME for labels over 63 bytes or names over 255. */
export function encodeQuery(q: DnsQuery): Uint8Array {
  const labels = q.name.split('.').filter((l) => l.length > 0);
  const enc = new TextEncoder();
  const parts = labels.map((l) => enc.encode(l));
  let nameLen = 1;
  for (const p of parts) {
    if (p.length > 63) fail('ERR_DNS_BAD_NAME', 'label longer than 63 bytes');
    nameLen += p.length + 1;
  }
  if (nameLen > 255) fail('ERR_DNS_BAD_NAME', 'name longer than 255 bytes');
  const buf = new Uint8Array(DNS_HEADER_LEN + nameLen + 4);
  const dv = new DataView(buf.buffer);
  dv.setUint16(0, q.id & 0xffff);
  dv.setUint16(2, q.rd ? 0x0100 : 0);
  dv.setUint16(4, 1);
  let off = DNS_HEADER_LEN;
  for (const p of parts) {
    buf[off++] = p.length;
    buf.set(p, off);
    off += p.length;
  }
  buf[off++] = 0;
  dv.setUint16(off, q.type & 0xffff);
  dv.setUint16(off + 2, 1);
  return buf;
}

function need(buf: Uint8Array, off: number, n: number): void {
  if (off < 0 || off + n > buf.length) fail('ERR_DNS_TRUNCATED', `need ${n} bytes at ${off}`);
}

/** Reads a possibly compressed name; returns it and the offset after it in the original stream. */
export function readName(buf: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  let jumps = 0;
  let len = 0;
  for (;;) {
    need(buf, off, 1);
    const b = buf[off] as number;
    if (b === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      need(buf, off, 2);
      if (++jumps > 32) fail('ERR_DNS_POINTER_LOOP', 'compression pointer loop');
      if (next < 0) next = off + 2;
      off = ((b & 0x3f) << 8) | (buf[off + 1] as number);
      continue;
    }
    if (kind !== 0) fail('ERR_DNS_BAD_LABEL', `reserved label type 0x${kind.toString(16)}`);
    need(buf, off + 1, b);
    len += b + 1;
    if (len > 255) fail('ERR_DNS_BAD_NAME', 'name longer than 255 bytes');
    labels.push(String.fromCharCode(...buf.subarray(off + 1, off + 1 + b)));
    off += 1 + b;
  }
  return { name: labels.join('.'), next };
}

function rdataText(buf: Uint8Array, type: number, off: number, len: number): string {
  if (type === 1 && len === 4) {
    const v =
      (((buf[off] as number) << 24) |
        ((buf[off + 1] as number) << 16) |
        ((buf[off + 2] as number) << 8) |
        (buf[off + 3] as number)) >>>
      0;
    return formatIPv4(v);
  }
  if (type === 28 && len === 16) return formatIPv6(buf.subarray(off, off + 16));
  if (type === 2 || type === 5 || type === 12) return readName(buf, off).name;
  let hex = '';
  for (let i = off; i < off + len; i++) hex += (buf[i] as number).toString(16).padStart(2, '0');
  return hex;
}

/** Decodes a message; throws PacketError (ERR_DNS_*) on malformed input. */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  need(buf, 0, DNS_HEADER_LEN);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = dv.getUint16(2);
  const qd = dv.getUint16(4);
  const an = dv.getUint16(6);
  let off = DNS_HEADER_LEN;
  const questions: { name: string; type: number }[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, off);
    need(buf, n.next, 4);
    questions.push({ name: n.name, type: dv.getUint16(n.next) });
    off = n.next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const n = readName(buf, off);
    need(buf, n.next, 10);
    const type = dv.getUint16(n.next);
    const cls = dv.getUint16(n.next + 2);
    const ttl = dv.getUint32(n.next + 4);
    const rdlen = dv.getUint16(n.next + 8);
    const rd = n.next + 10;
    need(buf, rd, rdlen);
    answers.push({ name: n.name, type, cls, ttl, data: rdataText(buf, type, rd, rdlen) });
    off = rd + rdlen;
  }
  return {
    id: dv.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    questions,
    answers,
  };
}
