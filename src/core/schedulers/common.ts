/** Small helpers shared by the scheduler files (kernel definitions from include/net/ip_vs.h). */
import type { Dest } from '../dest.js';
import { DEST_F } from '../types.js';

/** ip_vs_dest_conn_overhead: active connections weigh 256 times an inactive one. */
export function overhead(d: Dest): number {
  return d.activeConns * 256 + d.inactConns;
}

/** The common eligibility test of every scheduler: weight > 0 and no OVERLOAD flag. */
export function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & DEST_F.OVERLOAD) === 0;
}

/** Records each dest's list position in its schedSlot, so load changes find their leaf in O(1). */
export function assignSlots(dests: readonly Dest[]): void {
  for (let i = 0; i < dests.length; i++) (dests[i] as Dest).schedSlot = i;
}

/** The dest's list position if it is still linked at it, else -1 (trash dests keep counting). */
export function slotOf(dests: readonly Dest[], d: Dest): number {
  const i = d.schedSlot;
  return i >= 0 && i < dests.length && dests[i] === d ? i : -1;
}

/** Exact `a*b > c*d` for non-negative integers, switching to BigInt past 2^53 like the kernel's s64 maths. */
export function mulGreater(a: number, b: number, c: number, d: number): boolean {
  const x = a * b;
  const y = c * d;
  if (x <= Number.MAX_SAFE_INTEGER && y <= Number.MAX_SAFE_INTEGER) return x > y;
  return BigInt(a) * BigInt(b) > BigInt(c) * BigInt(d);
}

/** True for the protocols whose first 4 payload bytes are ports (TCP, UDP, SCTP), as sh/mh check. */
export function hasPorts(protocol: number): boolean {
  return protocol === 6 || protocol === 17 || protocol === 132;
}

/** Greatest common divisor of two non-negative integers: the kernel's gcd() that wrr and mh apply to weights. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
