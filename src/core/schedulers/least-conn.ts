/**
 * The kernel's "scan the list for the least loaded eligible dest" schedulers (lc, wlc, sed, nq,
 * fo, ovf) as one indexed implementation: each dest is a leaf of a RatioTree whose key is the
 * fraction the kernel compares by cross-multiplication, so the root is the dest the kernel's
 * linear scan would return (first in list order among equals), at O(1) per pick and O(log n)
 * per load change instead of O(n) per pick.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { DEST_F } from '../types.js';
import { assignSlots, overhead, slotOf } from './common.js';
import { RatioTree } from './ratio-tree.js';
import type { DestChange, Scheduler } from './scheduler.js';

/** Which kernel rule a LeastConnScheduler follows. */
export const LEAST = { LC: 0, WLC: 1, SED: 2, NQ: 3, FO: 4, OVF: 5 } as const;
/** One of {@link LEAST}. */
export type LeastKind = (typeof LEAST)[keyof typeof LEAST];

/** An lc-family scheduler keyed by `kind`; the per-kind rule lives in `leaf`. */
export class LeastConnScheduler implements Scheduler {
  readonly name: string;
  private readonly kind: LeastKind;
  private readonly tree = new RatioTree();
  private dests: readonly Dest[] = [];

  constructor(name: string, kind: LeastKind) {
    this.name = name;
    this.kind = kind;
  }

  init(svc: Service): void {
    this.dests = svc.dests;
    this.rebuild();
  }

  destChanged(svc: Service, change: DestChange, dest: Dest): void {
    this.dests = svc.dests;
    if (change === 'upd') {
      this.loadChanged(dest);
      return;
    }
    if (change === 'del') dest.schedSlot = -1;
    this.rebuild();
  }

  loadChanged(dest: Dest): void {
    const pos = slotOf(this.dests, dest);
    if (pos >= 0) this.setLeaf(pos, dest, true);
  }

  schedule(): Dest | null {
    const w = this.tree.winner();
    return w < 0 ? null : (this.dests[w] ?? null);
  }

  private rebuild(): void {
    const ds = this.dests;
    assignSlots(ds);
    this.tree.reset(ds.length);
    for (let i = 0; i < ds.length; i++) this.setLeaf(i, ds[i] as Dest, false);
    this.tree.build();
  }

  /**
   * The leaf key per kernel file. Eligibility is always weight > 0 and no OVERLOAD (ovf adds
   * activeconns <= weight); the ratio num/den is minimised:
   * lc: overhead/1; wlc: overhead/weight; sed: (active+1)/weight; nq: 0 when idle (the first idle
   * dest wins outright) else (active+1)/weight; fo and ovf: 1/weight (highest weight wins).
   */
  private setLeaf(pos: number, d: Dest, propagate: boolean): void {
    const w = d.weight;
    let ok = w > 0 && (d.flags & DEST_F.OVERLOAD) === 0;
    let num: number;
    let den = w;
    switch (this.kind) {
      case LEAST.LC:
        num = overhead(d);
        den = 1;
        break;
      case LEAST.WLC:
        num = overhead(d);
        break;
      case LEAST.SED:
        num = d.activeConns + 1;
        break;
      case LEAST.NQ:
        num = d.activeConns === 0 ? 0 : d.activeConns + 1;
        break;
      case LEAST.FO:
        num = 1;
        break;
      default:
        ok = ok && d.activeConns <= w;
        num = 1;
    }
    if (propagate) this.tree.update(pos, ok, num, den);
    else this.tree.setLeaf(pos, ok, num, den);
  }
}
