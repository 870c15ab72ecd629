/**
 * Keeps the log as true as `lvsadm -L --status`: the data plane's status is recomputed after
 * every table change (debounced, so a bulk restore costs one pass per interval, not one per
 * rule) and on a short poll, which catches what the table does not see (an address added to or
 * removed from the host, a VRRP transition, a port freed). Each service or real server that
 * becomes unserved, or served again, is published once on `lvs:dataplane:serve`; the first pass
 * after start publishes every unserved one, whichever source loaded it (keepalived.conf,
 * ldirectord.cf, --restore, lvsadm).
 */
import { serveStatusChannel } from '../control/channels.js';
import type { VipStatus } from '../control/protocol.js';

/** Reasons of a plane still opening a socket: not a verdict yet, so not logged. */
const PENDING = new Set(['opening', 'not opened yet']);

/** Options of a {@link ServeWatch}. */
export interface ServeWatchOptions {
  /** The data plane's status (DataPlaneHandle.vipStatus). */
  readonly status: () => readonly VipStatus[];
  /** The publisher's identity on the channel (the daemon's director). */
  readonly source: object;
  /** Poll period, ms (default 1000). */
  readonly pollMs?: number;
  /** Quiet time after a table change before the pass, ms (default 50). */
  readonly debounceMs?: number;
}

/** Watches the data plane's status and publishes its changes. */
export class ServeWatch {
  private last = new Map<string, string>();
  private poll: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly o: ServeWatchOptions) {}

  /** Publishes every unserved service and real server of the table as loaded, then polls. */
  start(): void {
    this.started = true;
    this.check(true);
    this.poll = setInterval(() => this.check(false), this.o.pollMs ?? 1000);
    this.poll.unref();
  }

  /** A table change: a pass soon (coalesced with others). */
  changed(): void {
    if (!this.started || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.check(false);
    }, this.o.debounceMs ?? 50);
    this.pending.unref();
  }

  /** One pass: publishes each difference from the previous one. */
  check(initial: boolean): void {
    let status: readonly VipStatus[];
    try {
      status = this.o.status();
    } catch {
      return;
    }
    const next = new Map<string, string>();
    const report = (service: string, dest: string | undefined, serving: boolean, reason?: string) => {
      if (!serving && reason !== undefined && PENDING.has(reason)) return;
      const key = dest === undefined ? service : `${service} ${dest}`;
      const state = serving ? '' : (reason ?? 'unknown');
      next.set(key, state);
      const prev = this.last.get(key);
      if (prev === state || (prev === undefined && serving)) return;
      if (!serveStatusChannel.hasSubscribers) return;
      serveStatusChannel.publish({
        source: this.o.source,
        service,
        ...(dest !== undefined ? { dest } : {}),
        serving,
        ...(serving ? {} : { reason: state }),
        initial,
      });
    };
    for (const v of status) {
      report(v.service, undefined, v.serving, v.reason);
      for (const d of v.dests ?? []) report(v.service, d.dest, d.serving, d.reason);
    }
    this.last = next;
  }

  /** Stops polling. */
  stop(): void {
    this.started = false;
    if (this.poll) clearInterval(this.poll);
    if (this.pending) clearTimeout(this.pending);
    this.poll = this.pending = undefined;
  }
}
