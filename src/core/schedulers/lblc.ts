/**
 * The `lblc` scheduler (ip_vs_lblc.c, locality-based least connection), for transparent cache
 * clusters: an entry per packet destination address remembers its dest. On a hit (lastuse
 * refreshed) the dest is used if AVAILABLE, weight > 0 and not is_overloaded; otherwise the wlc
 * fallback picks and the entry is replaced. Entries hold a reference on their dest, so a deleted
 * dest waits in the trash while an entry points at it (ip_vs_dest_hold), and a re-added one is
 * the same dest again.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { DEST_F } from '../types.js';
import { LocalityScheduler } from './locality-base.js';
import { DEFAULT_EXPIRATION_MS, type LocEntry } from './locality-table.js';
import type { SchedPacket, Scheduler, SchedulerOptions } from './scheduler.js';

/** An lblc entry: destination address -> dest. */
export interface LblcEntry extends LocEntry {
  dest: Dest;
}

/** Locality-based least connection. */
export class LblcScheduler extends LocalityScheduler<LblcEntry> {
  readonly name = 'lblc';

  constructor(expirationMs: number) {
    super(expirationMs, (e) => {
      e.dest.refs--;
    });
  }

  schedule(_svc: Service, pkt: SchedPacket, now: number): Dest | null {
    const t = this.table;
    t.arm(now);
    const en = t.get(pkt.dstAddr);
    if (en) {
      en.lastuse = now;
      const d = en.dest;
      if ((d.flags & DEST_F.AVAILABLE) !== 0 && d.weight > 0 && !this.base.isOverloaded(d)) return d;
    }
    const d = this.base.wlc.schedule();
    if (!d) return null;
    // ip_vs_lblc_new: keep an entry that already names this dest, else replace it.
    if (en) {
      if (en.dest === d) return d;
      t.remove(en);
    }
    const k = t.key(pkt.dstAddr);
    d.refs++;
    t.add({ fold: k.fold, addr: k.addr, lastuse: now, dest: d });
    return d;
  }
}

/** Creates an `lblc` scheduler; `opts.lblcExpirationMs` is the lblc_expiration sysctl. */
export function createLblc(opts: SchedulerOptions = {}): Scheduler {
  return new LblcScheduler(opts.lblcExpirationMs ?? DEFAULT_EXPIRATION_MS);
}
