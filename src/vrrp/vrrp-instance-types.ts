/**
 * The vocabulary of the VRRP state machine (vrrp-instance.ts): its configuration, the events it
 * consumes and the actions it returns.
 */
import type { Af } from '../core/addr.js';
import type { VrrpAdvert } from './vrrp-packet.js';

/** The four states (RFC 5798 §6.4 Initialize/Backup/Master, keepalived's FAULT). */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** Gratuitous ARP / unsolicited NA schedule (keepalived garp_* keywords), times in ms. */
export interface VrrpGarpConfig {
  readonly masterRepeat: number;
  /** Second burst after becoming master; 0 = none. */
  readonly masterDelayMs: number;
  /** Periodic refresh while master; 0 = off. */
  readonly masterRefreshMs: number;
  readonly masterRefreshRepeat: number;
  /** Burst sent when a lower-priority advert shows another router thinks it is master. */
  readonly lowerPrioRepeat: number;
  readonly lowerPrioDelayMs: number;
  /** Global `vrrp_garp_interval`: the gap before a burst's queued GARP; 0 or absent = back to back. */
  readonly intervalMs?: number;
}

/** What the state machine needs from the configuration (see vrrp-config.ts). */
export interface VrrpInstanceConfig {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly af: Af;
  /** Base priority 1..255; 255 = address owner. */
  readonly priority: number;
  /** Our Advertisement_Interval in centiseconds (v2: a multiple of 100). */
  readonly advertIntCs: number;
  readonly initialState: 'MASTER' | 'BACKUP';
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  /** Our primary address (the advert source), compared on equal priority (RFC 5798 §6.4.3). */
  readonly primaryAddr: string;
  readonly vips: readonly string[];
  /** v2 auth type and 8 data bytes carried in our adverts. */
  readonly authType: number;
  readonly authData: Uint8Array;
  readonly garp: VrrpGarpConfig;
  /** keepalived `lower_prio_no_advert`: as master, only discard lower-priority adverts (RFC 5798). */
  readonly lowerPrioNoAdvert: boolean;
  /** keepalived `higher_prio_send_advert`: send one advert before yielding to a higher priority. */
  readonly higherPrioSendAdvert: boolean;
  /** keepalived `down_timer_adverts` (RFC: 3). */
  readonly downTimerAdverts: number;
  /** Member of a vrrp_sync_group: going MASTER waits for the group (see vrrp-sync-group.ts). */
  readonly inSyncGroup: boolean;
}

/** Inputs of {@link VrrpInstance.step}. */
export type VrrpEvent =
  | { readonly type: 'start' }
  /** An advert that passed checkAdvert(), from `src` (canonical text). */
  | { readonly type: 'advert'; readonly advert: VrrpAdvert; readonly src: string }
  | { readonly type: 'timer' }
  | { readonly type: 'fault'; readonly on: boolean }
  /** New total priority from the trackers (vrrp-track.ts); ignored for an address owner. */
  | { readonly type: 'priority'; readonly priority: number }
  | { readonly type: 'shutdown' }
  /** The sync group's decision for this member (vrrp-sync-group.ts). */
  | { readonly type: 'group'; readonly state: 'MASTER' | 'BACKUP' | 'FAULT' };

/** Outputs of {@link VrrpInstance.step}, in the order to perform them. */
export type VrrpAction =
  | { readonly type: 'send'; readonly advert: Omit<VrrpAdvert, 'checksum'> }
  | { readonly type: 'state'; readonly from: VrrpState; readonly to: VrrpState; readonly priority: number }
  | { readonly type: 'garp'; readonly vips: readonly string[]; readonly repeat: number }
  /** A sync-group member whose master-down timer fired asks its group to go MASTER. */
  | { readonly type: 'want-master' }
  | { readonly type: 'arm'; readonly at: number };
