/**
 * The proxy plane's file-descriptor budget. Every proxied TCP connection holds two descriptors
 * (client and real-server sockets) and every UDP flow one (its socket toward the real server:
 * the reply's destination port is how the plane knows which client a reply is for, so flows
 * cannot share a socket). Uncapped, a burst of datagrams from distinct source ports took every
 * descriptor the process had: TCP services reset their clients and the control socket could
 * not accept lvsadm (issue 16, found 1). So the plane spends at most `total` descriptors: the
 * soft RLIMIT_NOFILE minus what lvsd held when the plane started and a reserve for what comes
 * later (64 control clients, 64 HTTP API clients, health checks, logs, child pipes). UDP flows
 * may take at most half of it: a datagram's source is spoofable and costs the sender nothing,
 * while a TCP client has completed a handshake before lvsd accepts it, so a UDP flood can never
 * refuse TCP clients their half. At the bound new connections and flows are refused and
 * counted (the kernel has no such bound; it is the socket proxy's equivalent of its refusal to
 * create a conn when memory runs out, ip_vs_conn_new returning NULL). Pure.
 */
import { CountNotice } from './count-notice.js';

/** How many descriptors the proxy plane may use. */
export interface FdBudgetSize {
  /** The soft RLIMIT_NOFILE the budget was computed from. */
  readonly limit: number;
  /** Descriptors left to the rest of lvsd (held at start plus the reserve). */
  readonly reserve: number;
  /** Descriptors the plane may hold: listeners, TCP connections (2 each), UDP flows (1 each). */
  readonly total: number;
  /** Most UDP flow sockets open at once (half of `total`). */
  readonly udpMax: number;
}

/** The reserve for lvsd's other descriptors: a quarter of the limit, at least 96, at most 1024. */
export function fdReserve(limit: number): number {
  return Math.min(1024, Math.max(96, Math.floor(limit / 4)));
}

/**
 * The plane's budget for a soft limit `limit` (Infinity counts as 2^20, Node's own ceiling for
 * an unlimited hard limit) when lvsd already holds `held` descriptors.
 */
export function fdBudgetSize(limit: number, held: number): FdBudgetSize {
  const lim = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 2 ** 20;
  const reserve = Math.max(0, Math.floor(held)) + fdReserve(lim);
  const total = Math.max(0, lim - reserve);
  return { limit: lim, reserve, total, udpMax: Math.floor(total / 2) };
}

/** The plane-wide descriptor accounting the TCP and UDP relays consult before opening sockets. */
export class FdBudget {
  /** TCP clients reset at accept because two more descriptors did not fit (`fd_limit_tcp`). */
  readonly tcpRefused = new CountNotice();
  /** UDP datagrams dropped because a new flow's socket did not fit (`fd_limit_udp`). */
  readonly udpRefused = new CountNotice();
  /** UDP flow sockets open now (the UDP relays count them). */
  udpSockets = 0;

  constructor(
    readonly size: FdBudgetSize,
    /** Proxied TCP connections open now (2 descriptors each). */
    private readonly tcpConns: () => number = () => 0,
    /** Listening sockets open now. */
    private readonly listeners: () => number = () => 0,
  ) {}

  /** Descriptors the plane holds now, by its own count. */
  inUse(): number {
    return 2 * this.tcpConns() + this.udpSockets + this.listeners();
  }

  /** Whether a new TCP connection (two more descriptors) fits; counts a refusal when not. */
  admitTcp(): boolean {
    if (this.inUse() + 2 <= this.size.total) return true;
    this.tcpRefused.add();
    return false;
  }

  /** Whether a new UDP flow socket fits, under both bounds; counts a refusal when not. */
  admitUdp(): boolean {
    if (this.udpSockets < this.size.udpMax && this.inUse() + 1 <= this.size.total) return true;
    this.udpRefused.add();
    return false;
  }
}
