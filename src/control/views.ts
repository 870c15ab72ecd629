/**
 * Read-side snapshots of the director, as plain JSON. lvsadm formats these into ipvsadm's
 * listings; the HTTP API and dashboard serve them as they are.
 */
import type { DestConfig, ServiceConfig, ServiceKey } from '../core/types.js';

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

/** One destination with its live counters. */
export interface DestView extends DestConfig {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
  readonly stats: StatsView;
  readonly rates: RateView;
}

/** One virtual service, its destinations in kernel list order (newest first). */
export interface ServiceView {
  readonly key: ServiceKey;
  readonly config: ServiceConfig;
  readonly stats: StatsView;
  readonly rates: RateView;
  readonly dests: readonly DestView[];
  /** FULLNAT local addresses, our extension. */
  readonly laddrs?: readonly string[];
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

/** The whole table, as one listing needs it. */
export interface Snapshot {
  /** 2^conn_tab_bits: the `size=` in ipvsadm's header. */
  readonly connTabSize: number;
  /** Services in kernel enumeration order (what `--nosort` shows). */
  readonly services: readonly ServiceView[];
  readonly conns?: readonly ConnView[];
}

/** The three timeouts `--set` changes and `-L --timeout` lists, in seconds. */
export interface TimeoutsView {
  readonly tcp: number;
  readonly tcpfin: number;
  readonly udp: number;
}

/** A running sync daemon, as `-L --daemon` lists it. */
export interface DaemonView {
  readonly state: 'master' | 'backup';
  readonly mcastInterface: string;
  readonly syncId: number;
  readonly syncMaxLen: number;
  readonly mcastGroup: string;
  readonly mcastPort: number;
  readonly mcastTtl: number;
}
