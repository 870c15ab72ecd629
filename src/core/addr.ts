/**
 * IPv4/IPv6 address parsing and formatting without node:net, so the pure layers can use it.
 * Canonical text follows inet_ntop / RFC 5952 (what ipvsadm prints).
 */

/** Address family: 4 or 6 (the kernel's AF_INET / AF_INET6). */
export type Af = 4 | 6;

/** Parses dotted-quad IPv4 into a host-order u32, or returns undefined. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Formats a host-order u32 as dotted-quad IPv4. */
export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes, or returns undefined. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    // An embedded IPv4 tail ("::ffff:192.0.2.1") becomes its two hex groups.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const tail: number[] = [];
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (t: string): number[] | undefined => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const rest = parseGroups(text.slice(dbl + 2));
    if (!head || !rest) return undefined;
    const fill = 8 - tail.length - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  } else {
    const all = parseGroups(text);
    if (!all) return undefined;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 255;
  });
  return out;
}

/** Formats 16 bytes as canonical IPv6 text (RFC 5952: longest zero run ≥ 2 compressed, lowercase). */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[i * 2] ?? 0) << 8) | (b[i * 2 + 1] ?? 0));
  // IPv4-mapped addresses print with a dotted tail, as inet_ntop does.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g
    .slice(0, bestStart)
    .map((x) => x.toString(16))
    .join(':');
  const tail = g
    .slice(bestStart + bestLen)
    .map((x) => x.toString(16))
    .join(':');
  return `${head}::${tail}`;
}

/** Returns 4 or 6 if `s` is a literal IPv4 or IPv6 address, else 0 (like net.isIP). */
export function ipFamily(s: string): 0 | Af {
  if (parseIPv4(s) !== undefined) return 4;
  if (parseIPv6(s) !== undefined) return 6;
  return 0;
}

/** Returns the canonical text of an address literal, or undefined if it is not one. */
export function canonicalIp(s: string): string | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return formatIPv4(v4);
  const v6 = parseIPv6(s);
  return v6 ? formatIPv6(v6) : undefined;
}

/** Address bytes (4 or 16) of a literal, or undefined. */
export function ipBytes(s: string): Uint8Array | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]);
  return parseIPv6(s);
}

/** Formats 4 or 16 address bytes as text. */
export function formatIpBytes(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return formatIPv6(b);
}

/**
 * Folds an address to one host-order u32, the way the kernel's hash schedulers do:
 * IPv4 as is, IPv6 as the XOR of its four 32-bit words (ip_vs_sh.c ip_vs_sh_hashkey).
 */
export function foldAddr(b: Uint8Array): number {
  const word = (i: number) =>
    (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0;
  if (b.length === 4) return word(0);
  return (word(0) ^ word(4) ^ word(8) ^ word(12)) >>> 0;
}
