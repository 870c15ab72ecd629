/**
 * One datagram exchange on a connected UDP socket, as keepalived's check_udp.c and check_dns.c
 * both do: connecting makes the kernel report an ICMP port/host unreachable to this socket (Node
 * surfaces it as an ECONNREFUSED/EHOSTUNREACH socket error), and the first verdict wins.
 */
import dgram from 'node:dgram';
import { type Result, resultOf } from '../checker.js';

/** A verdict on the exchange: success flag and the result message. */
export type Verdict = readonly [ok: boolean, message: string];

/** Where to send, what, and how to judge what comes back. */
export interface UdpExchange {
  readonly host: string;
  readonly port: number;
  readonly bindTo?: string;
  readonly bindPort?: number;
  readonly payload: Uint8Array;
  readonly timeoutMs: number;
  /** The verdict when the timeout passes first. */
  onTimeout(): Verdict;
  /** Judges one datagram; undefined keeps waiting (a reply that is not ours). */
  onMessage(msg: Buffer): Verdict | undefined;
}

/** Sends `x.payload` once and resolves with the first verdict: a judged reply, an error or the timeout. */
export function udpExchange(x: UdpExchange, start: bigint): Promise<Result> {
  const sock = dgram.createSocket(x.host.includes(':') ? 'udp6' : 'udp4');
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
    const timer = setTimeout(() => finish(...x.onTimeout()), x.timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) =>
      finish(false, e.code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : (e.code ?? e.message)),
    );
    sock.on('message', (msg) => {
      const v = x.onMessage(msg);
      if (v) finish(...v);
    });
    const go = () =>
      sock.connect(x.port, x.host, () => {
        sock.send(x.payload, (err) => {
          if (err) finish(false, `send failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        });
      });
    if (x.bindTo || x.bindPort)
      sock.bind({ port: x.bindPort ?? 0, ...(x.bindTo ? { address: x.bindTo } : {}) }, go);
    else go();
  });
}
