/**
 * keepalived's one AH sequence counter per instance, shared by sending and receiving
 * (keepalived/vrrp/vrrp.c `ipsecah_counter`): each advert sent takes the next number, an accepted
 * advert moves the counter up to its number (anti-replay, RFC 2402 §3.4.3), a master hearing a
 * lower-priority advert jumps past it so its next adverts are accepted again, and a counter that
 * reached 0xFFFFFFFD is "cycled" and restarts at 0 when the instance becomes master.
 */
import { AH_SEQ_MAX } from './vrrp-ah.js';

/** The counter of one instance, with keepalived's per-instance IP ID beside it. */
export class AhSequence {
  /** Highest number sent or accepted; the first advert carries 1. */
  seq = 0;
  /** Set once `seq` passed {@link AH_SEQ_MAX} (vrrp_update_pkt()). */
  cycle = false;
  /** Last IP ID used: keepalived numbers its adverts from 1 and skips 0, which the kernel would fill. */
  ipId = 0;

  /** Numbers for the next advert (vrrp.c vrrp_update_pkt(): one per advert, however many peers). */
  nextSend(): { readonly seq: number; readonly id: number } {
    if (this.seq > AH_SEQ_MAX) this.cycle = true;
    else this.seq++;
    this.ipId = (this.ipId + 1) & 0xffff || 1;
    return { seq: this.seq, id: this.ipId };
  }

  /** An advert passed the AH checks with sequence number `seq` (vrrp_in_chk_ipsecah()). */
  accepted(seq: number): void {
    this.seq = seq;
  }

  /** As master, an advert of lower priority came with `seq`: "IPSEC-AH : Syncing seq_num" (vrrp_state_master_rx()). */
  syncPast(seq: number): void {
    this.seq = (seq + 1) >>> 0;
    this.cycle = false;
  }

  /** Becoming master resets a cycled counter (vrrp.c vrrp_state_goto_master()). */
  becomeMaster(): void {
    if (!this.cycle) return;
    this.cycle = false;
    this.seq = 0;
  }
}
