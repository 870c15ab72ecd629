/**
 * Process-wide ICMP echo service: one {@link IcmpSocket} per address family, opened on first
 * use and shared by every PING_CHECK, so N checks cost N sendto(2) calls and no processes. When
 * a family's socket cannot be opened (addon missing, or neither a ping socket nor a raw socket
 * is permitted) the reason is kept and every ping of that family reports `unavailable`, which
 * callers treat as "use another way" (the `ping` binary, see src/health/probes/ping.ts).
 * The verdict is kept for the pinger's life: permissions do not change under a running daemon,
 * and a retry per check would cost a failing socket(2) each time.
 */
import { ipFamily } from '../../core/addr.js';
import type { IcmpBinding } from './icmp-binding.js';
import { IcmpSocket, type IcmpSocketKind, type PingOutcome } from './icmp-socket.js';

/** A ping result, or `unavailable` when no in-process ICMP socket exists for the family. */
export type PingerOutcome = PingOutcome | { readonly ok: false; readonly unavailable: string };

/** Options of {@link IcmpPinger}. */
export interface IcmpPingerOptions {
  /** Socket kind for both families (default 'auto': ping socket, then raw socket). */
  kind?: IcmpSocketKind | 'auto';
  /** Test seam: the native binding to use instead of the addon. */
  binding?: IcmpBinding;
}

/** Multiplexes pings of both families over one lazily opened socket each. */
export class IcmpPinger {
  private readonly sockets = new Map<4 | 6, IcmpSocket | string>();

  constructor(private readonly options: IcmpPingerOptions = {}) {}

  /** The open socket of `family`, or the reason none can be opened. */
  socket(family: 4 | 6): IcmpSocket | string {
    let s = this.sockets.get(family);
    if (s === undefined) {
      try {
        s = new IcmpSocket({
          family,
          kind: this.options.kind ?? 'auto',
          ...(this.options.binding ? { binding: this.options.binding } : {}),
        }).open();
      } catch (e) {
        s = (e as Error).message;
      }
      this.sockets.set(family, s);
    }
    return s;
  }

  /** Why pings to `family` cannot run in-process, or undefined when they can. */
  unavailableReason(family: 4 | 6): string | undefined {
    const s = this.socket(family);
    return typeof s === 'string' ? s : undefined;
  }

  /** One echo to the IP literal `addr`; non-literals are `unavailable` (the caller resolves names). */
  ping(addr: string, timeoutMs: number): Promise<PingerOutcome> {
    const family = ipFamily(addr);
    if (family === 0) return Promise.resolve({ ok: false, unavailable: `${addr} is not an IP address` });
    const s = this.socket(family);
    if (typeof s === 'string') return Promise.resolve({ ok: false, unavailable: s });
    return s.ping(addr, timeoutMs);
  }

  /** Closes both sockets; pending pings resolve as closed. A later ping opens them again. */
  close(): void {
    for (const s of this.sockets.values()) if (typeof s !== 'string') s.close();
    this.sockets.clear();
  }
}

let shared: IcmpPinger | undefined;

/** The process-wide pinger used by PING_CHECK (created on first call, nothing opened yet). */
export function sharedPinger(): IcmpPinger {
  shared ??= new IcmpPinger();
  return shared;
}
