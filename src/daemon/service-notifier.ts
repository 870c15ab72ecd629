/**
 * lvsd's side of systemd's Type=notify protocol (sd_notify(3), systemd.service(5)): READY=1 once
 * the first table is built and the data plane started, RELOADING=1 with MONOTONIC_USEC= then
 * READY=1 around a SIGHUP reload (the pair systemd >= 253 wants to tell this reload from an
 * earlier one), and
 * STOPPING=1 at shutdown, each with a STATUS= line that `systemctl status` shows. The status is
 * re-sent when it changes (a VRRP transition, services added with lvsadm). Without a transport
 * (no NOTIFY_SOCKET) every call does nothing.
 */
import type { Logger } from 'pino';
import type { NotifyTransport } from '../io/systemd/notify-transport.js';

/** What the STATUS= line summarizes. */
export interface ServiceSummary {
  readonly services: number;
  /** The data plane's name, or 'none'. */
  readonly dataplane: string;
  /** Each VRRP instance's name and state (INIT, BACKUP, MASTER, FAULT). */
  readonly vrrp: readonly { readonly name: string; readonly state: string }[];
}

/** Instances named in STATUS= before the rest are counted: the line stays one screen wide. */
const STATUS_VRRP_NAMES = 3;

/**
 * The STATUS= text, e.g. `serving 3 services (proxy plane), VRRP VI_1 MASTER`. With one instance
 * the state stands alone; with several, each name and state, then `+N more`.
 */
export function serviceStatusText(s: ServiceSummary): string {
  const plane = s.dataplane === 'none' ? 'table only, no data plane' : `${s.dataplane} plane`;
  let t = `serving ${s.services} service${s.services === 1 ? '' : 's'} (${plane})`;
  if (s.vrrp.length > 0) {
    const shown = s.vrrp.slice(0, STATUS_VRRP_NAMES).map((i) => `${i.name} ${i.state}`);
    const more = s.vrrp.length - shown.length;
    t += `, VRRP ${shown.join(', ')}${more > 0 ? ` +${more} more` : ''}`;
  }
  return t;
}

/** Settings of a {@link ServiceNotifier}. */
export interface ServiceNotifierOptions {
  readonly log: Logger;
  /** The current summary for STATUS=. */
  readonly summary: () => ServiceSummary;
  /** CLOCK_MONOTONIC in µs (MONOTONIC_USEC=); Node's hrtime reads that clock. */
  readonly monotonicUsec?: () => bigint;
  /** How often a changed status is re-sent (default 2000 ms). */
  readonly refreshMs?: number;
}

/** Sends lvsd's lifecycle to systemd, in order, logging (once) when the socket refuses. */
export class ServiceNotifier {
  private chain: Promise<void> = Promise.resolve();
  private lastStatus: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;
  private stopped = false;
  private isReady = false;

  constructor(
    private readonly transport: NotifyTransport | undefined,
    private readonly o: ServiceNotifierOptions,
  ) {}

  /** Whether messages go anywhere (NOTIFY_SOCKET was set). */
  get active(): boolean {
    return this.transport !== undefined;
  }

  /** READY=1 with the status; starts the status refresh after the first. */
  ready(): void {
    if (!this.transport || this.stopped) return;
    this.isReady = true;
    this.send('READY=1', this.status());
    if (!this.timer && !this.stopped) {
      this.timer = setInterval(() => this.refresh(), this.o.refreshMs ?? 2000);
      this.timer.unref();
    }
  }

  /**
   * RELOADING=1 and MONOTONIC_USEC= (sd_notify(3)); {@link reloaded} must follow. Nothing before
   * the first READY=1: a SIGHUP during start-up is part of the start.
   */
  reloading(): void {
    if (!this.isReady || this.stopped) return;
    const usec = (this.o.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n))();
    this.send(`RELOADING=1\nMONOTONIC_USEC=${usec}`, 'reloading configuration');
  }

  /** READY=1 again after {@link reloading}; nothing before the first READY=1 or after STOPPING=1. */
  reloaded(): void {
    if (this.isReady) this.ready();
  }

  /** STOPPING=1; no status refresh after it. */
  stopping(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.send('STOPPING=1', 'stopping');
  }

  /** Re-sends STATUS= when the summary changed since the last message. */
  refresh(): void {
    if (!this.transport || this.stopped) return;
    const s = serviceStatusText(this.o.summary());
    if (s !== this.lastStatus) this.send(undefined, s);
  }

  /** Resolves once every message so far was handed to the socket (or failed). */
  flush(): Promise<void> {
    return this.chain;
  }

  private status(): string {
    return serviceStatusText(this.o.summary());
  }

  private send(head: string | undefined, status: string): void {
    const t = this.transport;
    if (!t) return;
    this.lastStatus = status;
    // STATUS= is free text to its line end: a newline would start another assignment.
    const message = `${head ? `${head}\n` : ''}STATUS=${status.replace(/\n/g, ' ')}\n`;
    this.chain = this.chain
      .then(() => t.send(message))
      .then(
        () => this.o.log.debug({ notify: message.trimEnd().split('\n') }, 'systemd notified'),
        (e: unknown) => {
          if (this.warned) return;
          this.warned = true;
          const code = (e as { code?: string }).code;
          this.o.log.warn(
            { socket: t.socket, via: t.kind, code, err: (e as Error).message },
            'cannot notify systemd (NOTIFY_SOCKET); later failures are not logged',
          );
        },
      );
  }
}
