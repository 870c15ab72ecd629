/**
 * Director settings: per-protocol state timeouts (what `--set tcp tcpfin udp` changes) and the
 * net.ipv4.vs.* sysctls the core honours, with the kernel's defaults (ip_vs_ctl.c,
 * Documentation/networking/ipvs-sysctl.rst).
 */

import { TableError } from './errors.js';
import { SCTP_DEFAULT_TIMEOUTS } from './proto/sctp.js';
import { TCP_DEFAULT_TIMEOUTS, TCP_S } from './proto/tcp.js';
import { UDP_DEFAULT_TIMEOUTS, UDP_S_NORMAL } from './proto/udp.js';
import { type SysctlName, sysctlValueError } from './sysctls.js';
import type { TimeoutsView } from './views.js';

/** Kernel defaults of the sysctls (ip_vs_control_net_init_sysctl). */
export const SYSCTL_DEFAULTS: Readonly<Record<SysctlName, number>> = {
  conn_reuse_mode: 1,
  expire_nodest_conn: 0,
  expire_quiescent_template: 0,
  sloppy_tcp: 0,
  sloppy_sctp: 0,
  secure_tcp: 0,
  schedule_icmp: 0,
  nat_icmp_send: 0,
  cache_bypass: 0,
  lblc_expiration: 86400,
  lblcr_expiration: 86400,
  run_estimation: 1,
  pmtu_disc: 1,
  // ip_vs_sync.c / ip_vs_ctl.c: DEFAULT_SYNC_THRESHOLD 3, DEFAULT_SYNC_PERIOD 50,
  // DEFAULT_SYNC_REFRESH_PERIOD 0, DEFAULT_SYNC_RETRIES 0, sync_ver 1, sync_ports 1.
  sync_threshold: 3,
  sync_period: 50,
  sync_refresh_period: 0,
  sync_retries: 0,
  sync_persist_mode: 0,
  sync_version: 1,
  sync_ports: 1,
  // The kernel defaults to nr_free_buffer_pages() / 32, which depends on the machine; a fixed
  // value keeps runs reproducible (it is a count of queued messages, not bytes).
  sync_qlen_max: 8192,
  sync_sock_size: 0,
  // Documentation/networking/ipvs-sysctl.rst: amemthresh 1024 pages, am_droprate 10, the
  // defense modes 0 (off).
  amemthresh: 1024,
  am_droprate: 10,
  drop_entry: 0,
  drop_packet: 0,
  // Unbounded, as the kernel's table: see core/defense.ts for why no default bound.
  conn_max: 0,
};

/** Largest timeout `--set` accepts, in seconds (the kernel stores timeouts as int jiffies). */
export const MAX_TIMEOUT_S = 2147483;

/** Timeouts and sysctls of one director; plain fields so the hot path reads them directly. */
export class Settings {
  /** TCP per-state timeouts in seconds, indexed by TCP_S. */
  readonly tcpTimeouts = Uint32Array.from(TCP_DEFAULT_TIMEOUTS);
  /** UDP timeout in seconds (one state). */
  readonly udpTimeouts = Uint32Array.from(UDP_DEFAULT_TIMEOUTS);
  /** SCTP per-state timeouts in seconds, indexed by SCTP_S. */
  readonly sctpTimeouts = Uint32Array.from(SCTP_DEFAULT_TIMEOUTS);
  private readonly values: Record<SysctlName, number> = { ...SYSCTL_DEFAULTS };
  /** Cached conn_reuse_mode for the hot path. */
  connReuseMode = 1;
  /** Cached expire_nodest_conn != 0. */
  expireNodestConn = false;
  /** Cached expire_quiescent_template != 0. */
  expireQuiescentTemplate = false;
  /** Cached sloppy_tcp != 0. */
  sloppyTcp = false;
  /** Cached sloppy_sctp != 0. */
  sloppySctp = false;
  /**
   * Whether the secure_tcp ("dos") state table is in force: secure_tcp above 1, as
   * update_defense_level() switches it (mode 1 becomes 2 when memory runs low and back when it
   * recovers, core/defense.ts; 3 is always on).
   */
  secureTcp = false;
  /** Cached conn_max (0 = no bound). */
  connMax = 0;
  /** Cached run_estimation != 0. */
  runEstimation = true;
  /** Cached sync_threshold (the first value of the kernel's sync_threshold pair). */
  syncThreshold = 3;
  /** Cached sync_period (the second value of the kernel's sync_threshold pair; 0 = no period). */
  syncPeriod = 50;
  /** Cached sync_refresh_period in ms. */
  syncRefreshPeriodMs = 0;
  /** Cached sync_retries. */
  syncRetries = 0;
  /** Cached sync_persist_mode != 0. */
  syncPersistMode = false;
  /** Cached sync_version (0 or 1). */
  syncVersion = 1;
  /** Cached schedule_icmp != 0: an ICMP error about a VIP with no conn may start one (ip_vs_in_icmp). */
  scheduleIcmp = false;
  /** Cached nat_icmp_send != 0: a NAT real server's packet with no conn gets port unreachable (ip_vs_out). */
  natIcmpSend = false;
  /** Cached cache_bypass != 0: a fwmark service without a usable dest forwards to the original destination (ip_vs_leave). */
  cacheBypass = false;
  /** Cached pmtu_disc != 0: tunnelled IPv4 packets keep DF and too-big ones get frag-needed (ip_vs_xmit.c). */
  pmtuDisc = true;

  /** `--set tcp tcpfin udp`: seconds, 0 keeps the current value (ip_vs_set_timeout). */
  setTimeouts(tcp: number, tcpfin: number, udp: number): void {
    for (const v of [tcp, tcpfin, udp]) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_S) {
        throw new TableError('ERR_LVS_INVALID', `timeout out of range: ${v}`);
      }
    }
    if (tcp) this.tcpTimeouts[TCP_S.ESTABLISHED] = tcp;
    if (tcpfin) this.tcpTimeouts[TCP_S.FIN_WAIT] = tcpfin;
    if (udp) this.udpTimeouts[UDP_S_NORMAL] = udp;
  }

  /** The three timeouts `-L --timeout` shows. */
  timeouts(): TimeoutsView {
    return {
      tcp: this.tcpTimeouts[TCP_S.ESTABLISHED] as number,
      tcpfin: this.tcpTimeouts[TCP_S.FIN_WAIT] as number,
      udp: this.udpTimeouts[UDP_S_NORMAL] as number,
    };
  }

  /** Reads a sysctl. */
  get(name: SysctlName): number {
    return this.values[name];
  }

  /** Writes a sysctl; an unknown name or out-of-range value throws ERR_LVS_INVALID (EINVAL). */
  set(name: SysctlName, value: number): void {
    const bad = sysctlValueError(name, value);
    if (bad !== undefined) throw new TableError('ERR_LVS_INVALID', bad);
    // proc_do_sync_threshold refuses threshold >= period unless period is 0.
    const thr = name === 'sync_threshold' ? value : this.values.sync_threshold;
    const per = name === 'sync_period' ? value : this.values.sync_period;
    if (per !== 0 && thr >= per) {
      throw new TableError('ERR_LVS_INVALID', `sync_threshold ${thr} must be below sync_period ${per}`);
    }
    this.values[name] = value;
    this.connReuseMode = this.values.conn_reuse_mode;
    this.expireNodestConn = this.values.expire_nodest_conn !== 0;
    this.expireQuiescentTemplate = this.values.expire_quiescent_template !== 0;
    this.sloppyTcp = this.values.sloppy_tcp !== 0;
    this.sloppySctp = this.values.sloppy_sctp !== 0;
    this.secureTcp = this.values.secure_tcp >= 2;
    this.runEstimation = this.values.run_estimation !== 0;
    this.syncThreshold = this.values.sync_threshold;
    this.syncPeriod = this.values.sync_period;
    this.syncRefreshPeriodMs = this.values.sync_refresh_period * 1000;
    this.syncRetries = this.values.sync_retries;
    this.syncPersistMode = this.values.sync_persist_mode !== 0;
    this.syncVersion = this.values.sync_version;
    this.connMax = this.values.conn_max;
    this.scheduleIcmp = this.values.schedule_icmp !== 0;
    this.natIcmpSend = this.values.nat_icmp_send !== 0;
    this.cacheBypass = this.values.cache_bypass !== 0;
    this.pmtuDisc = this.values.pmtu_disc !== 0;
  }

  /** All sysctls with their current values. */
  sysctls(): Readonly<Record<SysctlName, number>> {
    return { ...this.values };
  }
}
