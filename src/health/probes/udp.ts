/**
 * UDP_CHECK (keepalived check_udp.c): send the payload on a connected UDP socket.
 * Without `require_reply`, success = no ICMP error (port/host unreachable) before the timeout;
 * the kernel reports the ICMP error to a connected socket, which Node surfaces as an
 * ECONNREFUSED/EHOSTUNREACH error on the socket. With `require_reply`, a reply must arrive whose
 * length is within [min, max] and whose first min(len, pattern) bytes match (mask bits set = must
 * match; a hex `X` nibble clears its mask bits).
 */
import { randomBytes } from 'node:crypto';
import type { CheckContext, Checker, Result } from '../checker.js';
import { udpExchange } from './udp-exchange.js';

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
    return udpExchange(
      {
        host: t.host,
        port: t.port,
        ...(t.bindTo ? { bindTo: t.bindTo } : {}),
        ...(t.bindPort ? { bindPort: t.bindPort } : {}),
        payload: t.payload.length > 0 ? t.payload : randomBytes(16),
        timeoutMs: ctx.timeoutMs,
        onTimeout: () =>
          t.requireReply ? [false, `no reply within ${ctx.timeoutMs} ms`] : [true, 'no ICMP error'],
        onMessage: (msg) => {
          if (replyMatches(t, msg)) return [true, `reply of ${msg.length} bytes`];
          return t.requireReply ? [false, `unexpected reply of ${msg.length} bytes`] : undefined;
        },
      },
      start,
    );
  }
}
