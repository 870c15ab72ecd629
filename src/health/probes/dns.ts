/**
 * DNS_CHECK (keepalived check_dns.c): one UDP query with RD set, a random ID and QDCOUNT 1.
 * Success = a reply with the same ID, QR=1 and RCODE 0; keepalived does not inspect answers.
 * ldirectord's dns check additionally needs an A/AAAA address or PTR/CNAME name matching its
 * `receive` pattern (`expect`).
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { LvsError } from '../../core/errors.js';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';
import { DNS_TYPES, decodeMessage, encodeQuery } from '../dns-codec.js';

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
    const query = encodeQuery({ id, name: this.t.name, type: this.qtype, rd: true });
    const sock = dgram.createSocket(this.t.host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean, msg: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          sock.close();
        } catch {
          // closed already
        }
        resolve(resultOf(ok, msg, start));
      };
      const timer = setTimeout(() => finish(false, `no answer within ${ctx.timeoutMs} ms`), ctx.timeoutMs);
      sock.on('error', (e: NodeJS.ErrnoException) =>
        finish(false, e.code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : (e.code ?? e.message)),
      );
      sock.on('message', (buf) => {
        let m: ReturnType<typeof decodeMessage>;
        try {
          m = decodeMessage(buf);
        } catch (e) {
          return finish(false, `malformed reply: ${e instanceof LvsError ? e.code : String(e)}`);
        }
        if (m.id !== id || !m.qr) return; // not ours: keep waiting, as check_dns.c does
        if (m.rcode !== 0) return finish(false, `rcode ${m.rcode}`);
        if (this.expect) {
          const hit = m.answers.some((a) => (this.expect as RegExp).test(a.data));
          return finish(hit, hit ? 'answer matched' : 'no answer matched the receive pattern');
        }
        finish(true, `rcode 0, ${m.answers.length} answer(s)`);
      });
      const go = () => sock.connect(this.t.port, this.t.host, () => sock.send(query));
      if (this.t.bindTo) sock.bind({ port: 0, address: this.t.bindTo }, go);
      else go();
    });
  }
}
