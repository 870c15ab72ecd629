/**
 * The `wrr` scheduler (ip_vs_wrr.c). State {cl, cw, mw, di}: di = gcd of the positive weights
 * (1 if none), mw = max weight - (di - 1), cw the current weight level, cl the last pick (or the
 * list head). A pick scans forward from cl for a dest with no OVERLOAD and weight >= cw; at the
 * list end cw drops by di and, at <= 0, restarts at mw. The scan gives up ("all destinations are
 * overloaded") once every dest was checked at the last level. Each forward scan is a MaxTree
 * search, and runs of passes that cannot match are skipped arithmetically, so a pick is
 * O(log n) however skewed the weights.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { DEST_F } from '../types.js';
import { assignSlots, gcd, slotOf } from './common.js';
import type { DestChange, Scheduler, SchedulerOptions } from './scheduler.js';
import { MaxTree } from './seg-trees.js';

/** The weight the scan compares with cw: -1 while OVERLOAD is set, so it never matches. */
function level(d: Dest): number {
  return (d.flags & DEST_F.OVERLOAD) !== 0 ? -1 : d.weight;
}

/** Weighted round robin. */
export class WrrScheduler implements Scheduler {
  readonly name = 'wrr';
  private readonly tree = new MaxTree();
  private dests: readonly Dest[] = [];
  /** Last picked position, -1 = list head. */
  cl = -1;
  /** Current weight level. */
  cw = 0;
  /** Max weight - (di - 1). */
  mw = 0;
  /** gcd of positive weights. */
  di = 1;

  init(svc: Service): void {
    this.dests = svc.dests;
    this.rebuild();
    this.cl = -1;
    this.recompute();
    this.cw = this.mw;
  }

  destChanged(svc: Service, change: DestChange, dest: Dest): void {
    this.dests = svc.dests;
    if (change === 'del') dest.schedSlot = -1;
    if (change === 'upd') this.loadChanged(dest);
    else this.rebuild();
    // ip_vs_wrr_dest_changed: back to the head, new di/mw, cw clamped or realigned to di.
    this.cl = -1;
    this.recompute();
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  loadChanged(dest: Dest): void {
    const i = slotOf(this.dests, dest);
    if (i >= 0) this.tree.update(i, level(dest));
  }

  schedule(): Dest | null {
    if (this.mw === 0) return null;
    const n = this.dests.length;
    const t = this.tree;
    const last = this.cl;
    const di = this.di;
    let pos = last;
    let stop = -2;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      const from = pos + 1;
      const j = from < n && t.get(from) >= this.cw ? from : t.firstAtLeast(from + 1, this.cw);
      if (stop >= from && (j < 0 || j > stop)) {
        this.cl = stop;
        return null;
      }
      if (j >= 0) {
        this.cl = j;
        return this.dests[j] ?? null;
      }
      // The scan ran off the list end.
      this.cw -= di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === -1) {
          this.cl = -1;
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= di;
      if (lastPass && restarted && last !== -1) stop = last;
      pos = -1;
      if (stop < 0 && !lastPass) this.skipEmptyPasses();
    }
  }

  /**
   * Applies at once the passes that would find nothing (cw above every dest's level) and leave
   * the loop state untouched apart from cw (cw stays above di, so no last pass and no restart).
   */
  private skipEmptyPasses(): void {
    const di = this.di;
    const top = this.tree.max();
    const cw = this.cw;
    if (top >= cw) return;
    const byLevel = top < 0 ? Number.POSITIVE_INFINITY : Math.floor((cw - top - 1) / di);
    const byFloor = Math.floor((cw - 2 * di - 1) / di);
    const k = Math.min(byLevel, byFloor) + 1;
    if (k > 0) this.cw = cw - k * di;
  }

  private recompute(): void {
    let g = 0;
    let max = 0;
    for (const d of this.dests) {
      const w = d.weight;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    this.di = g > 0 ? g : 1;
    this.mw = max - (this.di - 1);
  }

  private rebuild(): void {
    const ds = this.dests;
    assignSlots(ds);
    this.tree.reset(ds.length);
    for (let i = 0; i < ds.length; i++) this.tree.setLeaf(i, level(ds[i] as Dest));
    this.tree.build();
  }
}

/** Creates a `wrr` scheduler for one service. */
export function createWrr(_opts: SchedulerOptions = {}): Scheduler {
  return new WrrScheduler();
}
