/**
 * Read-side snapshots of the director, as plain JSON. lvsadm formats these into ipvsadm's
 * listings; the HTTP API and dashboard serve them as they are.
 */
import type { DestConfig, ServiceConfig, ServiceKey } from '../core/types.js';
import type { ConnView, RateView, StatsView, TimeoutsView } from '../core/views.js';

export type { ConnView, RateView, StatsView, TimeoutsView };

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

/** The whole table, as one listing needs it. */
export interface Snapshot {
  /** 2^conn_tab_bits: the `size=` in ipvsadm's header. */
  readonly connTabSize: number;
  /** Services in kernel enumeration order (what `--nosort` shows). */
  readonly services: readonly ServiceView[];
  readonly conns?: readonly ConnView[];
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
