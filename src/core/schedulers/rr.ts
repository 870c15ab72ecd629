/**
 * The `rr` scheduler (ip_vs_rr.c): a pointer to the last picked dest (initially the list head);
 * each pick walks forward from the dest after it, wrapping once and ending at the pointer itself,
 * and returns the first dest with weight > 0 and no OVERLOAD. When the pointed dest is deleted
 * the pointer moves to its predecessor. The walk is a MaxTree search, O(log n) even when most
 * dests are quiesced or overloaded.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { assignSlots, slotOf, usable } from './common.js';
import type { DestChange, Scheduler, SchedulerOptions } from './scheduler.js';
import { MaxTree } from './seg-trees.js';

/** Round robin over the dest list. */
export class RrScheduler implements Scheduler {
  readonly name = 'rr';
  private readonly tree = new MaxTree();
  private dests: readonly Dest[] = [];
  /** List position of the last pick; -1 is the list head (the kernel's &svc->destinations). */
  private pos = -1;

  init(svc: Service): void {
    this.dests = svc.dests;
    this.pos = -1;
    this.rebuild();
  }

  destChanged(svc: Service, change: DestChange, dest: Dest, index: number): void {
    this.dests = svc.dests;
    if (change === 'upd') {
      this.loadChanged(dest);
      return;
    }
    if (change === 'add') {
      // add_dest is NULL in ip_vs_rr.c: the pointer keeps its node, which moved one place down.
      if (this.pos >= 0) this.pos++;
    } else {
      dest.schedSlot = -1;
      // ip_vs_rr_del_dest: a pointer at the deleted node goes to its predecessor (or the head).
      if (this.pos === index) this.pos = index - 1;
      else if (this.pos > index) this.pos--;
    }
    this.rebuild();
  }

  loadChanged(dest: Dest): void {
    const i = slotOf(this.dests, dest);
    if (i >= 0) this.tree.update(i, usable(dest) ? 1 : 0);
  }

  schedule(): Dest | null {
    const p = this.pos;
    let j = this.tree.firstAtLeast(p + 1, 1);
    // Second pass from the list start up to and including the pointed dest itself.
    if (j < 0 && p >= 0) {
      j = this.tree.firstAtLeast(0, 1);
      if (j > p) j = -1;
    }
    if (j < 0) return null;
    this.pos = j;
    return this.dests[j] ?? null;
  }

  private rebuild(): void {
    const ds = this.dests;
    assignSlots(ds);
    this.tree.reset(ds.length);
    for (let i = 0; i < ds.length; i++) this.tree.setLeaf(i, usable(ds[i] as Dest) ? 1 : 0);
    this.tree.build();
  }
}

/** Creates an `rr` scheduler for one service. */
export function createRr(_opts: SchedulerOptions = {}): Scheduler {
  return new RrScheduler();
}
