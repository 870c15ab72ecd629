/**
 * ldirectord `service=simpletcp`: connect, send the request (with `\n` escapes expanded), and pass
 * when a received line matches the `receive` regex (any connection passes without one).
 */
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';
import { LineReader } from './line-reader.js';
import { type ConnTarget, connectTcp } from './tcp.js';

/** ldirectord simpletcp checker. */
export class SimpleTcpChecker implements Checker {
  readonly type = 'simpletcp';
  private readonly re: RegExp | undefined;
  constructor(
    private readonly target: ConnTarget,
    private readonly request: string,
    receive: string | undefined,
  ) {
    this.re = receive ? new RegExp(receive) : undefined;
  }

  /** One request/response exchange. */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const sock = await connectTcp(this.target, ctx.timeoutMs);
    if (typeof sock === 'string') return resultOf(false, sock, start);
    const r = new LineReader(sock, Date.now() + ctx.timeoutMs);
    try {
      if (this.request) sock.write(this.request.replace(/\\n/g, '\n'));
      if (!this.re) return resultOf(true, 'connected', start);
      for (;;) {
        const line = await r.next();
        if (line === undefined) {
          if (this.re.test(r.partial())) return resultOf(true, 'response matched', start);
          return resultOf(false, 'no line matched the receive pattern', start);
        }
        if (this.re.test(line)) return resultOf(true, 'response matched', start);
      }
    } finally {
      sock.destroy();
    }
  }
}
