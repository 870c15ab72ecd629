/**
 * The net.ipv4.vs sysctls the core honours (core/settings.ts keeps their values); control's
 * `set-sysctl` command names them.
 */

/** Settings the core honours, named as the kernel's net.ipv4.vs sysctls. */
export const SYSCTLS = [
  'conn_reuse_mode',
  'expire_nodest_conn',
  'expire_quiescent_template',
  'sloppy_tcp',
  'sloppy_sctp',
  'secure_tcp',
  'schedule_icmp',
  'nat_icmp_send',
  'cache_bypass',
  'lblc_expiration',
  'lblcr_expiration',
  'run_estimation',
  'pmtu_disc',
  // Connection synchronisation (net/netfilter/ipvs/ip_vs_sync.c). The kernel's sync_threshold
  // file holds two integers, "threshold period" (proc_do_sync_threshold); set-sysctl carries one
  // integer, so the second is named sync_period here, as ip_vs.h's sysctl_sync_period() names it.
  'sync_threshold',
  'sync_period',
  'sync_refresh_period',
  'sync_retries',
  'sync_persist_mode',
  'sync_version',
  'sync_ports',
  'sync_qlen_max',
  'sync_sock_size',
] as const;
/** A settable sysctl name. */
export type SysctlName = (typeof SYSCTLS)[number];
