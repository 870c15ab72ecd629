/**
 * HTTP_GET / SSL_GET and ldirectord http/https negotiate checks (keepalived check_http.c,
 * ldirectord(8)), through node:http/https. Pass criteria per URL, in keepalived's order
 * (check_http.c `http_handle_response`): a response arrived; its status is in the allowed ranges;
 * the MD5 of the body (truncated at Content-Length, as genhash computes it) equals `digest`; the
 * regex matches (or not, with regex_no_match). TLS certificates are not verified, as neither
 * keepalived nor ldirectord verifies them by default.
 *
 * Deviation: node:http always writes an `HTTP/1.1` request line (keepalived's default is 1.0) and
 * sends `Connection: close`; servers answer both the same way for a health probe.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

/** What one URL must satisfy. */
export interface HttpUrlCheck {
  readonly path: string;
  readonly statusCodes: ReadonlyArray<readonly [number, number]>;
  /** Lowercase hex MD5 of the body. */
  readonly digest?: string;
  readonly regex?: string;
  readonly regexNoMatch?: boolean;
  /** Host header for this URL (url-level virtualhost). */
  readonly host?: string;
}

/** HTTP checker settings. */
export interface HttpTarget {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly method: 'GET' | 'HEAD';
  /** Default Host header (checker/RS/VS virtualhost, else `ip:port`). */
  readonly hostHeader: string;
  readonly urls: readonly HttpUrlCheck[];
  readonly bindTo?: string;
  /** SNI name, sent only when set (keepalived enable_sni/sni_name). */
  readonly sni?: string;
}

/** Largest body read; longer bodies are hashed and matched on this prefix only. */
export const MAX_BODY = 4 * 1024 * 1024;

/** HTTP/HTTPS checker; `ctx.part` selects the URL. */
export class HttpChecker implements Checker {
  readonly type: 'http' | 'https';
  private readonly regexes: (RegExp | undefined)[];
  constructor(private readonly t: HttpTarget) {
    this.type = t.tls ? 'https' : 'http';
    this.regexes = t.urls.map((u) => (u.regex ? new RegExp(u.regex) : undefined));
  }

  /** Fetches one URL and judges the response. */
  check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const url = this.t.urls[ctx.part] ?? this.t.urls[0];
    if (!url) return Promise.resolve(resultOf(false, 'no url configured', start));
    const re = this.regexes[ctx.part] ?? this.regexes[0];
    const mod = this.t.tls ? https : http;
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean, msg: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(resultOf(ok, `${url.path}: ${msg}`, start));
      };
      const req = mod.request({
        host: this.t.host,
        port: this.t.port,
        path: url.path,
        method: this.t.method,
        agent: false,
        headers: {
          Host: url.host ?? this.t.hostHeader,
          'User-Agent': 'KeepAliveClient',
          Connection: 'close',
        },
        ...(this.t.bindTo ? { localAddress: this.t.bindTo } : {}),
        ...(this.t.tls ? { rejectUnauthorized: false, servername: this.t.sni ?? '' } : {}),
      });
      const timer = setTimeout(() => finish(false, `timeout after ${ctx.timeoutMs} ms`), ctx.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => finish(false, `request failed: ${e.code ?? e.message}`));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (!url.statusCodes.some(([lo, hi]) => status >= lo && status <= hi)) {
          finish(false, `status ${status}`);
          return;
        }
        if (!url.digest && !re) {
          finish(true, `status ${status}`);
          return;
        }
        const limit = Math.min(Number(res.headers['content-length'] ?? MAX_BODY) || MAX_BODY, MAX_BODY);
        const chunks: Buffer[] = [];
        let got = 0;
        const judge = () => {
          const body = Buffer.concat(chunks).subarray(0, limit);
          if (url.digest) {
            const md5 = createHash('md5').update(body).digest('hex');
            if (md5 !== url.digest.toLowerCase()) return finish(false, `digest mismatch ${md5}`);
          }
          if (re) {
            const hit = re.test(body.toString('latin1'));
            if (hit === !!url.regexNoMatch)
              return finish(false, url.regexNoMatch ? 'regex matched' : 'regex did not match');
          }
          finish(true, `status ${status}${url.digest ? ', digest ok' : ''}${re ? ', regex ok' : ''}`);
        };
        res.on('data', (c: Buffer) => {
          if (got < limit) chunks.push(c);
          got += c.length;
          if (got >= limit) judge();
        });
        res.on('end', judge);
        res.on('error', () => judge());
      });
      req.end();
    });
  }
}
