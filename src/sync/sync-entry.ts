/**
 * One connection as the IPVS sync protocol carries it: the fields of the kernel's
 * `struct ip_vs_sync_v4` / `ip_vs_sync_v6` (net/netfilter/ipvs/ip_vs_sync.c, version 1) and the
 * options that may follow them. Shared by the codec (which reads and writes it), the master
 * side (which fills it from the connection table) and the backup side (which applies it, as
 * ip_vs_proc_conn() does). Addresses are core's AddrWords: IPv4 in word 0 (host order), IPv6 in
 * all four words (network word order), as ConnTable.readAddr() fills them.
 */
import type { AddrWords } from '../core/conn-record.js';

/** TCP sequence adjustment of one direction (`struct ip_vs_seq`), carried by the SEQ_DATA option. */
export interface SyncSeq {
  readonly initSeq: number;
  readonly delta: number;
  readonly previousDelta: number;
}

/** The FULLNAT local address and port the master chose for this conn (our optional TLV). */
export interface SyncLocal {
  readonly laddr: AddrWords;
  readonly lport: number;
}

/** One synced connection (or persistence template: `flags` has IP_VS_CONN_F_TEMPLATE). */
export interface SyncConnEntry {
  /** Address family of caddr/vaddr/daddr (the v1 entry's type bit 0, STYPE_F_INET6). */
  readonly af: 4 | 6;
  /** IP protocol number (IPPROTO_TCP, _UDP, _SCTP; 0 = IPPROTO_IP for a fwmark service's template). */
  readonly protocol: number;
  /** IP_VS_CONN_F_* flags as sent (the master strips HASHED; the backup masks and adds SYNC). */
  readonly flags: number;
  /** Protocol state number (IP_VS_TCP_S_*, IP_VS_SCTP_S_*, or the template's IP_VS_CTPL_S_*). */
  readonly state: number;
  readonly cport: number;
  readonly vport: number;
  readonly dport: number;
  /** Firewall mark of the service (0 when none; version 1 only). */
  readonly fwmark: number;
  /** Remaining timeout in seconds (version 1 only; version 0 has none, the backup uses the state's). */
  readonly timeoutS: number;
  readonly caddr: AddrWords;
  readonly vaddr: AddrWords;
  readonly daddr: AddrWords;
  /** SEQ_DATA option: in and out sequence adjustments (present with IN_SEQ/OUT_SEQ). */
  readonly seq?: { readonly in: SyncSeq; readonly out: SyncSeq };
  /** PE_DATA option (persistence engine data, e.g. a SIP Call-ID), at most 255 bytes. */
  readonly peData?: Uint8Array;
  /** PE_NAME option (e.g. "sip"), at most 16 bytes. */
  readonly peName?: string;
  /** Our optional FULLNAT option (type bit 0x40 set so a kernel backup skips it). */
  readonly local?: SyncLocal;
}

/** One sync message: the header's syncid and version, and its entries. */
export interface SyncMessage {
  /** 0..255; a backup with a non-zero syncid ignores other ids (ip_vs_process_message()). */
  readonly syncId: number;
  /** Protocol version: 1 (default, `sync_version 1`) or 0 (IPv4 only). */
  readonly version: 0 | 1;
  readonly entries: readonly SyncConnEntry[];
}
