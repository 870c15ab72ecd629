/**
 * The engine's drop reasons (drops.ts) in plain words, for tools that explain one frame at a time
 * (`lvsd simulate`): the counter name stays the stable key, these words are for people.
 */
import { PARSE } from '../packet/flow.js';
import { DROP, DROP_NAME } from './drops.js';

const WORDS: Readonly<Record<number, string>> = {
  [PARSE.TRUNCATED_L2]: 'malformed: shorter than an Ethernet header',
  [PARSE.TRUNCATED_L3]: 'malformed: IP or ARP header cut short, or IP length past the frame',
  [PARSE.BAD_IP_VERSION]: 'malformed: IP version disagrees with the EtherType',
  [PARSE.BAD_IP_HEADER_LENGTH]: 'malformed: IPv4 header length below 5 words',
  [PARSE.BAD_IP_LENGTH]: 'malformed: IP total length below its header',
  [PARSE.BAD_IP_CHECKSUM]: 'malformed: IPv4 header checksum fails',
  [PARSE.BAD_IPV6_EXT]: 'malformed: IPv6 extension header chain',
  [PARSE.TRUNCATED_L4]: 'malformed: transport header does not fit in the packet',
  [PARSE.BAD_TCP_HEADER_LENGTH]: 'malformed: TCP data offset below 5',
  [PARSE.BAD_UDP_LENGTH]: 'malformed: UDP length field',
  [PARSE.BAD_ICMP_EMBEDDED]: 'malformed: ICMP error with a cut embedded header',
  [PARSE.UNSUPPORTED_ARP]: 'ARP for other than Ethernet/IPv4',
  [PARSE.UNSUPPORTED_ETHERTYPE]: 'neither IPv4, IPv6 nor ARP',
  [PARSE.UNSUPPORTED_PROTOCOL]: 'transport protocol other than TCP, UDP, SCTP, ICMP',
  [DROP.NOT_OURS]: 'not for the director: no VIP or LIP, no NAT connection',
  [DROP.NO_SERVICE]: 'to a VIP, but no virtual service has this protocol and port',
  [DROP.NO_DEST]: 'no usable real server (ICMP port unreachable sent)',
  [DROP.DEST_GONE]: "the connection's real server was deleted (expire_nodest_conn 0)",
  [DROP.RESCHEDULED]: 'old connection expired to reschedule; the client retransmits',
  [DROP.UNSUPPORTED]: 'forwarding method or address family the engine does not implement',
  [DROP.FRAGMENT]: 'a fragment the engine cannot place (first fragment unseen, or ICMP)',
  [DROP.NO_ROUTE]: 'no route to the next hop',
  [DROP.NEIGH_QUEUE_FULL]: 'waiting for ARP/ND, and the queue is full',
  [DROP.NEIGH_FAILED]: 'the next hop never answered ARP/ND (3 probes)',
  [DROP.NEIGH_TABLE_FULL]: 'the neighbour table is full',
  [DROP.TTL_EXCEEDED]: 'TTL would reach 0 (ICMP time exceeded sent)',
  [DROP.TOO_BIG]: 'too big for the path with DF set (ICMP fragmentation needed sent)',
  [DROP.NEEDS_FRAGMENTATION]: 'too big for the path without DF: the engine fragments only tunnelled packets',
  [DROP.NO_LOCAL_PORT]: 'FULLNAT: no local address:port left',
  [DROP.NO_LOCAL_ADDRESS]: 'FULLNAT service without a local address (LIP)',
  [DROP.ICMP_NO_CONN]: 'ICMP error that matches no connection',
  [DROP.ICMP_IGNORED]: 'ICMP to a VIP other than echo requests and errors',
  [DROP.ARP_IGNORED]: 'ARP not asking for one of our addresses, or an unsolicited reply',
  [DROP.TX_FULL]: 'the batch output is full',
  [DROP.NDP_IGNORED]: 'neighbour discovery not for one of our addresses, or invalid',
  [DROP.SYNC_UNBOUND]: 'synced connection for a real server this director does not have yet',
  [DROP.DEFENSE_DROP_PACKET]: 'new connection dropped by the drop_packet defense (memory low or mode 3)',
  [DROP.CONN_LIMIT]: 'new connection refused: the connection table holds conn_max entries',
  [DROP.LOOPBACK_DNAT]:
    'NAT to a loopback real server (127.0.0.0/8) from the network: refused as the kernel does',
  [DROP.BYPASS_LOCAL]: 'cache_bypass to an address of the director itself',
  [DROP.NAT_NO_CONN]: 'from a NAT real server, no connection (nat_icmp_send: port unreachable sent)',
};

/** `name: words` for a drop code, e.g. `no_dest: no usable real server (ICMP port unreachable sent)`. */
export function dropWords(code: number): string {
  const name = DROP_NAME[code] || `drop_${code}`;
  const words = WORDS[code];
  return words ? `${name}: ${words}` : name;
}
