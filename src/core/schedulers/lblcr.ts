/**
 * The `lblcr` scheduler (ip_vs_lblcr.c, locality-based least connection with replication): an
 * entry per packet destination address holds a SET of dests (newest first) and its lastmod. On a
 * hit: the weighted least-connection member (AVAILABLE, weight > 0, no OVERLOAD) is chosen; if the
 * set has more than one member and was not modified for lblcr_expiration, its weighted
 * most-loaded member (weight > 0) is removed; the chosen member is used unless missing or
 * is_overloaded, in which case the wlc fallback picks and joins the set. On a miss the fallback
 * picks and a one-member entry is created. Members hold a reference on their dest.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { DEST_F } from '../types.js';
import { mulGreater, overhead } from './common.js';
import { LocalityScheduler } from './locality-base.js';
import { DEFAULT_EXPIRATION_MS, type LocEntry } from './locality-table.js';
import type { SchedPacket, Scheduler, SchedulerOptions } from './scheduler.js';

/** An lblcr entry: destination address -> dest set. */
export interface LblcrEntry extends LocEntry {
  /** Members, most recently inserted first (list_add_rcu). */
  set: Dest[];
  lastmod: number;
}

/** ip_vs_dest_set_min: weighted least-connection member, first wins ties. */
export function setMin(set: readonly Dest[]): Dest | null {
  let least: Dest | null = null;
  for (const d of set) {
    if ((d.flags & DEST_F.OVERLOAD) !== 0) continue;
    const avail = (d.flags & DEST_F.AVAILABLE) !== 0;
    if (!least) {
      if (d.weight > 0 && avail) least = d;
      continue;
    }
    if (avail && mulGreater(overhead(least), d.weight, overhead(d), least.weight)) least = d;
  }
  return least;
}

/** ip_vs_dest_set_max: weighted most-loaded member with weight > 0 (OVERLOAD and trash included). */
export function setMax(set: readonly Dest[]): Dest | null {
  let most: Dest | null = null;
  for (const d of set) {
    if (!most) {
      if (d.weight > 0) most = d;
      continue;
    }
    if (d.weight > 0 && mulGreater(overhead(d), most.weight, overhead(most), d.weight)) most = d;
  }
  return most;
}

/** Locality-based least connection with replication. */
export class LblcrScheduler extends LocalityScheduler<LblcrEntry> {
  readonly name = 'lblcr';

  constructor(expirationMs: number) {
    super(expirationMs, (e) => {
      for (const d of e.set) d.refs--;
      e.set.length = 0;
    });
  }

  schedule(_svc: Service, pkt: SchedPacket, now: number): Dest | null {
    const t = this.table;
    t.arm(now);
    const en = t.get(pkt.dstAddr);
    if (en) {
      en.lastuse = now;
      let d = setMin(en.set);
      if (en.set.length > 1 && now > en.lastmod + this.expirationMs) {
        const m = setMax(en.set);
        if (m) {
          en.set.splice(en.set.indexOf(m), 1);
          m.refs--;
          en.lastmod = now;
        }
      }
      if (d && !this.base.isOverloaded(d)) return d;
      d = this.base.wlc.schedule();
      if (!d) return null;
      // ip_vs_dest_set_insert with check: members are unique; a new one goes first.
      if (!en.set.includes(d)) {
        en.set.unshift(d);
        d.refs++;
        en.lastmod = now;
      }
      return d;
    }
    const d = this.base.wlc.schedule();
    if (!d) return null;
    const k = t.key(pkt.dstAddr);
    d.refs++;
    t.add({ fold: k.fold, addr: k.addr, lastuse: now, set: [d], lastmod: now });
    return d;
  }
}

/** Creates an `lblcr` scheduler; `opts.lblcExpirationMs` stands for lblcr_expiration too. */
export function createLblcr(opts: SchedulerOptions = {}): Scheduler {
  return new LblcrScheduler(opts.lblcExpirationMs ?? DEFAULT_EXPIRATION_MS);
}
