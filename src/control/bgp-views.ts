/**
 * What `lvsadm --bgp` asks lvsd for when it drives a local BIRD (`lvsd --bgp`, issue 18): the VIPs
 * it announces or withholds and why, the drain state, the last reload, and BIRD's own view of its
 * protocols. Plain JSON shapes, declared here below the protocol, the daemon and lvsadm.
 */

/** One row of BIRD's `show protocols` (BIRD 2 cli: name, protocol, table, state, since, info). */
export interface BirdProtocolRow {
  readonly name: string;
  /** `BGP`, `Static`, `Kernel`, `Device`, ... as BIRD prints it. */
  readonly proto: string;
  readonly table: string;
  /** `up`, `start`, `down`, `flush`. */
  readonly state: string;
  readonly since: string;
  /** For BGP the session state (`Established`, `Active`, `Connect`, ...) and the last error. */
  readonly info: string;
}

/** One virtual address: announced, or withheld with the reason. */
export interface BgpVipView {
  /** The address as routed: `192.0.2.10/32` or `2001:db8::10/128`. */
  readonly prefix: string;
  /** lvsd wants it announced (drain, health and the data plane allow it). */
  readonly announce: boolean;
  /** Why not, when `announce` is false. */
  readonly reason?: string;
  /** The services on this address (`TCP 192.0.2.10:80`). */
  readonly services: readonly string[];
}

/** A failure talking to BIRD, logged once and retried. */
export interface BgpErrorView {
  /** Stable code: ERR_LVS_BIRD_UNREACHABLE, ERR_LVS_BIRD_CONFIGURE, ERR_LVS_BGP_INCLUDE, ... */
  readonly code: string;
  readonly message: string;
  /** When it started (ms since the epoch). */
  readonly since: number;
}

/** `lvsadm --bgp` data. */
export interface BgpView {
  readonly now: number;
  /** `--bgp-include`: the file lvsd writes and the operator's bird.conf includes. */
  readonly include: string;
  /** `--bgp-socket`: BIRD's control socket. */
  readonly socket: string;
  /** The static protocols lvsd writes: NAME (IPv4) and NAME6 (IPv6). */
  readonly protocols: readonly [string, string];
  /** Every address of a service in the table (fwmark services have none), sorted. */
  readonly vips: readonly BgpVipView[];
  /** `lvsadm --bgp-drain` without an address: every VIP withdrawn. */
  readonly drainedAll: boolean;
  /** Addresses drained one by one (`lvsadm --bgp-drain VIP`). */
  readonly drained: readonly string[];
  /** The prefixes BIRD accepted at its last successful reload (what it announces now). */
  readonly announced: readonly string[];
  /** When BIRD last accepted the include (ms), or null before the first success. */
  readonly configuredAt: number | null;
  /** The wanted prefixes differ from the announced ones: a reload is due or being retried. */
  readonly pending: boolean;
  /** The current failure, absent when the last exchange with BIRD went well. */
  readonly error?: BgpErrorView;
  /** BIRD's `show protocols` at `birdAt` (BGP sessions and lvsd's static protocols). */
  readonly bird: readonly BirdProtocolRow[];
  /** When `bird` was read (ms), or null when it never was. */
  readonly birdAt: number | null;
}
