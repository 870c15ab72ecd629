/**
 * SMTP_CHECK (keepalived check_smtp.c state machine): connect, require a 220 banner, send
 * `HELO <helo_name>`, require 250, send QUIT. Multi-line replies (`220-...`) are read to their
 * last line (RFC 5321 §4.2.1).
 */
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';
import { LineReader } from './line-reader.js';
import { type ConnTarget, connectTcp } from './tcp.js';

/** Reads one complete SMTP reply; returns its code and text, or undefined. */
async function reply(r: LineReader): Promise<{ code: number; text: string } | undefined> {
  for (;;) {
    const line = await r.next();
    if (line === undefined) return undefined;
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) return { code: 0, text: line };
    if (m[2] !== '-') return { code: Number(m[1]), text: line };
  }
}

/** SMTP banner + HELO checker. */
export class SmtpChecker implements Checker {
  readonly type = 'smtp';
  constructor(
    private readonly target: ConnTarget,
    /** keepalived default `smtpchecker.keepalived.org`. */
    private readonly heloName: string,
  ) {}

  /** One SMTP conversation. */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const deadline = Date.now() + ctx.timeoutMs;
    const sock = await connectTcp(this.target, ctx.timeoutMs);
    if (typeof sock === 'string') return resultOf(false, sock, start);
    const r = new LineReader(sock, deadline);
    try {
      const banner = await reply(r);
      if (!banner) return resultOf(false, 'no SMTP banner', start);
      if (banner.code !== 220) return resultOf(false, `bad banner: ${banner.text.slice(0, 80)}`, start);
      sock.write(`HELO ${this.heloName || 'smtpchecker.keepalived.org'}\r\n`);
      const helo = await reply(r);
      if (!helo) return resultOf(false, 'no reply to HELO', start);
      if (helo.code !== 250) return resultOf(false, `HELO refused: ${helo.text.slice(0, 80)}`, start);
      sock.write('QUIT\r\n');
      return resultOf(true, `banner and HELO ok (${banner.text.slice(0, 60)})`, start);
    } finally {
      sock.end();
      setTimeout(() => sock.destroy(), 100).unref();
    }
  }
}
