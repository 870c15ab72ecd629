/**
 * What the proxy data plane needs from the director core: schedule a new connection exactly as
 * a SYN would (persistence included), feed it synthetic TCP transitions so ActiveConn/InActConn
 * and state timeouts match a packet director, count its traffic, and learn when the core expires
 * it. The core's Director implements this (director-core.ts).
 */
import type { Dest } from '../../core/dest.js';
import type { Service } from '../../core/service.js';
import type { ServiceTable } from '../../core/service-table.js';

/**
 * Socket events mapped onto the IPVS TCP state machine (ip_vs_proto_tcp.c
 * `tcp_states`, walked as by a NAT conn):
 * the accepted client socket is the SYN (openConn → SYN_RECV), the real server answering the
 * connect is OUTPUT syn + INPUT ack (→ ESTABLISHED), an EOF from either side is its FIN, and a
 * reset is its RST. Both FINs leave the entry in TIME_WAIT until its timeout, as in the kernel.
 */
export const CONN_EV = {
  /** The real server accepted the proxied connection. */
  ESTABLISHED: 0,
  /** The client half-closed (its FIN). */
  CLIENT_FIN: 1,
  /** The real server half-closed (its FIN). */
  SERVER_FIN: 2,
  /** The client reset the connection. */
  CLIENT_RST: 3,
  /** The real server reset (or refused) the connection. */
  SERVER_RST: 4,
} as const;
/** One of {@link CONN_EV}. */
export type ConnEvent = (typeof CONN_EV)[keyof typeof CONN_EV];

/** {@link ProxyCore.openConn}'s answer when drop_packet or conn_max refused the connection (core/defense.ts). */
export const OPEN_REFUSED = -2;

/** Traffic direction: client → real server (kernel "in") or back ("out"). */
export const DIR_IN = 0;
/** Traffic direction: real server → client (kernel "out"). */
export const DIR_OUT = 1;

/** The director operations the proxy data plane calls. Connection handles are small integers. */
export interface ProxyCore {
  readonly table: ServiceTable;
  /**
   * Schedules a new connection to `svc` as a SYN (or first datagram) would, persistence
   * included, and enters it in the connection table. Returns its index, -1 when no real server
   * is available, or {@link OPEN_REFUSED} when a connection-table defense refused it. For a one-packet (`-o`) UDP service the caller counts the datagram and
   * then calls dropConn, as the kernel frees OPS conns right after their packet.
   */
  openConn(
    svc: Service,
    caddr: Uint8Array,
    cport: number,
    vaddr: Uint8Array,
    vport: number,
    now: number,
  ): number;
  /** The real server a connection was bound to. */
  connDest(idx: number): Dest | undefined;
  /** Steps a TCP connection's state with a synthetic event (see {@link CONN_EV}). */
  connEvent(idx: number, ev: ConnEvent, now: number): void;
  /** Counts relayed traffic and re-arms the connection's timer as a packet would. */
  countBytes(idx: number, dir: number, bytes: number, pkts: number, now: number): void;
  /**
   * Takes back the conn counted on `dest` (and its service, and globally) by an openConn whose
   * scheduling did not stand: the client was retried on another server, or the director could
   * not open a socket for it. A client then counts once, on the server that took it.
   */
  uncount(dest: Dest): void;
  /** Removes a connection at once (a connect that failed before anything was relayed). */
  dropConn(idx: number, now: number): void;
  /**
   * Registers the function the core calls, synchronously, when it frees a connection the plane
   * did not drop itself (timer expiry, expire_nodest_conn, rescheduling). The handler closes the
   * connection's sockets and must not call back into the core.
   */
  onExpire(fn: (idx: number) => void): void;
  /** The udp timeout in ms (`--set`), for one-packet flows that have no entry of their own. */
  udpTimeoutMs(): number;
  /** Runs the core's timers (connection expiry, estimator, trash). */
  tick(now: number): void;
}
