/**
 * PING_CHECK and ldirectord `ping`: one ICMP echo, sent in-process. How, and when not:
 * - Node has no ICMP socket, so the project's native addon (native/icmp_socket.c, through
 *   src/io/icmp) opens one per address family, shared by every check: an unprivileged ping
 *   socket (SOCK_DGRAM/IPPROTO_ICMP[V6], allowed when the process's gid is inside
 *   net.ipv4.ping_group_range, which also governs ICMPv6), else a raw ICMP socket (CAP_NET_RAW).
 *   Root is NOT inside the kernel's default range "1 0" (each new network namespace starts with
 *   it; systemd sets "0 2147483647" on the host), so a root lvsd often gets the raw socket.
 *   A check is then one sendto(2) and a timer; replies are matched by identifier and sequence,
 *   and an ICMP error about the request (host unreachable, ...) fails the check at once.
 * - The system `ping -c1 -W<s>` is spawned per check ONLY when that family has no in-process
 *   socket: the addon is missing or unloadable (not built, not Linux, LVS_PACKET_ADDON pointing
 *   elsewhere), or both socket(2) calls failed (gid outside ping_group_range AND no
 *   CAP_NET_RAW), or the host is a name rather than an IP literal (ping resolves it). The
 *   decision is made once per family at the first check and kept. The child is killed at the
 *   timeout, so the event loop is never blocked.
 */
import { spawn } from 'node:child_process';
import { type IcmpPinger, sharedPinger } from '../../io/icmp/icmp-pinger.js';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

/** What an in-process echo reports: a reply, a reason, or that it cannot run at all. */
export type IcmpEchoOutcome =
  | { readonly ok: true; readonly rttMs?: number }
  | { readonly ok: false; readonly reason?: string; readonly unavailable?: string };

/** An in-process ICMP echo (the addon's by default; tests inject fakes). */
export interface IcmpEcho {
  /** Resolves with the outcome (a bare boolean means reply / no reply within the timeout). */
  echo(host: string, timeoutMs: number): Promise<boolean | IcmpEchoOutcome>;
}

/** The addon-backed echo over a pinger (the shared one unless given). */
export function addonIcmpEcho(pinger: IcmpPinger = sharedPinger()): IcmpEcho {
  return {
    echo: async (host, timeoutMs) => {
      const r = await pinger.ping(host, timeoutMs);
      if (r.ok) return r;
      return 'unavailable' in r ? { ok: false, unavailable: r.unavailable } : { ok: false, reason: r.reason };
    },
  };
}

/** ICMP echo checker. `icmp` null forces the `ping` binary; undefined means the addon's echo. */
export class PingChecker implements Checker {
  readonly type = 'ping';
  private readonly icmp: IcmpEcho | null;
  /** How the last check was made: in-process, or by spawning `ping` (and why). */
  lastMethod: { readonly via: 'socket' } | { readonly via: 'spawn'; readonly why: string } | undefined;

  constructor(
    private readonly host: string,
    icmp?: IcmpEcho | null,
    private readonly pingPath = 'ping',
  ) {
    this.icmp = icmp === undefined ? addonIcmpEcho() : icmp;
  }

  /** One echo request. */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    if (this.icmp) {
      const r = await this.icmp.echo(this.host, ctx.timeoutMs);
      const o: IcmpEchoOutcome = typeof r === 'boolean' ? { ok: r } : r;
      if (o.ok || !o.unavailable) {
        this.lastMethod = { via: 'socket' };
        if (o.ok)
          return resultOf(
            true,
            o.rttMs === undefined ? 'echo reply' : `echo reply in ${o.rttMs.toFixed(3)} ms`,
            start,
          );
        return resultOf(false, o.reason ?? 'no echo reply', start);
      }
      this.lastMethod = { via: 'spawn', why: o.unavailable };
    } else {
      this.lastMethod = { via: 'spawn', why: 'in-process ICMP disabled' };
    }
    return this.spawnPing(ctx, start);
  }

  private spawnPing(ctx: CheckContext, start: bigint): Promise<Result> {
    const secs = Math.max(1, Math.ceil(ctx.timeoutMs / 1000));
    const args = ['-n', '-q', '-c1', `-W${secs}`, ...(this.host.includes(':') ? ['-6'] : []), this.host];
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean, msg: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(resultOf(ok, msg, start));
      };
      const child = spawn(this.pingPath, args, { stdio: 'ignore' });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(false, `no echo reply within ${ctx.timeoutMs} ms`);
      }, ctx.timeoutMs + 500);
      child.on('error', (e: NodeJS.ErrnoException) =>
        finish(false, `cannot run ping: ${e.code ?? e.message}`),
      );
      child.on('exit', (code) => finish(code === 0, code === 0 ? 'echo reply' : 'no echo reply'));
    });
  }
}
