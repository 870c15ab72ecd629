/**
 * TCP_CHECK / ldirectord `connect`: success = the TCP handshake completes within the timeout
 * (keepalived check_tcp.c `tcp_connect_thread`). The socket is closed at once, with a RST-free end.
 */
import net from 'node:net';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

/** Where a connection-based probe connects. */
export interface ConnTarget {
  readonly host: string;
  readonly port: number;
  /** Source address (keepalived `bindto`). */
  readonly bindTo?: string;
  /** Source port (keepalived `bind_port`). */
  readonly bindPort?: number;
}

/** Opens a TCP connection within `timeoutMs`; resolves the socket or an error message. */
export function connectTcp(t: ConnTarget, timeoutMs: number): Promise<net.Socket | string> {
  return new Promise((resolve) => {
    const sock = net.connect({
      host: t.host,
      port: t.port,
      ...(t.bindTo ? { localAddress: t.bindTo } : {}),
      ...(t.bindPort ? { localPort: t.bindPort } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(`connect timeout after ${timeoutMs} ms`);
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(`connect failed: ${e.code ?? e.message}`);
    });
  });
}

/** TCP connect checker. */
export class TcpChecker implements Checker {
  readonly type = 'tcp';
  constructor(private readonly target: ConnTarget) {}

  /** Connects and closes. */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const r = await connectTcp(this.target, ctx.timeoutMs);
    if (typeof r === 'string') return resultOf(false, r, start);
    r.end();
    r.destroy();
    return resultOf(true, 'connected', start);
  }
}
