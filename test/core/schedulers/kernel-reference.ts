/**
 * Straight linear-scan references of the kernel schedulers (net/netfilter/ipvs/ip_vs_*.c), written
 * as plainly as the C so the indexed implementations can be checked against them.
 */
import type { Dest } from '../../../src/core/dest.js';
import { randomBelow } from '../../../src/core/schedulers/twos.js';
import { DEST_F } from '../../../src/core/types.js';

const ovl = (d: Dest) => (d.flags & DEST_F.OVERLOAD) !== 0;
const oh = (d: Dest) => BigInt(d.activeConns) * 256n + BigInt(d.inactConns);
const big = (n: number) => BigInt(n);

/** ip_vs_lc_schedule. */
export function refLc(list: readonly Dest[]): Dest | null {
  let least: Dest | null = null;
  let loh = 0n;
  for (const d of list) {
    if (ovl(d) || d.weight === 0) continue;
    const doh = oh(d);
    if (!least || doh < loh) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

function twoStage(list: readonly Dest[], cost: (d: Dest) => bigint): Dest | null {
  let i = 0;
  let least: Dest | null = null;
  for (; i < list.length; i++) {
    const d = list[i] as Dest;
    if (!ovl(d) && d.weight > 0) {
      least = d;
      break;
    }
  }
  if (!least) return null;
  let loh = cost(least);
  for (i++; i < list.length; i++) {
    const d = list[i] as Dest;
    if (ovl(d)) continue;
    const doh = cost(d);
    if (loh * big(d.weight) > doh * big(least.weight)) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_wlc_schedule (also __ip_vs_lblc_schedule / __ip_vs_lblcr_schedule). */
export function refWlc(list: readonly Dest[]): Dest | null {
  return twoStage(list, oh);
}

/** ip_vs_sed_schedule. */
export function refSed(list: readonly Dest[]): Dest | null {
  return twoStage(list, (d) => big(d.activeConns + 1));
}

/** ip_vs_nq_schedule. */
export function refNq(list: readonly Dest[]): Dest | null {
  let least: Dest | null = null;
  let loh = 0n;
  for (const d of list) {
    if (ovl(d) || d.weight === 0) continue;
    const doh = big(d.activeConns + 1);
    if (d.activeConns === 0) return d;
    if (!least || loh * big(d.weight) > doh * big(least.weight)) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_fo_schedule. */
export function refFo(list: readonly Dest[]): Dest | null {
  let h: Dest | null = null;
  let hw = 0;
  for (const d of list) {
    if (!ovl(d) && d.weight > hw) {
      h = d;
      hw = d.weight;
    }
  }
  return h;
}

/** ip_vs_ovf_schedule. */
export function refOvf(list: readonly Dest[]): Dest | null {
  let h: Dest | null = null;
  let hw = 0;
  for (const d of list) {
    const w = d.weight;
    if (ovl(d) || d.activeConns > w || w === 0) continue;
    if (!h || w > hw) {
      h = d;
      hw = w;
    }
  }
  return h;
}

/** ip_vs_twos_schedule with the same random source. */
export function refTwos(list: readonly Dest[], random: () => number): Dest | null {
  let total = 0;
  let c1: Dest | null = null;
  for (const d of list) {
    if (!ovl(d) && d.weight > 0) {
      total += d.weight;
      c1 = d;
    }
  }
  if (!c1) return null;
  let r1 = randomBelow(total + 1, random);
  let r2 = randomBelow(total + 1, random);
  let c2: Dest | null = null;
  let w1 = -1;
  let w2 = -1;
  let o1 = 0n;
  let o2 = 0n;
  for (const d of list) {
    if (ovl(d) || d.weight <= 0) continue;
    r1 -= d.weight;
    r2 -= d.weight;
    if (r1 <= 0 && w1 === -1) {
      c1 = d;
      w1 = d.weight;
      o1 = oh(d);
    }
    if (r2 <= 0 && w2 === -1) {
      c2 = d;
      w2 = d.weight;
      o2 = oh(d);
    }
    if (w1 !== -1 && w2 !== -1) break;
  }
  if (c2 && big(w2) * o1 > big(w1) * o2) return c2;
  return c1;
}

/** ip_vs_rr state: the last picked dest, null = list head. */
export class RefRr {
  p: Dest | null = null;
  /** ip_vs_rr_del_dest, called with the list as it was before the unlink. */
  del(before: readonly Dest[], d: Dest): void {
    if (this.p === d) {
      const i = before.indexOf(d);
      this.p = i > 0 ? (before[i - 1] as Dest) : null;
    }
  }
  schedule(list: readonly Dest[]): Dest | null {
    const start = this.p ? list.indexOf(this.p) : -1;
    const last = this.p;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = pass === 0 ? start + 1 : 0; i < list.length; i++) {
        const d = list[i] as Dest;
        if (!ovl(d) && d.weight > 0) {
          this.p = d;
          return d;
        }
        if (d === last) return null;
      }
      if (last === null) break;
    }
    return null;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** ip_vs_wrr state and scan. */
export class RefWrr {
  cl: Dest | null = null;
  cw = 0;
  mw = 0;
  di = 1;
  private calc(list: readonly Dest[]): void {
    let g = 0;
    let m = 0;
    for (const d of list) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > m) m = d.weight;
    }
    this.di = g || 1;
    this.mw = m - (this.di - 1);
  }
  init(list: readonly Dest[]): void {
    this.cl = null;
    this.calc(list);
    this.cw = this.mw;
  }
  changed(list: readonly Dest[]): void {
    this.cl = null;
    this.calc(list);
    if (this.cw > this.mw || !this.cw) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }
  schedule(list: readonly Dest[]): Dest | null {
    if (this.mw === 0) return null;
    const last = this.cl;
    let idx = last ? list.indexOf(last) : -1;
    let stop: Dest | null = null;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (let i = idx + 1; i < list.length; i++) {
        const d = list[i] as Dest;
        if (!ovl(d) && d.weight >= this.cw) {
          this.cl = d;
          return d;
        }
        if (d === stop) {
          this.cl = d;
          return null;
        }
      }
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === null) {
          this.cl = null;
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== null) stop = last;
      idx = -1;
    }
  }
}

/** is_overloaded of ip_vs_lblc.c / ip_vs_lblcr.c. */
export function refIsOverloaded(d: Dest, list: readonly Dest[]): boolean {
  if (d.activeConns > d.weight) return list.some((m) => m.activeConns * 2 < m.weight);
  return false;
}
