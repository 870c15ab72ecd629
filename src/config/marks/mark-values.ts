/**
 * The values every mark-rule syntax shares (lvsd's own, iptables-save, nft list ruleset):
 * address prefixes, port sets and mark numbers, each parsed to a value or a coded finding.
 * Never throws.
 */
import { type Af, parseIPv4, parseIPv6 } from '../../core/addr.js';
import type { MarkPrefix, PortRanges } from '../../core/mark-rule.js';

/** Stable codes of mark-rule findings. */
export const MARK_CODES = [
  /** A word the syntax does not know at this place. */
  'ERR_MARK_SYNTAX',
  /** An address or prefix that does not parse, or a prefix length out of range. */
  'ERR_MARK_ADDR',
  /** A port, port list or range that does not parse or lies outside 0..65535. */
  'ERR_MARK_PORT',
  /** A mark that is not 1..0xffffffff (or a mask other than 0xffffffff). */
  'ERR_MARK_VALUE',
  /** A rule without its `mark N`. */
  'ERR_MARK_MISSING',
  /** The same match twice in one rule. */
  'ERR_MARK_DUPLICATE',
  /** Destination and source of different families. */
  'ERR_MARK_FAMILY',
  /** A netfilter rule (iptables-save or nft) with a match or statement lvsd cannot evaluate. */
  'ERR_MARK_UNSUPPORTED',
  /** A file lvsd cannot read, or whose format it cannot tell. */
  'ERR_MARK_FILE',
] as const;

/** A mark-rule finding's code. */
export type MarkCode = (typeof MARK_CODES)[number];

/** One finding, at a 1-based line and column of its source. */
export interface MarkFinding {
  readonly code: MarkCode;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Makes the findings of one source line: each at its word's column (1 without a word). */
export function findingsAt(
  line: number,
): (w: { readonly column: number } | undefined, code: MarkCode, message: string) => MarkFinding {
  return (w, code, message) => ({ code, line, column: w?.column ?? 1, message });
}

/** `file:line:column: message (CODE)`, the form lvsd logs and prints. */
export function findingText(source: string, f: MarkFinding): string {
  return `${source}:${f.line}:${f.column}: ${f.message} (${f.code})`;
}

/** A value or why not (a code and message; the caller adds the position). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; code: MarkCode; message: string };

const bad = <T>(code: MarkCode, message: string): Parsed<T> => ({ ok: false, code, message });

/** `192.0.2.1`, `192.0.2.0/24`, `2001:db8::/32`; host bits beyond the length are cleared. */
export function parsePrefix(text: string, want?: Af): Parsed<MarkPrefix> {
  const slash = text.indexOf('/');
  const a = slash < 0 ? text : text.slice(0, slash);
  let bytes: Uint8Array | undefined;
  let af: Af;
  if (a.includes(':')) {
    bytes = parseIPv6(a);
    af = 6;
  } else {
    const v = parseIPv4(a);
    if (v !== undefined) bytes = Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    af = 4;
  }
  if (!bytes) return bad('ERR_MARK_ADDR', `'${text}' is not an IPv4 or IPv6 address or prefix`);
  if (want !== undefined && want !== af)
    return bad('ERR_MARK_FAMILY', `'${text}' is IPv${af} in an IPv${want} rule`);
  const max = af === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    const n = /^\d{1,3}$/.test(l) ? Number(l) : Number.NaN;
    if (!(n >= 0 && n <= max)) return bad('ERR_MARK_ADDR', `prefix length '${l}' is not 0..${max}`);
    len = n;
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    out[i] = (out[i] as number) & ((0xff00 >> keep) & 0xff);
  }
  return { ok: true, value: { af, bytes: out, len } };
}

function port(t: string): number {
  return /^\d{1,5}$/.test(t) && Number(t) <= 65535 ? Number(t) : -1;
}

/**
 * `80`, `80,443`, `8000-8100`, `80,8000-8100` (`sep` is the range separator: `-` for lvsd and
 * nft, `:` for iptables' multiport). Ranges must not be upside down.
 */
export function parsePorts(text: string, sep = '-'): Parsed<PortRanges> {
  const out: [number, number][] = [];
  for (const part of text.split(',')) {
    const i = part.indexOf(sep);
    const lo = port(i < 0 ? part : part.slice(0, i));
    const hi = i < 0 ? lo : port(part.slice(i + 1));
    if (lo < 0 || hi < 0) return bad('ERR_MARK_PORT', `'${part}' is not a port (0..65535) or range`);
    if (hi < lo) return bad('ERR_MARK_PORT', `range '${part}' is upside down`);
    out.push([lo, hi]);
  }
  return { ok: true, value: out };
}

/** A mark `1`..`4294967295`, decimal or `0x` hex, as iptables' --set-mark and nft print it. */
export function parseMark(text: string): Parsed<number> {
  const n = /^0x[0-9a-f]{1,8}$/i.test(text)
    ? Number.parseInt(text.slice(2), 16)
    : /^\d{1,10}$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!(n >= 1 && n <= 0xffffffff)) return bad('ERR_MARK_VALUE', `mark '${text}' is not 1..4294967295`);
  return { ok: true, value: n };
}
