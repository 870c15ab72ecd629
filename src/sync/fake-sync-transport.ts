/**
 * An in-memory multicast network for sync daemon tests, like src/vrrp/fake-vrrp-transport.ts:
 * every transport made from one {@link FakeSyncNetwork} is one director, interfaces with the same
 * name are one link, and a master's datagram reaches every backup receiver on that link bound to
 * the same group and port, except the sender's own director (the kernel turns multicast loop
 * off: ip_vs_sync.c make_send_sock() set_mcast_loop(sk, 0)). Delivery is synchronous, in send
 * order; a backup receiver cuts a datagram to its maxLen as the kernel's receive buffer does.
 */
import type {
  SyncDatagram,
  SyncEndpoint,
  SyncReceiver,
  SyncSender,
  SyncTransport,
} from './sync-transport.js';

interface Receiver {
  readonly host: string;
  readonly ep: SyncEndpoint;
  readonly on: (d: SyncDatagram) => void;
  closed: boolean;
}

/** One datagram as it went over the fake link. */
export interface FakeSyncSent {
  readonly from: string;
  readonly ifname: string;
  readonly group: string;
  readonly port: number;
  readonly ttl: number;
  readonly data: Uint8Array;
}

/** An error with an errno-style code, as a socket call would throw it. */
function sysError(code: string, msg: string): Error {
  return Object.assign(new Error(msg), { code });
}

/** The shared fake link layer. */
export class FakeSyncNetwork {
  private readonly receivers: Receiver[] = [];
  /** Every datagram sent, in order, for assertions. */
  readonly sent: FakeSyncSent[] = [];
  /** Sockets currently open, by kind, for assertions that a stop closed them. */
  open = { senders: 0, receivers: 0 };

  /**
   * A transport for the director `host` (its address on every link), with interfaces named in
   * `mtus` (name → MTU). `hold` true makes sends complete only when {@link FakeSyncTransport.release}
   * runs, to stage a slow socket.
   */
  transport(host: string, mtus: Record<string, number> = { eth0: 1500 }): FakeSyncTransport {
    return new FakeSyncTransport(this, host, mtus);
  }

  /** @internal */
  addReceiver(r: Receiver): void {
    this.receivers.push(r);
    this.open.receivers++;
  }

  /** @internal */
  deliver(host: string, ep: SyncEndpoint, data: Uint8Array): void {
    this.sent.push({
      from: host,
      ifname: ep.ifname,
      group: ep.group,
      port: ep.port,
      ttl: ep.ttl,
      data: data.slice(),
    });
    for (const r of this.receivers) {
      if (r.closed || r.host === host || r.ep.ifname !== ep.ifname) continue;
      if (r.ep.group !== ep.group || r.ep.port !== ep.port) continue;
      r.on({ src: host, data: data.slice(0, Math.min(data.length, r.ep.maxLen)) });
    }
  }
}

/** One director's view of a {@link FakeSyncNetwork}. */
export class FakeSyncTransport implements SyncTransport {
  /** When true, sends wait for {@link release}. */
  hold = false;
  /** When set, the next open throws this errno code (e.g. EADDRINUSE). */
  failNextOpen: string | undefined;
  /** When set, every open throws this errno code until cleared (e.g. EADDRNOTAVAIL). */
  failOpens: string | undefined;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly net: FakeSyncNetwork,
    readonly host: string,
    private readonly mtus: Record<string, number>,
  ) {}

  interfaceMtu(ifname: string): number | undefined {
    return this.mtus[ifname];
  }

  /** Completes the held sends, in order. */
  release(): void {
    while (this.waiting.length > 0) this.waiting.shift()!();
  }

  /** Sends waiting for {@link release}. */
  get held(): number {
    return this.waiting.length;
  }

  openSender(ep: SyncEndpoint, _onError?: (e: Error) => void): SyncSender {
    this.checkOpen(ep);
    let closed = false;
    this.net.open.senders++;
    return {
      send: (data, done) => {
        if (closed) return done(sysError('EBADF', 'socket closed'));
        const go = () => {
          if (!closed) this.net.deliver(this.host, ep, data);
          done();
        };
        if (this.hold) this.waiting.push(go);
        else go();
      },
      close: () => {
        if (!closed) this.net.open.senders--;
        closed = true;
      },
    };
  }

  openReceiver(
    ep: SyncEndpoint,
    onDatagram: (d: SyncDatagram) => void,
    _onError?: (e: Error) => void,
  ): SyncReceiver {
    this.checkOpen(ep);
    const r: Receiver = { host: this.host, ep, on: onDatagram, closed: false };
    this.net.addReceiver(r);
    return {
      close: () => {
        if (!r.closed) this.net.open.receivers--;
        r.closed = true;
      },
    };
  }

  private checkOpen(ep: SyncEndpoint): void {
    if (this.mtus[ep.ifname] === undefined) throw sysError('ENODEV', `no interface ${ep.ifname}`);
    const code = this.failNextOpen ?? this.failOpens;
    if (code !== undefined) {
      this.failNextOpen = undefined;
      throw sysError(code, `fake open failure ${code}`);
    }
  }
}
