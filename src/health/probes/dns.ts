/**
 * DNS_CHECK (keepalived check_dns.c): one UDP query with RD set, a random ID and QDCOUNT 1.
 * Success = a reply with the same ID, QR=1 and RCODE 0; keepalived does not inspect answers.
 * ldirectord's dns check additionally needs an A/AAAA address or PTR/CNAME name matching its
 * `receive` pattern (`expect`).
 */
import { randomInt } from 'node:crypto';
import { LvsError } from '../../core/errors.js';
import type { CheckContext, Checker, Result } from '../checker.js';
import { DNS_TYPES, decodeMessage, encodeQuery } from '../dns-codec.js';
import { udpExchange, type Verdict } from './udp-exchange.js';

/** DNS checker settings. */
export interface DnsTarget {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  /** Record type name (A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY, PTR). */
  readonly queryType: string;
  /** ldirectord receive: a regex one answer's data must match. */
  readonly expect?: string;
  readonly bindTo?: string;
}

/** DNS query checker. */
export class DnsChecker implements Checker {
  readonly type = 'dns';
  private readonly qtype: number;
  private readonly expect: RegExp | undefined;
  constructor(private readonly t: DnsTarget) {
    this.qtype = DNS_TYPES[t.queryType.toUpperCase()] ?? DNS_TYPES.SOA ?? 6;
    this.expect = t.expect ? new RegExp(t.expect) : undefined;
  }

  /** Sends one query and judges the first reply carrying our ID. */
  check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const id = randomInt(0, 0x10000);
    return udpExchange(
      {
        host: this.t.host,
        port: this.t.port,
        ...(this.t.bindTo ? { bindTo: this.t.bindTo } : {}),
        payload: encodeQuery({ id, name: this.t.name, type: this.qtype, rd: true }),
        timeoutMs: ctx.timeoutMs,
        onTimeout: () => [false, `no answer within ${ctx.timeoutMs} ms`],
        onMessage: (buf) => this.judge(buf, id),
      },
      start,
    );
  }

  /** Judges one reply: undefined for one not carrying our ID, as check_dns.c keeps waiting then. */
  private judge(buf: Buffer, id: number): Verdict | undefined {
    let m: ReturnType<typeof decodeMessage>;
    try {
      m = decodeMessage(buf);
    } catch (e) {
      return [false, `malformed reply: ${e instanceof LvsError ? e.code : String(e)}`];
    }
    if (m.id !== id || !m.qr) return undefined;
    if (m.rcode !== 0) return [false, `rcode ${m.rcode}`];
    if (this.expect) {
      const hit = m.answers.some((a) => (this.expect as RegExp).test(a.data));
      return [hit, hit ? 'answer matched' : 'no answer matched the receive pattern'];
    }
    return [true, `rcode 0, ${m.answers.length} answer(s)`];
  }
}
