/**
 * The keepalived.conf of each director of the HA lab (no I/O): one `vrrp_instance VI_1` with the
 * same VRID on both sides, priorities 150 (director1, MASTER) and 100 (director2, BACKUP), VRRPv3
 * at advert_int 1, and the DR virtual_server of the lab's real servers. lvsd reads the whole file
 * (`lvsd --config`); keepalived runs with `--vrrp` only, since the lab's kernel has no IPVS: an
 * nftables stand-in forwards for it (ha-lab.ts), so its virtual_server block is never used.
 */
import { HA_MODE, labPlan } from './plan.js';

/** The two directors of the HA lab. */
export const HA_DIRECTORS = ['director1', 'director2'] as const;
/** One director of the HA lab. */
export type HaDirector = (typeof HA_DIRECTORS)[number];
/** The VRID both directors share. */
export const HA_VRID = 51;
/** VRRP priority of each director: director1 wins the election (RFC 5798 §6.4.1). */
export const HA_PRIORITY: Readonly<Record<HaDirector, number>> = { director1: 150, director2: 100 };
/** Advertisement interval of the instance, in seconds. */
export const HA_ADVERT_INT = 1;

/**
 * Master_Down_Interval of director2 in ms: 3 × Advertisement_Interval + Skew_Time, Skew_Time =
 * (256 − priority) / 256 × interval (RFC 5798 §6.1).
 */
export const HA_DOWN_MS =
  3 * HA_ADVERT_INT * 1000 + ((256 - HA_PRIORITY.director2) * HA_ADVERT_INT * 1000) / 256;

/** True for a director name of the HA lab. */
export function isHaDirector(s: string): s is HaDirector {
  return (HA_DIRECTORS as readonly string[]).includes(s);
}

/** keepalived.conf text of one director; `runs` names the program that reads it (for the comment). */
export function haKeepalivedConf(director: HaDirector, runs: 'lvsd' | 'keepalived'): string {
  const plan = labPlan(HA_MODE);
  const master = director === 'director1';
  const note =
    runs === 'lvsd'
      ? '# Read by lvsd --dataplane packet --config (VRRP and the DR service).'
      : '# Read by keepalived --vrrp (VRRP only: no IPVS in this kernel; nftables forwards DR for it).';
  const reals = plan.rips.map((r) => `  real_server ${r} ${plan.port} {\n  }\n`).join('');
  return `${note}
global_defs {
  router_id ${director}
}
vrrp_instance VI_1 {
  state ${master ? 'MASTER' : 'BACKUP'}
  interface eth0
  version 3
  virtual_router_id ${HA_VRID}
  priority ${HA_PRIORITY[director]}
  advert_int ${HA_ADVERT_INT}
  virtual_ipaddress {
    ${plan.vip}/32
  }
}
virtual_server ${plan.vip} ${plan.port} {
  lvs_sched rr
  lvs_method DR
  protocol TCP
${reals}}
`;
}
