/**
 * The FTP control-line scanner of ip_vs_ftp (net/netfilter/ipvs/ip_vs_ftp.c), over the payload
 * bytes of one TCP segment: the client's PASV / EPSV requests and PORT / EPRT commands
 * (ip_vs_ftp_in()), the server's `227` / `229` replies (ip_vs_ftp_out()), and the text that
 * replaces a 227/229 address. Every read is bounded by the caller's `limit`; nothing throws and
 * nothing is allocated (the match lands in a caller-owned {@link FtpMatch}). IPv4 only, as the
 * helper's PORT and PASV forms are; EPRT/EPSV with `|1|` addresses only.
 */

/** ip_vs_ftp's app_data: what the control conn last asked for (IP_VS_FTP_*). */
export const FTP_MODE = { ACTIVE: 0, PASV: 1, EPRT: 2, EPSV: 3 } as const;

/** Where a command or reply's address sits and what it says. */
export class FtpMatch {
  /** Host-order IPv4 address (for a 229 without one: the preset the caller gave). */
  addr = 0;
  /** Port. */
  port = 0;
  /** Offset of the first byte of the address text (the replaced part). */
  start = 0;
  /** Offset one past its last byte. */
  end = 0;
}

const C_PORT = [0x50, 0x4f, 0x52, 0x54]; // "PORT"
const C_EPRT = [0x45, 0x50, 0x52, 0x54]; // "EPRT"
const S_PASV = [0x32, 0x32, 0x37, 0x20]; // "227 "
const S_EPSV = [0x32, 0x32, 0x39, 0x20]; // "229 "

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
// ASCII case folding as strncasecmp does.
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

// strncasecmp(buf + at, pat, n) === 0 for the first n bytes of pat.
function caseEq(buf: Uint8Array, at: number, pat: readonly number[], n: number): boolean {
  for (let k = 0; k < n; k++) if (lower(buf[at + k] as number) !== lower(pat[k] as number)) return false;
  return true;
}

/**
 * in4_pton() (net/core/utils.c) from `s` to `limit`, ending at `delim`: four decimal octets of
 * at most 255 separated by dots. Returns the offset of the delimiter (into m.addr) or -1.
 */
function parseDotted(buf: Uint8Array, s: number, limit: number, delim: number, m: FtpMatch): number {
  let a = 0;
  let w = -1;
  let i = 0;
  for (let at = s; at < limit; at++) {
    const c = buf[at] as number;
    if (isDigit(c)) {
      w = Math.max(w, 0) * 10 + c - 0x30;
      if (w > 255) return -1;
      continue;
    }
    if (c !== 0x2e && c !== delim) return -1;
    if (w < 0) return -1;
    a = (a << 8) | w;
    w = -1;
    i++;
    if (c === delim) {
      if (i !== 4) return -1;
      m.addr = a >>> 0;
      return at;
    }
    if (i >= 4) return -1;
  }
  return -1;
}

/**
 * ip_vs_ftp_get_addrport(): the address and port of a line at `data` starting with `pattern`.
 * `skip` (0 for none) is the character before the address (`(` of a reply, space of a command;
 * without `ext` a digit ends the skip too, so the parenthesis is optional). Without `ext`, the
 * old form `h1,h2,h3,h4,p1,p2` (each a byte: larger numbers wrap as the kernel's unsigned char
 * does); with it, RFC 2428's `<d>1<d>addr<d>port<d>` where a 229 reply may leave the family and
 * address out (m.addr keeps the caller's preset then). Returns 1 on a match, 0 when the line is
 * something else, -1 when it starts like one but is cut short or malformed.
 */
export function ftpGetAddrPort(
  buf: Uint8Array,
  data: number,
  limit: number,
  pattern: readonly number[],
  skip: number,
  ext: boolean,
  mode: number,
  m: FtpMatch,
): number {
  const plen = pattern.length;
  if (limit - data < plen) return caseEq(buf, data, pattern, limit - data) ? -1 : 0;
  if (!caseEq(buf, data, pattern, plen)) return 0;
  let s = data + plen;
  if (skip !== 0) {
    let found = false;
    for (; ; s++) {
      if (s >= limit) return -1;
      const c = buf[s] as number;
      if (!found) {
        if (!ext && isDigit(c)) break;
        if (c === skip) found = true;
      } else if (c !== skip) break;
    }
  }
  if (!ext) {
    let i = 0;
    let h = 0;
    let a = 0;
    let p = 0;
    let at = s;
    for (; ; at++) {
      if (at >= limit) return -1;
      const c = buf[at] as number;
      if (isDigit(c)) h = (h * 10 + c - 0x30) & 0xff;
      else if (c === 0x2c && i < 5) {
        if (i < 4) a = (a << 8) | h;
        else p = h;
        i++;
        h = 0;
      } else break;
    }
    if (i !== 5) return -1;
    m.start = s;
    m.end = at;
    m.addr = a >>> 0;
    m.port = (p << 8) | h;
    return 1;
  }
  if (s >= limit) return -1;
  m.start = s;
  const d = buf[s++] as number;
  if (d < 33 || d > 126 || s >= limit) return -1;
  if (buf[s] === d) {
    // The address family is usually missing from a 229 reply; then so is the address.
    if (mode !== FTP_MODE.EPSV) return -1;
    s++;
    if (s >= limit || buf[s] !== d) return -1;
    s++;
  } else {
    if (buf[s] !== 0x31) return -1; // only IPv4 ("1") on an IPv4 conn
    s++;
    if (s >= limit || buf[s] !== d) return -1;
    s++;
    if (s >= limit) return -1;
    const e = parseDotted(buf, s, limit, d, m);
    if (e < 0) return -1;
    s = e + 1;
  }
  let port = 0;
  for (; ; s++) {
    if (s >= limit) return -1;
    const c = buf[s] as number;
    if (!isDigit(c)) break;
    port = (port * 10 + c - 0x30) & 0xffff;
  }
  if (port === 0 || buf[s] !== d) return -1;
  m.end = s + 1;
  m.port = port;
  return 1;
}

/**
 * What a client's segment asks for (ip_vs_ftp_in()): FTP_MODE.PASV or EPSV when `PASV\r\n`,
 * `EPSV\r\n` or `EPSV 1\r\n` appears anywhere in it (the kernel looks everywhere, not just at the
 * line start), PORT or EPRT with the address in `m` when the segment starts with that command,
 * else -1 (`EPSV 2`, `EPSV ALL` and anything else: no change).
 */
export function ftpScanClient(buf: Uint8Array, data: number, limit: number, m: FtpMatch): number {
  if (data >= limit) return -1;
  for (let at = data; at <= limit - 6; at++) {
    const c = lower(buf[at] as number);
    if (c === 0x70 && caseEq(buf, at, PASV_CRLF, 6)) return FTP_MODE.PASV;
    if (c === 0x65 && caseEq(buf, at, EPSV, 4)) {
      const n = buf[at + 4] as number;
      if (n === 0x0d) return FTP_MODE.EPSV;
      if (n === 0x20) {
        if (at > limit - 7 || buf[at + 6] !== 0x0d) return -1;
        return buf[at + 5] === 0x31 ? FTP_MODE.EPSV : -1;
      }
    }
  }
  if (ftpGetAddrPort(buf, data, limit, C_PORT, 0x20, false, FTP_MODE.ACTIVE, m) === 1) return FTP_MODE.ACTIVE;
  if (ftpGetAddrPort(buf, data, limit, C_EPRT, 0x20, true, FTP_MODE.EPRT, m) === 1) return FTP_MODE.EPRT;
  return -1;
}

const PASV_CRLF = [0x50, 0x41, 0x53, 0x56, 0x0d, 0x0a]; // "PASV\r\n"
const EPSV = [0x45, 0x50, 0x53, 0x56]; // "EPSV"

/**
 * The server's answer to a PASV (`mode` FTP_MODE.PASV: a `227` reply) or EPSV (`229`) at the
 * start of a segment, into `m`; true on a match. For a 229 without an address, m.addr is `preset`
 * (the kernel presets the real server's address).
 */
export function ftpScanServer(
  buf: Uint8Array,
  data: number,
  limit: number,
  mode: number,
  preset: number,
  m: FtpMatch,
): boolean {
  if (data >= limit) return false;
  if (mode === FTP_MODE.PASV) return ftpGetAddrPort(buf, data, limit, S_PASV, 0x28, false, mode, m) === 1;
  if (mode !== FTP_MODE.EPSV) return false;
  m.addr = preset >>> 0;
  return ftpGetAddrPort(buf, data, limit, S_EPSV, 0x28, true, mode, m) === 1;
}

// Writes the decimal digits of n (0..65535) at `at`; returns the offset after them.
function writeDec(out: Uint8Array, at: number, n: number): number {
  let o = at;
  if (n >= 10000) out[o++] = 0x30 + Math.floor(n / 10000);
  if (n >= 1000) out[o++] = 0x30 + (Math.floor(n / 1000) % 10);
  if (n >= 100) out[o++] = 0x30 + (Math.floor(n / 100) % 10);
  if (n >= 10) out[o++] = 0x30 + (Math.floor(n / 10) % 10);
  out[o++] = 0x30 + (n % 10);
  return o;
}

/** Longest replacement text: `255,255,255,255,255,255` (23 bytes; `|||65535|` is 9). */
export const FTP_TEXT_MAX = 23;

/**
 * The text ip_vs_ftp_out() puts in place of a 227/229 address at `out[at]`: `h1,h2,h3,h4,p1,p2`
 * of `addr:port` for PASV, `|||port|` for EPSV (the client then uses the address it reached the
 * server on). Returns its length.
 */
export function ftpWriteAddr(out: Uint8Array, at: number, mode: number, addr: number, port: number): number {
  let o = at;
  if (mode === FTP_MODE.EPSV) {
    out[o++] = 0x7c;
    out[o++] = 0x7c;
    out[o++] = 0x7c;
    o = writeDec(out, o, port & 0xffff);
    out[o++] = 0x7c;
    return o - at;
  }
  const a = addr >>> 0;
  o = writeDec(out, o, a >>> 24);
  out[o++] = 0x2c;
  o = writeDec(out, o, (a >>> 16) & 0xff);
  out[o++] = 0x2c;
  o = writeDec(out, o, (a >>> 8) & 0xff);
  out[o++] = 0x2c;
  o = writeDec(out, o, a & 0xff);
  out[o++] = 0x2c;
  o = writeDec(out, o, (port >>> 8) & 0xff);
  out[o++] = 0x2c;
  o = writeDec(out, o, port & 0xff);
  return o - at;
}
