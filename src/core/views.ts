/**
 * The read-side views the core itself produces (counters, rates, connection entries, timeouts),
 * as plain JSON. control/views.ts builds the listings out of them.
 */

/** Counters as the kernel keeps them (u64; exact up to 2^53 here). */
export interface StatsView {
  readonly conns: number;
  readonly inpkts: number;
  readonly outpkts: number;
  readonly inbytes: number;
  readonly outbytes: number;
}

/** Rates as ipvsadm shows them: conns/s, packets/s and bytes/s (ip_vs_est.c `ip_vs_read_estimator`). */
export interface RateView {
  readonly cps: number;
  readonly inpps: number;
  readonly outpps: number;
  readonly inbps: number;
  readonly outbps: number;
}

/** One connection-table entry, as `ipvsadm -Lc` shows it. */
export interface ConnView {
  readonly protocol: number;
  readonly af: 4 | 6;
  readonly caddr: string;
  readonly cport: number;
  readonly vaddr: string;
  readonly vport: number;
  readonly daddr: string;
  readonly dport: number;
  /** State name as the kernel prints it (ESTABLISHED, UDP, NONE, ASSURED, ...). */
  readonly state: string;
  /** Milliseconds until expiry. */
  readonly expiresMs: number;
  readonly flags: number;
  readonly fwmark: number;
  readonly template: boolean;
  /** Persistence engine name and data, when a PE made the entry. */
  readonly peName?: string;
  readonly peData?: string;
}

/** The three timeouts `--set` changes and `-L --timeout` lists, in seconds. */
export interface TimeoutsView {
  readonly tcp: number;
  readonly tcpfin: number;
  readonly udp: number;
}
