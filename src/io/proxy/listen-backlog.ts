/**
 * The listen(2) backlog of the proxy plane's TCP listeners: how many connections whose handshake
 * the kernel has completed may wait for lvsd to accept them. When that queue is full the kernel
 * drops the next SYN (net/ipv4/tcp_input.c tcp_conn_request, `sk_acceptq_is_full`, counted as
 * ListenOverflows/ListenDrops in `nstat`) and the client retransmits it after 1 s, 3 s, ...; a
 * final ACK arriving while it is full is dropped too (tcp_v4_syn_recv_sock), or answered with a
 * reset when net.ipv4.tcp_abort_on_overflow is 1. SYN cookies (net.ipv4.tcp_syncookies) cover
 * the other queue, half-open connections, not this one.
 *
 * The default follows HAProxy, whose `backlog` defaults to the frontend's `maxconn`: there is no
 * point queueing more clients than the descriptor budget (fd-budget.ts) can carry, since lvsd
 * would accept them only to reset them; refused by the kernel instead, they retry their SYN a
 * second later when room may have come back. 4096 at most: net.core.somaxconn's default since
 * Linux 5.4, which caps any larger value anyway (net/socket.c __sys_listen), and at lvsd's few
 * thousand new connections a second about a second of a stalled event loop (a reload, a major
 * collection) before the kernel starts dropping SYNs. `--listen-backlog N` sets it. Pure.
 */

/** The default's upper bound (net.core.somaxconn's default since Linux 5.4). */
export const LISTEN_BACKLOG_MAX_DEFAULT = 4096;

/** The default backlog for a plane whose descriptor budget is `budgetFds` (2 per TCP connection). */
export function defaultListenBacklog(budgetFds: number): number {
  return Math.max(1, Math.min(LISTEN_BACKLOG_MAX_DEFAULT, Math.floor(budgetFds / 2)));
}

/** The backlog the kernel applies: the asked one capped at somaxconn (when known). */
export function effectiveListenBacklog(asked: number, somaxconn: number | undefined): number {
  return somaxconn === undefined ? asked : Math.min(asked, somaxconn);
}
