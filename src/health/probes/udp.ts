/**
 * UDP_CHECK (keepalived check_udp.c, spec §1.9): send the payload on a connected UDP socket.
 * Without `require_reply`, success = no ICMP error (port/host unreachable) before the timeout;
 * the kernel reports the ICMP error to a connected socket, which Node surfaces as an
 * ECONNREFUSED/EHOSTUNREACH error on the socket. With `require_reply`, a reply must arrive whose
 * length is within [min, max] and whose first min(len, pattern) bytes match (mask bits set = must
 * match; a hex `X` nibble clears its mask bits).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

/** UDP checker settings. */
export interface UdpTarget {
  readonly host: string;
  readonly port: number;
  /** Empty → a random payload, as keepalived sends when none is configured. */
  readonly payload: Uint8Array;
  readonly requireReply?: { readonly bytes: Uint8Array; readonly mask: Uint8Array };
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
  readonly bindTo?: string;
  readonly bindPort?: number;
}

/** Whether `reply` satisfies the expected pattern and length bounds. */
export function replyMatches(t: UdpTarget, reply: Uint8Array): boolean {
  if (reply.length < t.minReplyLength || reply.length > t.maxReplyLength) return false;
  const want = t.requireReply;
  if (!want) return true;
  const n = Math.min(reply.length, want.bytes.length);
  for (let i = 0; i < n; i++) {
    const m = want.mask[i] ?? 0xff;
    if (((reply[i] as number) & m) !== ((want.bytes[i] as number) & m)) return false;
  }
  return true;
}

/** UDP payload checker. */
export class UdpChecker implements Checker {
  readonly type = 'udp';
  constructor(private readonly t: UdpTarget) {}

  /** Sends one datagram and waits for a reply, an ICMP error or the timeout. */
  check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const t = this.t;
    const sock = dgram.createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean, msg: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          sock.close();
        } catch {
          // already closed by an error
        }
        resolve(resultOf(ok, msg, start));
      };
      const timer = setTimeout(() => {
        if (t.requireReply) finish(false, `no reply within ${ctx.timeoutMs} ms`);
        else finish(true, 'no ICMP error');
      }, ctx.timeoutMs);
      sock.on('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : (e.code ?? e.message);
        finish(false, why);
      });
      sock.on('message', (msg) => {
        if (replyMatches(t, msg)) finish(true, `reply of ${msg.length} bytes`);
        else if (t.requireReply) finish(false, `unexpected reply of ${msg.length} bytes`);
      });
      const payload = t.payload.length > 0 ? t.payload : randomBytes(16);
      const go = () =>
        sock.connect(t.port, t.host, () => {
          sock.send(payload, (err) => {
            if (err) finish(false, `send failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
          });
        });
      if (t.bindTo || t.bindPort)
        sock.bind({ port: t.bindPort ?? 0, ...(t.bindTo ? { address: t.bindTo } : {}) }, go);
      else go();
    });
  }
}
