/**
 * The `dh` scheduler (ip_vs_dh.c, destination hashing): 256 buckets filled round-robin with one
 * bucket per dest (weights do not shape the table; it is rebuilt on add and delete only, as the
 * kernel has no upd_dest hook). Key: the packet's destination address, bucket = hash_32(addr, 8).
 * The dest must be AVAILABLE, weight > 0 and not OVERLOAD, else no dest. Load is ignored.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { DEST_F } from '../types.js';
import { usable } from './common.js';
import { foldBytes, hash32 } from './hash.js';
import type { DestChange, SchedPacket, Scheduler, SchedulerOptions } from './scheduler.js';

/** IP_VS_DH_TAB_BITS (CONFIG_IP_VS_DH_TAB_BITS default 8). */
export const DH_TAB_BITS = 8;
const SIZE = 1 << DH_TAB_BITS;

/** Destination hashing. */
export class DhScheduler implements Scheduler {
  readonly name = 'dh';
  /** Bucket -> dest (null only when the service has no dests). */
  readonly buckets: (Dest | null)[] = new Array<Dest | null>(SIZE).fill(null);

  init(svc: Service): void {
    this.reassign(svc);
  }

  destChanged(svc: Service, change: DestChange): void {
    if (change !== 'upd') this.reassign(svc);
  }

  schedule(_svc: Service, pkt: SchedPacket): Dest | null {
    const d = this.buckets[hash32(foldBytes(pkt.dstAddr), DH_TAB_BITS)] ?? null;
    return d && (d.flags & DEST_F.AVAILABLE) !== 0 && usable(d) ? d : null;
  }

  /** ip_vs_dh_reassign. */
  private reassign(svc: Service): void {
    const ds = svc.dests;
    for (let i = 0; i < SIZE; i++) this.buckets[i] = ds.length === 0 ? null : (ds[i % ds.length] as Dest);
  }
}

/** Creates a `dh` scheduler for one service. */
export function createDh(_opts: SchedulerOptions = {}): Scheduler {
  return new DhScheduler();
}
