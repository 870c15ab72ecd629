/**
 * The VRRP data `lvsadm --vrrp` asks for, as plain JSON: built by the daemon's VRRP runner
 * (src/daemon/vrrp), carried by the control protocol, formatted by lvsadm. Declared here, below
 * all three, so the protocol types it without importing the daemon.
 */

/** One running `vrrp_instance`. */
export interface VrrpInstanceView {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly af: 4 | 6;
  readonly interface: string;
  /** INIT, BACKUP, MASTER or FAULT. */
  readonly state: string;
  /** Configured priority. */
  readonly basePriority: number;
  /** Priority after tracked scripts and interfaces (what adverts carry). */
  readonly effectivePriority: number;
  /** Our advert source (the primary address, or unicast_src_ip / mcast_src_ip). */
  readonly primaryAddr: string;
  /** Address of the current master: ours while MASTER, else the last accepted advert's sender. */
  readonly masterAddr?: string;
  /** Our advert interval and the master's (v3 backups adopt it), in ms. */
  readonly advertIntMs: number;
  readonly masterAdvertIntMs: number;
  /** Wall-clock ms of the last transition, and how many there were. */
  readonly since: number;
  readonly transitions: number;
  readonly advertsSent: number;
  readonly advertsReceived: number;
  /**
   * Discarded adverts by reason code (VRRP_RX_* of src/vrrp/vrrp-receive.ts), and accepted ones
   * carrying a note (VRRP_RX_INTERVAL_V3, VRRP_RX_OLD_UNICAST_CHECKSUM); zero counts omitted.
   */
  readonly rxErrors: Readonly<Record<string, number>>;
  readonly syncGroup?: string;
  readonly vips: readonly string[];
}

/** The whole `--vrrp` answer. */
export interface VrrpView {
  /** Wall-clock ms when the view was taken, for "time in state". */
  readonly now: number;
  readonly instances: readonly VrrpInstanceView[];
}
