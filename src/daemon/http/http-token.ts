/**
 * The bearer token of lvsd's HTTP API (`--http-token-file FILE`) and the start-time rules around
 * it: the file must exist, be a regular file readable by its owner only (as ssh refuses a
 * private key others can read) and hold a non-empty token; an address other than loopback is
 * never served without one. Tokens are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { LvsError } from '../../core/errors.js';

/** Why the HTTP API cannot start, with a stable code (printed as one line; lvsd exits 1). */
export class HttpStartError extends LvsError {
  constructor(
    code: 'ERR_LVSD_HTTP_TOKEN_FILE' | 'ERR_LVSD_HTTP_TOKEN_MODE' | 'ERR_LVSD_HTTP_NO_TOKEN',
    message: string,
  ) {
    super(code, message);
    this.name = 'HttpStartError';
  }
}

/** The longest token accepted: enough for any random secret, small enough to read at once. */
export const MAX_TOKEN_BYTES = 4096;

/**
 * Reads the token from `path`: refused when missing, not a regular file, readable or writable by
 * group or others, empty, or oversized. Surrounding whitespace (a trailing newline) is dropped.
 */
export function readTokenFile(path: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new HttpStartError(
      'ERR_LVSD_HTTP_TOKEN_FILE',
      `--http-token-file ${path}: cannot read it (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  if (!st.isFile())
    throw new HttpStartError('ERR_LVSD_HTTP_TOKEN_FILE', `--http-token-file ${path}: not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new HttpStartError(
      'ERR_LVSD_HTTP_TOKEN_MODE',
      `--http-token-file ${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group or others read it; chmod 600 it`,
    );
  }
  if (st.size > MAX_TOKEN_BYTES)
    throw new HttpStartError('ERR_LVSD_HTTP_TOKEN_FILE', `--http-token-file ${path}: larger than 4 KiB`);
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new HttpStartError(
      'ERR_LVSD_HTTP_TOKEN_FILE',
      `--http-token-file ${path}: cannot read it (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  if (token === '' || /\s/.test(token))
    throw new HttpStartError(
      'ERR_LVSD_HTTP_TOKEN_FILE',
      `--http-token-file ${path}: expected one token without spaces`,
    );
  return token;
}

/** Whether `host` (an IP literal) is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return m !== null && m[1]!.startsWith('127.');
}

/** Refuses a non-loopback `host` without a token (ERR_LVSD_HTTP_NO_TOKEN). */
export function checkExposure(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopback(host)) {
    throw new HttpStartError(
      'ERR_LVSD_HTTP_NO_TOKEN',
      `--http ${host}: an address other than loopback needs --http-token-file`,
    );
  }
}

/**
 * Checks an `Authorization` header against `token` in constant time: both sides are hashed
 * first, so neither the token's length nor a common prefix shows in the timing.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const given = createHash('sha256')
    .update(m?.[1] ?? '')
    .digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}
