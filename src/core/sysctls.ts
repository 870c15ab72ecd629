/**
 * The net.ipv4.vs sysctls the core honours (core/settings.ts keeps their values) and the values
 * each accepts; control's `set-sysctl` command names them. No imports, so lvsadm's bundle can
 * check a value without the core's state tables.
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
  // The connection-table defenses (ip_vs_ctl.c update_defense_level(), ip_vs_conn.c
  // ip_vs_random_dropentry(), ip_vs.h ip_vs_todrop()); core/defense.ts runs them.
  'amemthresh',
  'am_droprate',
  'drop_entry',
  'drop_packet',
  // LVS.ts's own: a hard bound on the connection table (0 = none). The kernel has no such
  // sysctl; its table is bounded by memory alone.
  'conn_max',
] as const;
/** A settable sysctl name. */
export type SysctlName = (typeof SYSCTLS)[number];

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
  // proc_do_sync_threshold: both non-negative; the pair rule is checked in Settings.set.
  sync_threshold: [0, 0x7fffffff],
  sync_period: [0, 0x7fffffff],
  // proc_dointvec_jiffies: seconds that fit an int of jiffies.
  sync_refresh_period: [0, 2147483],
  // proc_dointvec_minmax 0..3.
  sync_retries: [0, 3],
  sync_persist_mode: [0, 1],
  // sync_version: proc_dointvec_minmax 0..1 (proc_do_sync_mode on older kernels).
  sync_version: [0, 1],
  // proc_do_sync_ports: a power of two ≥ 1 (checked below); start_sync_thread uses at
  // most IPVS_SYNC_PORTS_MAX (64) of them.
  sync_ports: [1, 0x40000000],
  sync_qlen_max: [0, 0x7fffffff],
  sync_sock_size: [0, 0x7fffffff],
  // amemthresh and am_droprate are proc_dointvec (any int); update_defense_level() reads a
  // negative amemthresh as 0 and a negative am_droprate would drop every new conn: refused here.
  amemthresh: [0, 0x7fffffff],
  am_droprate: [0, 0x7fffffff],
  // proc_do_defense_mode(): 0..3.
  drop_entry: [0, 3],
  drop_packet: [0, 3],
  conn_max: [0, 0x7fffffff],
};

/**
 * Why the kernel would refuse `value` for `name` on its own (the range its proc handler enforces,
 * sync_ports a power of two as proc_do_sync_ports() wants), or undefined when it is acceptable.
 * The sync_threshold/sync_period pair rule depends on the other value: Settings.set checks it.
 */
export function sysctlValueError(name: SysctlName, value: number): string | undefined {
  const r = Object.hasOwn(RANGES, name) ? RANGES[name] : undefined;
  if (!r) return `unknown sysctl: ${name}`;
  if (!Number.isInteger(value) || value < r[0] || value > r[1]) {
    return `${name}: value out of range ${r[0]}..${r[1]}: ${value}`;
  }
  if (name === 'sync_ports' && (value & (value - 1)) !== 0) return `sync_ports: not a power of two: ${value}`;
  return undefined;
}
