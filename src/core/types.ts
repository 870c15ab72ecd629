/**
 * Constants and plain configuration shapes of the IPVS model. Values match the
 * kernel's uapi include/uapi/linux/ip_vs.h so saved rules and sync messages line up.
 */
import type { Af } from './addr.js';

/** L4 protocols a service can carry, by IP protocol number. */
export const PROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;
/** An IP protocol number of a service. */
export type Protocol = (typeof PROTO)[keyof typeof PROTO];

/** Service flags (IP_VS_SVC_F_*). */
export const SVC_F = {
  PERSISTENT: 0x0001,
  HASHED: 0x0002,
  ONEPACKET: 0x0004,
  SCHED1: 0x0008,
  SCHED2: 0x0010,
  SCHED3: 0x0020,
} as const;
/** sh and mh reuse the scheduler-private flags (ip_vs_sh.c, ip_vs_mh.c). */
export const SCHED_F = {
  SH_FALLBACK: SVC_F.SCHED1,
  SH_PORT: SVC_F.SCHED2,
  MH_FALLBACK: SVC_F.SCHED1,
  MH_PORT: SVC_F.SCHED2,
} as const;

/** Destination flags (IP_VS_DEST_F_*). */
export const DEST_F = { AVAILABLE: 0x1, OVERLOAD: 0x2 } as const;

/** Forwarding methods (IP_VS_CONN_F_FWD_MASK values), plus FULLNAT as our extension. */
export const FWD = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4, FULLNAT: 5 } as const;
/** A forwarding method value. */
export type FwdMethod = (typeof FWD)[keyof typeof FWD];

/** Tunnel encapsulations for `--tun-type`. */
export const TUN_TYPE = { IPIP: 0, GUE: 1, GRE: 2 } as const;
/** Tunnel checksum flags for `--tun-nocsum/--tun-csum/--tun-remcsum`. */
export const TUN_F = { NOCSUM: 0, CSUM: 1, REMCSUM: 2 } as const;

/** Default persistence timeout: IPVS_SVC_PERSISTENT_TIMEOUT = 6*60 in ipvsadm.c (the man page's 300 is stale). */
export const DEFAULT_PERSIST_TIMEOUT = 360;
/** Default scheduler of ipvsadm. */
export const DEFAULT_SCHEDULER = 'wlc';

/** Identity of a virtual service: an address/port triple or a firewall mark (struct ip_vs_service). */
export type ServiceKey =
  | {
      readonly kind: 'addr';
      readonly af: Af;
      readonly protocol: Protocol;
      readonly addr: string;
      readonly port: number;
    }
  | { readonly kind: 'fwmark'; readonly af: Af; readonly fwmark: number };

/** Settable fields of a virtual service (what `-A`/`-E` carry). */
export interface ServiceConfig {
  /** Scheduler name, e.g. `wlc`, or `none`. */
  readonly scheduler: string;
  /** SVC_F bits the user sets: PERSISTENT, ONEPACKET, SCHED1..3. */
  readonly flags: number;
  /** Persistence timeout in seconds (meaningful with PERSISTENT). */
  readonly timeout: number;
  /** IPv4: netmask as a dotted quad; IPv6: prefix length as a decimal string. */
  readonly netmask: string;
  /** Persistence engine name (`sip`), or empty. */
  readonly pe: string;
  /** mh table size (a prime from the kernel list), our extension; 0 means the default 4093. */
  readonly mhTableSize?: number;
}

/** Identity of a destination inside a service. */
export interface DestKey {
  readonly addr: string;
  readonly port: number;
}

/** Settable fields of a destination (what `-a`/`-e` carry). */
export interface DestConfig extends DestKey {
  /** Address family of the destination; differs from the service's only for tunnels. */
  readonly af: Af;
  readonly fwd: FwdMethod;
  readonly weight: number;
  /** Upper connection threshold (`-x`); 0 = none. */
  readonly uThreshold: number;
  /** Lower connection threshold (`-y`); 0 = none. */
  readonly lThreshold: number;
  readonly tunType: number;
  readonly tunPort: number;
  readonly tunFlags: number;
  /** PROXY protocol version toward the real server (0 = off), our extension for the proxy plane. */
  readonly proxyProtocol?: 0 | 1 | 2;
}

/** Formats a service key as the `-t/-u/--sctp-service/-f` argument text, for logs and errors. */
export function serviceKeyText(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}${k.af === 6 ? ' IPv6' : ''}`;
  const proto = k.protocol === PROTO.TCP ? 'TCP' : k.protocol === PROTO.UDP ? 'UDP' : 'SCTP';
  const a = k.af === 6 ? `[${k.addr}]` : k.addr;
  return `${proto} ${a}:${k.port}`;
}
