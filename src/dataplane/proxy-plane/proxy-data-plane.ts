/**
 * The proxy data plane: follows the service table and serves every TCP and UDP service from
 * sockets on VIP:port, relaying to the real servers the core schedules. The table keeps a
 * service whatever happens here (as ipvsadm would); when a VIP is not a local address or the
 * port is taken, the plane reports why once (on `lvs:dataplane:fault`) and keeps retrying, and
 * `status()` says which services are really served. Listeners are opened and closed one by one,
 * so a change to one service never touches another's connections, and closing a listener leaves
 * its accepted connections running until they end (the kernel keeps conns of a deleted service
 * the same way). Listeners on VRRP VIPs ({@link ProxyDataPlane.setFreebind}) bind with
 * IP_FREEBIND (freebind.ts), so they are open while this director is BACKUP and the address is
 * not on the host, and accept connections as soon as a MASTER transition adds it.
 * Descriptors: the plane spends at most a budget computed from RLIMIT_NOFILE at start
 * (io/proxy/fd-budget.ts); past it, TCP clients are reset and new UDP flows dropped, counted,
 * and said once per 10 s on `lvs:dataplane:fault` (`proxy-fd-limit`), so the control socket,
 * health checks and the HTTP API keep the descriptors they need.
 */
import dgram from 'node:dgram';
import { getSystemErrorName } from 'node:util';
import { type DataplaneFaultCode, dataplaneFaultChannel } from '../../control/channels.js';
import type { VipStatus } from '../../control/protocol.js';
import type { Dest } from '../../core/dest.js';
import { vsNotation } from '../../core/keepalived-notation.js';
import type { Service } from '../../core/service.js';
import { FWD, PROTO, serviceKeyText } from '../../core/types.js';
import {
  hostLocalAddresses,
  type LocalAddresses,
  type LocalAddressSet,
} from '../../io/host/local-addresses.js';
import { countOpenFds, readOpenFilesLimit } from '../../io/host/open-files.js';
import { readSomaxconn } from '../../io/host/somaxconn.js';
import type { ProxyCore } from '../../io/proxy/core.js';
import { FdBudget, fdBudgetSize } from '../../io/proxy/fd-budget.js';
import { defaultListenBacklog, effectiveListenBacklog } from '../../io/proxy/listen-backlog.js';
import { IPV6ONLY, newServerHandle, type RawTcp } from '../../io/proxy/raw.js';
import { CLOCK_STEP_MS, TcpRelay } from '../../io/proxy/tcp-relay.js';
import { addrBytes, UdpRelay } from '../../io/proxy/udp-relay.js';
import { serviceStatus } from '../serve-status.js';
import { addrKey } from '../vrrp-vip.js';
import { isOwnListener } from './director-core.js';
import { closeFd, freebindSocket, openFd } from './freebind.js';
import { OWN_LISTENER } from './refusal.js';

/** Log sink: level, message and structured fields (the daemon passes pino through it). */
export type ProxyLog = (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;

/** Options of the proxy data plane. */
export interface ProxyDataPlaneOptions {
  core: ProxyCore;
  /** How long a connect to a real server may take before it counts as failed (default 5 s). */
  connectTimeoutMs?: number;
  /** How often unserved listeners are retried (default 2 s). */
  retryMs?: number;
  /**
   * Listen backlog (default: io/proxy/listen-backlog.ts, the TCP connections the descriptor
   * budget can carry, at most 4096; the kernel caps it at somaxconn).
   */
  backlog?: number;
  /** The udp timeout in ms for one-packet flows (default: the core's `udpTimeoutMs()`). */
  udpTimeoutMs?: () => number;
  /** Call core.tick every second (embedded use); the daemon ticks its Director itself. */
  tickCore?: boolean;
  /** Progress lines (a service now served); faults are published on `lvs:dataplane:fault`. */
  log?: ProxyLog;
  /** The host's addresses, for {@link ProxyDataPlane.serveStatus} (default: getifaddrs). */
  localAddresses?: LocalAddresses;
  /**
   * Why a service's address is held elsewhere (a VRRP instance of it is not MASTER here), or
   * undefined; proxy-plane.ts answers it from the VRRP transitions it follows.
   */
  heldReason?: (s: Service) => string | undefined;
  /**
   * The soft RLIMIT_NOFILE the descriptor budget is computed from (default: this process's,
   * from /proc/self/limits; Infinity when unreadable), and the descriptors lvsd holds besides
   * the plane (default: counted in /proc/self/fd when the plane is made).
   */
  fdLimit?: number;
  fdHeld?: number;
}

/** Whether one service is really served, and why not. */
export interface ServeStatus {
  /** The service as `-t/-u/-f` text, e.g. `TCP 127.0.0.1:8080`. */
  readonly service: string;
  readonly served: boolean;
  /** Why it is not served (errno name or a limit of the proxy plane). */
  readonly reason?: string;
  /** Open client connections (TCP) or flows (UDP). */
  readonly clients?: number;
}

interface Listener {
  readonly id: string;
  svc: Service;
  tcp: RawTcp | null;
  /** The native acceptor's listener id (-1: none; the TCP relay accepts in JS or not open). */
  lid: number;
  udp: dgram.Socket | null;
  udpRelay: UdpRelay | null;
  served: boolean;
  reason: string;
  binding: boolean;
}

/** Serves the table's TCP and UDP services from sockets. */
export class ProxyDataPlane {
  readonly tcp: TcpRelay;
  /** The descriptor budget: its size, what the plane holds, and refusals. */
  readonly budget: FdBudget;
  /** The listen backlog asked for, and what the kernel applies (capped at somaxconn). */
  readonly backlog: { readonly asked: number; readonly effective: number; readonly somaxconn?: number };
  private readonly listeners = new Map<string, Listener>();
  private readonly opts: Required<
    Omit<
      ProxyDataPlaneOptions,
      'log' | 'udpTimeoutMs' | 'localAddresses' | 'heldReason' | 'fdLimit' | 'fdHeld'
    >
  > & {
    log: ProxyLog;
    udpTimeoutMs: () => number;
  };
  private readonly local: LocalAddresses;
  private readonly heldReason: (s: Service) => string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastGen = -1;
  private closed = false;
  private readonly peer = { address: '', port: 0, family: '' };
  // Addresses (vrrp-vip.ts keys) whose listeners bind with IP_FREEBIND: the VRRP VIPs.
  private freebind: ReadonlySet<string> = new Set();

  constructor(o: ProxyDataPlaneOptions) {
    const size = fdBudgetSize(
      o.fdLimit ?? readOpenFilesLimit()?.soft ?? Number.POSITIVE_INFINITY,
      o.fdHeld ?? countOpenFds() ?? 0,
    );
    const asked = o.backlog ?? defaultListenBacklog(size.total);
    const somaxconn = readSomaxconn();
    this.backlog = {
      asked,
      effective: effectiveListenBacklog(asked, somaxconn),
      ...(somaxconn !== undefined ? { somaxconn } : {}),
    };
    this.opts = {
      core: o.core,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      retryMs: o.retryMs ?? 2000,
      backlog: asked,
      tickCore: o.tickCore ?? false,
      log: o.log ?? (() => {}),
      udpTimeoutMs: o.udpTimeoutMs ?? (() => o.core.udpTimeoutMs()),
    };
    this.local = o.localAddresses ?? hostLocalAddresses();
    this.heldReason = o.heldReason ?? (() => undefined);
    // Each listener holds at most one descriptor; unserved ones are counted too (conservative).
    this.budget = new FdBudget(
      size,
      () => this.tcp.liveConnections,
      () => this.listeners.size,
    );
    this.tcp = new TcpRelay(o.core, this.opts.connectTimeoutMs, (code, detail) => this.fault(code, detail), {
      budget: this.budget,
    });
    o.core.onExpire((idx) => {
      this.tcp.expire(idx);
      for (const l of this.listeners.values()) if (l.udpRelay?.expire(idx)) break;
    });
  }

  /** Opens listeners for the current table and starts the timers. */
  start(): void {
    this.sync();
    const t1 = setInterval(() => this.housekeeping(), CLOCK_STEP_MS);
    const t2 = setInterval(() => this.retry(), this.opts.retryMs);
    t1.unref();
    t2.unref();
    this.timers.push(t1, t2);
    if (this.opts.tickCore) {
      const t3 = setInterval(() => this.opts.core.tick(Date.now()), 1000);
      t3.unref();
      this.timers.push(t3);
    }
  }

  /** Reconciles listeners with the table; call after every applied change (cheap when none). */
  sync(): void {
    if (this.closed) return;
    const table = this.opts.core.table;
    if (table.generation === this.lastGen) return;
    this.lastGen = table.generation;
    const want = new Map<string, Service>();
    for (const s of table.list()) {
      if (servable(s)) want.set(listenerId(s), s);
    }
    for (const [id, l] of this.listeners) {
      const s = want.get(id);
      if (s) l.svc = s;
      else this.closeListener(l);
    }
    for (const [id, s] of want) {
      if (this.listeners.has(id)) continue;
      const l: Listener = {
        id,
        svc: s,
        tcp: null,
        lid: -1,
        udp: null,
        udpRelay: null,
        served: false,
        reason: '',
        binding: false,
      };
      this.listeners.set(id, l);
      this.open(l);
    }
  }

  /** Which services are really served, in table order. */
  status(): ServeStatus[] {
    return this.opts.core.table.list().map((s) => {
      const service = serviceKeyText(s.key);
      const why = unservableReason(s);
      if (why) return { service, served: false, reason: why };
      const l = this.listeners.get(listenerId(s));
      if (!l) return { service, served: false, reason: 'not opened yet' };
      if (!l.served) return { service, served: false, reason: l.reason || 'opening' };
      return { service, served: true };
    });
  }

  /**
   * The truth per service and per real server (`lvsadm -L --status`): not served when the plane
   * cannot carry it, when its address is held by a VRRP peer or is not (any more) an address of
   * this host, when its socket cannot be bound, or when no real server can take a connection.
   * Computed from the facts at call time, so it follows address, table, health and VRRP changes.
   */
  serveStatus(): VipStatus[] {
    const local = this.local.snapshot();
    return this.opts.core.table
      .list()
      .map((s) =>
        serviceStatus(s, (svc, d) => proxyDestSupport(svc, d, local), this.addressReason(s, local)),
      );
  }

  /** Whether `addr` is one of this host's addresses now (a local real server: refusal.ts). */
  isLocal(addr: string): boolean {
    return this.local.snapshot().has(addr);
  }

  // Why the virtual address of `s` takes no connection here, or undefined when it does.
  private addressReason(s: Service, local: LocalAddressSet): string | undefined {
    const why = unservableReason(s);
    if (why) return why;
    const held = this.heldReason(s);
    if (held) return held;
    const addr = (s.key as { addr: string }).addr;
    const notLocal = `${addr} is not an address of this host`;
    const l = this.listeners.get(listenerId(s));
    if (!l) return 'not opened yet';
    if (!l.served) {
      if (l.reason === 'EADDRNOTAVAIL') return `${notLocal} (EADDRNOTAVAIL)`;
      if (l.reason === 'EADDRINUSE') return `port busy: another socket holds ${addr}:${s.port} (EADDRINUSE)`;
      if (l.reason === 'EACCES') return `port ${s.port} needs privilege (EACCES)`;
      return l.reason || 'opening';
    }
    // A socket bound before `ip addr del` still listens, but nothing reaches it.
    return local.has(addr) ? undefined : notLocal;
  }

  /** Stops listening and closes every open connection and flow. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const l of [...this.listeners.values()]) this.closeListener(l);
  }

  /**
   * Binds the listeners of services on `keys` (addresses as vrrp-vip.ts addrKey makes them: the
   * VRRP VIPs) with IP_FREEBIND from now on, and retries unserved listeners at once. Listeners
   * already open stay as they are.
   */
  setFreebind(keys: ReadonlySet<string>): void {
    this.freebind = keys;
    this.retry();
  }

  /** Retries every unserved listener now (e.g. an address it waits for was just added). */
  retryNow(): void {
    if (!this.closed) this.retry();
  }

  // The fd of a socket bound with IP_FREEBIND for `s`, -errno, or undefined to bind as usual.
  private freebindFd(s: Service, addr: string, udp: boolean): number | undefined {
    if (this.freebind.size === 0) return undefined;
    const k = addrKey(s.af, addr);
    if (k === undefined || !this.freebind.has(k)) return undefined;
    return freebindSocket(s.af, udp, addr, s.port);
  }

  private housekeeping(): void {
    const now = Date.now();
    this.noteFdLimit(now);
    this.tcp.sweep(now);
    for (const l of this.listeners.values()) l.udpRelay?.sweep(now);
    this.sync();
  }

  private retry(): void {
    this.sync();
    for (const l of this.listeners.values()) if (!l.served && !l.binding) this.open(l);
  }

  private open(l: Listener): void {
    if (l.svc.protocol === PROTO.TCP) this.openTcp(l);
    else this.openUdp(l);
  }

  private notServed(l: Listener, reason: string): void {
    if (l.reason !== reason) {
      this.fault('proxy-listen-failed', { service: serviceKeyText(l.svc.key), reason });
    }
    l.served = false;
    l.reason = reason;
  }

  /** Publishes a fault on `lvs:dataplane:fault` (the daemon's logger writes it). */
  private fault(code: DataplaneFaultCode, detail: Record<string, unknown>, err?: unknown): void {
    if (!dataplaneFaultChannel.hasSubscribers) return;
    dataplaneFaultChannel.publish({
      source: this,
      plane: 'proxy',
      code,
      ...(Object.keys(detail).length > 0 ? { detail } : {}),
      ...(err !== undefined ? { err } : {}),
    });
  }

  // At most one line per kind per 10 s, with how many were refused since the last one.
  private noteFdLimit(now: number): void {
    const b = this.budget;
    for (const [proto, n] of [
      ['tcp', b.tcpRefused.due(now)],
      ['udp', b.udpRefused.due(now)],
    ] as const) {
      if (n === 0) continue;
      this.fault('proxy-fd-limit', {
        proto,
        refused: n,
        inUse: b.inUse(),
        budget: b.size.total,
        udpMax: b.size.udpMax,
        limit: b.size.limit,
      });
    }
  }

  private nowServed(l: Listener): void {
    l.served = true;
    l.reason = '';
    this.opts.log('info', 'serving virtual service', { service: vsNotation(l.svc.key) });
  }

  private openTcp(l: Listener): void {
    const s = l.svc;
    const addr = (s.key as { addr: string }).addr;
    const h = newServerHandle();
    const fd = this.freebindFd(s, addr, false);
    let err: number;
    if (fd === undefined) err = s.af === 6 ? h.bind6(addr, s.port, IPV6ONLY) : h.bind(addr, s.port);
    else if (fd < 0) err = fd;
    else if ((err = openFd(h, fd)) !== 0) closeFd(fd);
    // Native accept listens on a dup of the bound socket (the handle, which never listened,
    // closes here); else libuv listens and accepts.
    const lid = err === 0 ? this.tcp.listenNative(h.fd, this.opts.backlog, l) : undefined;
    if (lid !== undefined) {
      h.close();
      if (lid < 0) {
        this.notServed(l, getSystemErrorName(lid));
        return;
      }
      l.lid = lid;
      this.nowServed(l);
      return;
    }
    if (err === 0) err = h.listen(this.opts.backlog);
    if (err !== 0) {
      h.close();
      this.notServed(l, getSystemErrorName(err));
      return;
    }
    const peer = this.peer;
    h.onconnection = (e, client) => {
      if (e !== 0 || !client) return;
      peer.address = '';
      if (client.getpeername(peer) !== 0 || !peer.address) {
        client.close();
        return;
      }
      const now = Date.now();
      this.tcp.accept(client, l.svc, addrBytes(peer.address), peer.port, now);
      if (this.budget.tcpRefused.count > 0) this.noteFdLimit(now);
    };
    l.tcp = h;
    this.nowServed(l);
  }

  private openUdp(l: Listener): void {
    const s = l.svc;
    const addr = (s.key as { addr: string }).addr;
    const fd = this.freebindFd(s, addr, true);
    if (fd !== undefined && fd < 0) {
      this.notServed(l, getSystemErrorName(fd));
      return;
    }
    const sock = dgram.createSocket({ type: s.af === 6 ? 'udp6' : 'udp4', ipv6Only: s.af === 6 });
    l.binding = true;
    const onErr = (e: NodeJS.ErrnoException) => {
      l.binding = false;
      sock.close();
      this.notServed(l, e.code ?? String(e));
    };
    sock.once('error', onErr);
    const bound = () => {
      l.binding = false;
      if (this.closed || this.listeners.get(l.id) !== l) {
        sock.close();
        return;
      }
      sock.off('error', onErr);
      sock.on('error', (e) => this.fault('proxy-udp-socket-error', {}, String(e)));
      l.udp = sock;
      l.udpRelay = new UdpRelay(this.opts.core, sock, l.svc, this.opts.udpTimeoutMs, {
        budget: this.budget,
        onRefused: () => this.noteFdLimit(Date.now()),
        onLocalError: (errno) => this.tcp.localError(errno, Date.now()),
      });
      this.nowServed(l);
    };
    if (fd === undefined) {
      sock.bind(s.port, addr, bound);
      return;
    }
    try {
      // dgram wraps a bound descriptor as its own (lib/dgram.js bind with options.fd).
      sock.bind({ fd }, bound);
    } catch (e) {
      closeFd(fd);
      onErr(e as NodeJS.ErrnoException);
    }
  }

  private closeListener(l: Listener): void {
    this.listeners.delete(l.id);
    if (l.tcp) {
      l.tcp.onconnection = () => {};
      l.tcp.close();
      l.tcp = null;
    }
    if (l.lid >= 0) {
      this.tcp.unlisten(l.lid);
      l.lid = -1;
    }
    l.udpRelay?.closeAll();
    l.udp?.close();
    l.udp = null;
    l.served = false;
  }
}

function listenerId(s: Service): string {
  return `${s.protocol}|${s.af}|${(s.key as { addr?: string }).addr ?? ''}|${s.port}`;
}

/** Why a socket proxy cannot serve this service at all, or '' when it can. */
function unservableReason(s: Service): string {
  if (s.key.kind === 'fwmark')
    return 'fwmark services need the packet data plane with --mark rules (the proxy plane has no TPROXY)';
  if (s.protocol === PROTO.SCTP) return 'SCTP needs the packet data plane';
  if (s.port === 0) return 'port 0 (all ports) needs the packet data plane';
  return '';
}

/**
 * The proxy carries masq and FULLNAT only: DR and tunnels need frames (refusal.ts), except to a
 * real server at one of the host's addresses, which the kernel hands to its own stack whatever
 * the method and a local connect reaches alike. A real server at the service's own address and
 * port would be this plane's own listener (director-core.ts skips it).
 */
function proxyDestSupport(s: Service, d: Dest, local: LocalAddressSet): string | undefined {
  if (s.addrBytes && isOwnListener(d, s.addrBytes, s.port)) return OWN_LISTENER;
  if (local.has(d.addr)) return undefined;
  if (d.fwd === FWD.DROUTE) return 'direct routing (-g) needs the packet data plane';
  if (d.fwd === FWD.TUNNEL) return 'tunnelling (-i) needs the packet data plane';
  return undefined;
}

function servable(s: Service): boolean {
  return unservableReason(s) === '';
}
