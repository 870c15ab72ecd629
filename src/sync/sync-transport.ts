/**
 * The port between the sync daemons (src/daemon/sync) and the UDP sockets that carry sync
 * messages (src/io/sync), declared in the pure sync layer so both import it downward, with an
 * in-memory fake beside it (fake-sync-transport.ts). The endpoints mirror what
 * net/netfilter/ipvs/ip_vs_sync.c start_sync_thread() opens: one socket per sync thread, a
 * master's connected to group:port+id, a backup's bound to group:port+id and joined on the
 * interface.
 */

/** IP_VS_SYNC_GROUP (include/net/ip_vs.h): the default IPv4 group, 224.0.0.81. */
export const SYNC_DEFAULT_GROUP = '224.0.0.81';
/** IP_VS_SYNC_PORT (include/net/ip_vs.h): the default UDP port. */
export const SYNC_DEFAULT_PORT = 8848;
/** start_sync_thread(): a zero mcast_ttl becomes 1 (stay on the link). */
export const SYNC_DEFAULT_TTL = 1;
/** IPVS_SYNC_PORTS_MAX (ip_vs_sync.c): at most 64 threads, hence ports, per role. */
export const SYNC_PORTS_MAX = 64;

/** Where one sync thread's socket sends or listens. */
export interface SyncEndpoint {
  /** The multicast interface (`--mcast-interface`). */
  readonly ifname: string;
  /** Family of the group. */
  readonly af: 4 | 6;
  /** The multicast group, canonical text. */
  readonly group: string;
  /** The UDP port: mcast_port + thread id (get_mcast_sockaddr()). */
  readonly port: number;
  /** Multicast TTL / hop limit of a master's datagrams. */
  readonly ttl: number;
  /** sync_sock_size: SO_SNDBUF (master) or SO_RCVBUF (backup) when > 0 (set_sock_size()). */
  readonly sockSize: number;
  /** A backup's receive buffer: datagrams longer than this are cut, as the kernel's kmalloc(sync_maxlen) buffer cuts them. */
  readonly maxLen: number;
}

/** A master thread's socket. */
export interface SyncSender {
  /**
   * Sends one datagram; `done` runs once the socket took it (or failed). The daemon keeps one
   * datagram in flight per socket, as sync_thread_master() waits for a writable socket.
   */
  send(data: Uint8Array, done: (err?: Error) => void): void;
  close(): void;
}

/** A backup thread's socket. */
export interface SyncReceiver {
  close(): void;
}

/** One received datagram. */
export interface SyncDatagram {
  /** The sender's address, canonical text. */
  readonly src: string;
  readonly data: Uint8Array;
}

/** Opens sync sockets. Opening throws (with an errno-style `code`) when the socket cannot be set up. */
export interface SyncTransport {
  /**
   * The interface's MTU, or undefined when no such interface exists (start_sync_thread()'s
   * __dev_get_by_name() failing, which the daemon answers with ENODEV).
   */
  interfaceMtu(ifname: string): number | undefined;
  /** make_send_sock(). */
  openSender(ep: SyncEndpoint, onError: (e: Error) => void): SyncSender;
  /** make_receive_sock(). */
  openReceiver(
    ep: SyncEndpoint,
    onDatagram: (d: SyncDatagram) => void,
    onError: (e: Error) => void,
  ): SyncReceiver;
}
