/**
 * The one command language. lvsadm, ipvsadm-save rules, keepalived.conf, ldirectord.cf, the HTTP
 * API and health-check transitions all become `Command`s applied in one place (control/apply.ts).
 * Every shape here is plain JSON so it crosses the control socket unchanged.
 */
import { SYSCTLS, type SysctlName } from '../core/sysctls.js';
import type { DestConfig, DestKey, ServiceConfig, ServiceKey } from '../core/types.js';

/** A change to the director's table or settings. */
export type Command =
  | { readonly op: 'add-service'; readonly service: ServiceKey; readonly config: ServiceConfig }
  /** Full replace of a service's settings, as `ipvsadm -E` does (ipvsadm.c). */
  | { readonly op: 'edit-service'; readonly service: ServiceKey; readonly config: ServiceConfig }
  | { readonly op: 'del-service'; readonly service: ServiceKey }
  | { readonly op: 'clear' }
  | { readonly op: 'add-dest'; readonly service: ServiceKey; readonly dest: DestConfig }
  /** Full replace of a destination's settings, as `ipvsadm -e` does. */
  | { readonly op: 'edit-dest'; readonly service: ServiceKey; readonly dest: DestConfig }
  | { readonly op: 'del-dest'; readonly service: ServiceKey; readonly dest: DestKey }
  /** Zero counters of one service, or of everything when `service` is absent. */
  | { readonly op: 'zero'; readonly service?: ServiceKey }
  /** `--set tcp tcpfin udp`: seconds, 0 keeps the current value. */
  | { readonly op: 'set-timeouts'; readonly tcp: number; readonly tcpfin: number; readonly udp: number }
  | { readonly op: 'start-daemon'; readonly daemon: SyncDaemonConfig }
  | { readonly op: 'stop-daemon'; readonly state: 'master' | 'backup' }
  /** FULLNAT local address (DPVS `--add-laddr -z LIP`), our extension. */
  | {
      readonly op: 'add-laddr';
      readonly service: ServiceKey;
      readonly addr: string;
      readonly ifname?: string;
    }
  | { readonly op: 'del-laddr'; readonly service: ServiceKey; readonly addr: string }
  /** A net.ipv4.vs.* style setting, e.g. `expire_nodest_conn`. */
  | { readonly op: 'set-sysctl'; readonly name: SysctlName; readonly value: number }
  /**
   * `lvsadm --bgp-drain [VIP]` and `--bgp-undrain [VIP]` (ours, issue 18): withdraw a VIP's BGP
   * announcement (or every one without `vip`) while lvsd keeps serving, and announce it again.
   */
  | { readonly op: 'bgp-drain' | 'bgp-undrain'; readonly vip?: string };

/** The sync daemon settings `--start-daemon` carries (ipvsadm(8), ip_vs_sync.c). */
export interface SyncDaemonConfig {
  readonly state: 'master' | 'backup';
  readonly mcastInterface: string;
  readonly syncId: number;
  readonly syncMaxLen?: number;
  readonly mcastGroup?: string;
  readonly mcastPort?: number;
  readonly mcastTtl?: number;
}

export { SYSCTLS, type SysctlName };

/** A read-only request; answered with views (control/views.ts). */
export type Query =
  | { readonly q: 'list'; readonly service?: ServiceKey; readonly conns?: boolean }
  | { readonly q: 'timeouts' }
  | { readonly q: 'daemons' }
  | { readonly q: 'laddrs'; readonly service?: ServiceKey }
  | { readonly q: 'status' }
  /** `lvsadm --health` (our extension): per real server state from the health checker. */
  | { readonly q: 'health' }
  /** `lvsadm --availability` (our extension): uptime, MTBF, MTTR and A per server and service. */
  | { readonly q: 'availability' }
  /** `lvsadm --vrrp` (our extension): state, priorities and receive counters of each VRRP instance. */
  | { readonly q: 'vrrp' }
  /** `lvsadm --sysctl` (our extension): the current net.ipv4.vs.* values. */
  | { readonly q: 'sysctls' }
  /** `lvsadm --bgp` (our extension): what lvsd announces through BIRD, and BIRD's sessions. */
  | { readonly q: 'bgp' };
