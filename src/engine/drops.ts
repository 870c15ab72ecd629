/**
 * Drop reasons of the packet engine, one counter each. Codes below 64 are parseFlow verdicts
 * (PARSE: malformed frames and unsupported EtherTypes/protocols), so the parser's own verdict is
 * the counter index; the engine's reasons start at 64. Names are stable: they appear in
 * `lvsd simulate` summaries and metrics.
 */
import { VERDICT } from '../core/director.js';
import { PARSE_NAME } from '../packet/flow.js';

/** Engine drop reasons (codes ≥ 64; 1..63 are PARSE verdicts). */
export const DROP = {
  /** An IP packet neither to a VIP/LIP nor a reply of a known NAT conn: not ours to forward. */
  NOT_OURS: 64,
  /** To a VIP but no service matches (the kernel would hand it to the local stack). */
  NO_SERVICE: 65,
  /** Service found but no usable real server: ICMP port unreachable sent (ip_vs_leave). */
  NO_DEST: 66,
  /** The conn's real server was deleted and expire_nodest_conn is 0 (silent drop). */
  DEST_GONE: 67,
  /** Old conn expired for rescheduling; the client retransmits (conn_reuse_mode). */
  RESCHEDULED: 68,
  /** A forwarding method or address-family combination the engine does not implement. */
  UNSUPPORTED: 69,
  /**
   * A fragment the engine cannot place: a later fragment whose first one was not seen (out of
   * order or expired), or an ICMP/ICMPv6 fragment. IPVS sees datagrams whole; the engine forwards
   * fragments one by one (frag-table.ts, frag-table6.ts) instead of reassembling.
   */
  FRAGMENT: 70,
  /** No route to the next hop. */
  NO_ROUTE: 71,
  /** The frame waiting for ARP resolution found the queue full. */
  NEIGH_QUEUE_FULL: 72,
  /** ARP resolution failed (no answer after 3 probes): queued frames dropped. */
  NEIGH_FAILED: 73,
  /** The neighbour table is full. */
  NEIGH_TABLE_FULL: 74,
  /** TTL / hop limit would reach 0: ICMP time exceeded sent. */
  TTL_EXCEEDED: 75,
  /** Too big for the path with DF set: ICMP fragmentation needed / packet too big sent. */
  TOO_BIG: 76,
  /** Too big without DF: the engine fragments only tunnelled packets (outer DF clear), not the others. */
  NEEDS_FRAGMENTATION: 77,
  /** FULLNAT: no local address:port left for the real server. */
  NO_LOCAL_PORT: 78,
  /** FULLNAT service without local addresses. */
  NO_LOCAL_ADDRESS: 79,
  /** An ICMP error that matches no connection. */
  ICMP_NO_CONN: 80,
  /** ICMP other than echo requests and errors (e.g. echo replies, redirects) addressed to a VIP. */
  ICMP_IGNORED: 81,
  /** ARP not asking for one of our addresses, or an unsolicited reply. */
  ARP_IGNORED: 82,
  /** The action list or the output arena of this batch is full. */
  TX_FULL: 83,
  /** Neighbour discovery not asking for one of our addresses, an unsolicited advert, or invalid (RFC 4861 §7.1). */
  NDP_IGNORED: 84,
  /**
   * A packet of a conn a sync backup created for a real server this director does not have (yet):
   * neither forwarded nor rescheduled until the dest appears and the conn binds to it
   * (net/netfilter/ipvs/ip_vs_conn.c ip_vs_try_bind_dest()).
   */
  SYNC_UNBOUND: 85,
  /** A new connection dropped by the drop_packet defense (ip_vs_todrop(); the client retransmits). */
  DEFENSE_DROP_PACKET: 86,
  /** A new connection refused: the table holds conn_max entries (LVS.ts's bound). */
  CONN_LIMIT: 87,
  /**
   * A packet from a NAT real server's address and port that belongs to no conn, with nat_icmp_send
   * set: ICMP port unreachable sent back to the real server (ip_vs_out()).
   */
  NAT_NO_CONN: 88,
  /**
   * NAT to a loopback real server (127.0.0.0/8) for a packet from the network: the kernel stops
   * it (ip_vs_xmit.c ip_vs_nat_xmit(), "stopping DNAT to loopback address"), as the host would
   * take such a packet for a martian.
   */
  LOOPBACK_DNAT: 89,
  /** cache_bypass to an address of the director itself (ip_vs_bypass_xmit() routes non-local only). */
  BYPASS_LOCAL: 90,
} as const;

/** Number of drop counters (codes 0..DROP_COUNT-1). */
export const DROP_COUNT = 96;

/** Stable counter names by code: PARSE verdicts as `malformed_<verdict>` / `unsupported_*`, then the engine's. */
export const DROP_NAME: readonly string[] = (() => {
  const names: string[] = new Array<string>(DROP_COUNT).fill('');
  for (const [code, name] of Object.entries(PARSE_NAME)) {
    const c = Number(code);
    if (c > 0) names[c] = c < 32 ? `malformed_${name}` : name;
  }
  for (const [k, v] of Object.entries(DROP)) names[v] = k.toLowerCase();
  return names;
})();

/** The drop reason of a negative inPacket verdict other than ACCEPT and NO_DEST (those the paths answer themselves). */
export function verdictDrop(v: number): number {
  if (v === VERDICT.DROP_RESCHED) return DROP.RESCHEDULED;
  if (v === VERDICT.DROP_DEFENSE) return DROP.DEFENSE_DROP_PACKET;
  if (v === VERDICT.CONN_LIMIT) return DROP.CONN_LIMIT;
  return DROP.DEST_GONE;
}
