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
] as const;
/** A settable sysctl name. */
export type SysctlName = (typeof SYSCTLS)[number];
