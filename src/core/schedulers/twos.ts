/**
 * The `twos` scheduler (ip_vs_twos.c, power of two choices). total = sum of eligible weights;
 * two draws r = get_random_u32_below(total + 1); walking eligible dests in list order and
 * subtracting each weight, the first dest where r <= 0 is a choice (r = 0 picks the first
 * eligible dest). choice2 wins when weight2 * overhead1 > weight1 * overhead2. The walks are
 * prefix searches in a SumTree of eligible weights, O(log n).
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { assignSlots, mulGreater, overhead, slotOf, usable } from './common.js';
import type { DestChange, Scheduler, SchedulerOptions } from './scheduler.js';
import { SumTree } from './seg-trees.js';

/** Math.random as a u32 source, for when no random source is injected. */
function mathRandomU32(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/**
 * get_random_u32_below(ceil) of drivers/char/random.c: the high half of ceil * rand, rejecting
 * draws whose low half falls below 2^32 mod ceil (Lemire's method). The 64-bit product is split in
 * 16-bit pieces so doubles stay exact.
 */
export function randomBelow(ceil: number, random: () => number): number {
  let r = random() >>> 0;
  if (ceil === 0) return r;
  if (ceil < 0x200000) {
    // ceil * r < 2^53: the double product is exact, so take both halves from it directly.
    let m = ceil * r;
    let low = m % 0x100000000;
    if (low < ceil) {
      const bound = (0x100000000 - ceil) % ceil;
      // Bounded retries: a real u32 source is rejected with probability < ceil / 2^32, but an
      // injected constant source must not hang the scheduler.
      for (let tries = 0; low < bound && tries < 64; tries++) {
        m = ceil * (random() >>> 0);
        low = m % 0x100000000;
      }
    }
    return Math.floor(m / 0x100000000);
  }
  let lo = Math.imul(ceil, r) >>> 0;
  if (lo < ceil) {
    const bound = (0x100000000 - ceil) % ceil;
    for (let tries = 0; lo < bound && tries < 64; tries++) {
      r = random() >>> 0;
      lo = Math.imul(ceil, r) >>> 0;
    }
  }
  const rh = r >>> 16;
  const rl = r & 0xffff;
  return Math.floor((ceil * rh + Math.floor((ceil * rl) / 0x10000)) / 0x10000);
}

/** Power of two choices. */
export class TwosScheduler implements Scheduler {
  readonly name = 'twos';
  private readonly tree = new SumTree();
  private dests: readonly Dest[] = [];
  private readonly random: () => number;

  constructor(random: () => number) {
    this.random = random;
  }

  init(svc: Service): void {
    this.dests = svc.dests;
    this.rebuild();
  }

  destChanged(svc: Service, change: DestChange, dest: Dest): void {
    this.dests = svc.dests;
    if (change === 'upd') this.loadChanged(dest);
    else {
      if (change === 'del') dest.schedSlot = -1;
      this.rebuild();
    }
  }

  loadChanged(dest: Dest): void {
    const i = slotOf(this.dests, dest);
    if (i >= 0) this.tree.update(i, usable(dest) ? dest.weight : 0);
  }

  schedule(): Dest | null {
    const t = this.tree;
    const total = t.total();
    if (total <= 0) return null;
    // The kernel's int total cannot exceed 2^31; beyond 2^32 - 1 we clamp rather than wrap.
    const ceil = Math.min(total + 1, 0xffffffff);
    const r1 = Math.min(randomBelow(ceil, this.random), total);
    const r2 = Math.min(randomBelow(ceil, this.random), total);
    const c1 = this.dests[t.findPrefix(r1 > 0 ? r1 : 1)] as Dest;
    const c2 = this.dests[t.findPrefix(r2 > 0 ? r2 : 1)] as Dest;
    return mulGreater(c2.weight, overhead(c1), c1.weight, overhead(c2)) ? c2 : c1;
  }

  private rebuild(): void {
    const ds = this.dests;
    assignSlots(ds);
    this.tree.reset(ds.length);
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i] as Dest;
      this.tree.setLeaf(i, usable(d) ? d.weight : 0);
    }
    this.tree.build();
  }
}

/** Creates a `twos` scheduler; `opts.random` (a u32 source) makes its draws deterministic. */
export function createTwos(opts: SchedulerOptions = {}): Scheduler {
  return new TwosScheduler(opts.random ?? mathRandomU32);
}
