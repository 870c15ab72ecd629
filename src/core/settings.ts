/**
 * Director settings: per-protocol state timeouts (what `--set tcp tcpfin udp` changes) and the
 * net.ipv4.vs.* sysctls the core honours, with the kernel's defaults (ip_vs_ctl.c,
 * Documentation/networking/ipvs-sysctl.rst).
 */

import { TableError } from './errors.js';
import { SCTP_DEFAULT_TIMEOUTS } from './proto/sctp.js';
import { TCP_DEFAULT_TIMEOUTS, TCP_S } from './proto/tcp.js';
import { UDP_DEFAULT_TIMEOUTS, UDP_S_NORMAL } from './proto/udp.js';
import type { SysctlName } from './sysctls.js';
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
};

// Accepted ranges. The kernel takes any int for the boolean knobs; we refuse values it would only
// treat as "true" so a typo cannot hide. Defence modes are 0..3 as proc_do_defense_mode enforces.
const RANGES: Readonly<Record<SysctlName, readonly [number, number]>> = {
  conn_reuse_mode: [0, 3],
  expire_nodest_conn: [0, 1],
  expire_quiescent_template: [0, 1],
  sloppy_tcp: [0, 1],
  sloppy_sctp: [0, 1],
  secure_tcp: [0, 3],
  schedule_icmp: [0, 1],
  nat_icmp_send: [0, 1],
  cache_bypass: [0, 1],
  lblc_expiration: [1, 0x7fffffff],
  lblcr_expiration: [1, 0x7fffffff],
  run_estimation: [0, 1],
  pmtu_disc: [0, 1],
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
   * Whether the secure_tcp ("dos") state table is in force. Without memory monitoring, mode 1
   * (auto, not triggered) is off and modes 2 (auto, triggered) and 3 (always) are on.
   */
  secureTcp = false;
  /** Cached run_estimation != 0. */
  runEstimation = true;

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
    const r = RANGES[name];
    if (!r) throw new TableError('ERR_LVS_INVALID', `unknown sysctl: ${name}`);
    if (!Number.isInteger(value) || value < r[0] || value > r[1]) {
      throw new TableError('ERR_LVS_INVALID', `${name}: value out of range: ${value}`);
    }
    this.values[name] = value;
    this.connReuseMode = this.values.conn_reuse_mode;
    this.expireNodestConn = this.values.expire_nodest_conn !== 0;
    this.expireQuiescentTemplate = this.values.expire_quiescent_template !== 0;
    this.sloppyTcp = this.values.sloppy_tcp !== 0;
    this.sloppySctp = this.values.sloppy_sctp !== 0;
    this.secureTcp = this.values.secure_tcp >= 2;
    this.runEstimation = this.values.run_estimation !== 0;
  }

  /** All sysctls with their current values. */
  sysctls(): Readonly<Record<SysctlName, number>> {
    return { ...this.values };
  }
}
