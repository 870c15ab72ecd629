/**
 * The `sh` scheduler (ip_vs_sh.c, source hashing). A 256-bucket table is rebuilt on every dest
 * add/delete/update by walking the dest list round and round, giving each dest max(weight, 1)
 * consecutive buckets per visit. The key is the client address (IPv6 folded), plus the source
 * port with `sh-port` for TCP/UDP/SCTP; bucket = hash_32(port + addr, 8). Weight 0 or OVERLOAD
 * means no dest, unless `sh-fallback` probes on: roffset = (offset + ihash) & 255, bucket =
 * (roffset + hash) & 255, stopping at an empty bucket. Load is ignored.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { SCHED_F } from '../types.js';
import { hasPorts, usable } from './common.js';
import { foldBytes, hash32 } from './hash.js';
import type { SchedPacket, Scheduler, SchedulerOptions } from './scheduler.js';

/** IP_VS_SH_TAB_BITS (CONFIG_IP_VS_SH_TAB_BITS default 8). */
export const SH_TAB_BITS = 8;
const SIZE = 1 << SH_TAB_BITS;
const MASK = SIZE - 1;

/** Source hashing. */
export class ShScheduler implements Scheduler {
  readonly name = 'sh';
  /** Bucket -> dest (null only when the service has no dests). */
  readonly buckets: (Dest | null)[] = new Array<Dest | null>(SIZE).fill(null);

  init(svc: Service): void {
    this.reassign(svc);
  }

  destChanged(svc: Service): void {
    this.reassign(svc);
  }

  schedule(svc: Service, pkt: SchedPacket): Dest | null {
    const flags = svc.config.flags;
    const port = (flags & SCHED_F.SH_PORT) !== 0 && hasPorts(pkt.protocol) ? pkt.srcPort : 0;
    const h = hash32((port + foldBytes(pkt.srcAddr)) >>> 0, SH_TAB_BITS);
    const d = this.buckets[h] ?? null;
    if ((flags & SCHED_F.SH_FALLBACK) === 0) return d && usable(d) ? d : null;
    if (!d) return null;
    if (usable(d)) return d;
    // ip_vs_sh_get_fallback: ihash is itself a bucket, and each probe adds it again.
    for (let offset = 0; offset < SIZE; offset++) {
      const roffset = (offset + h) & MASK;
      const c = this.buckets[(roffset + h) & MASK] ?? null;
      if (!c) break;
      if (usable(c)) return c;
    }
    return null;
  }

  /** ip_vs_sh_reassign. */
  private reassign(svc: Service): void {
    const ds = svc.dests;
    let p = 0;
    let count = 0;
    for (let i = 0; i < SIZE; i++) {
      if (ds.length === 0) {
        this.buckets[i] = null;
        continue;
      }
      if (p >= ds.length) p = 0;
      const d = ds[p] as Dest;
      this.buckets[i] = d;
      if (++count >= d.weight) {
        p++;
        count = 0;
      }
    }
  }
}

/** Creates an `sh` scheduler for one service. */
export function createSh(_opts: SchedulerOptions = {}): Scheduler {
  return new ShScheduler();
}
