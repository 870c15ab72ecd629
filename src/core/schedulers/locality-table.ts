/**
 * The entry table shared by lblc and lblcr (ip_vs_lblc.c / ip_vs_lblcr.c): 1024 buckets keyed by
 * hash_32(destination address, 10), at most max_size = 16384 entries before the collector works
 * hard, and the periodic collector run every CHECK_EXPIRE_INTERVAL (60 s) with the kernel's
 * counter rule: every 30th run is a full sweep of entries unused for the expiration
 * (lblc[r]_expiration, default 24 h); otherwise, only when over max_size, entries unused for
 * ENTRY_TIMEOUT (6 min) are dropped bucket by bucket from a rover until `goal` are gone. Time is
 * the `now` the scheduler is given; the timer is armed at the first `now` seen.
 */

/** IP_VS_LBLC_TAB_BITS / IP_VS_LBLCR_TAB_BITS. */
export const LOC_TAB_BITS = 10;
const SIZE = 1 << LOC_TAB_BITS;
const MASK = SIZE - 1;
/** CHECK_EXPIRE_INTERVAL in ms. */
export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
/** ENTRY_TIMEOUT in ms. */
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
/** DEFAULT_EXPIRATION (sysctl lblc_expiration / lblcr_expiration) in ms. */
export const DEFAULT_EXPIRATION_MS = 24 * 3600_000;
/** COUNT_FOR_FULL_EXPIRATION. */
export const COUNT_FOR_FULL_EXPIRATION = 30;

import { foldBytes, hash32 } from './hash.js';

/** What every entry carries: its destination address and when it was last used. */
export interface LocEntry {
  /** Host-order fold of the address (the whole address for IPv4). */
  fold: number;
  /** A copy of an IPv6 address for exact comparison; null for IPv4. */
  addr: Uint8Array | null;
  lastuse: number;
}

/** Entries of one lblc/lblcr service. */
export class LocalityTable<E extends LocEntry> {
  readonly buckets: E[][] = Array.from({ length: SIZE }, () => []);
  /** Number of entries. */
  entries = 0;
  /** tbl->max_size = TAB_SIZE * 16. */
  readonly maxSize = SIZE * 16;
  rover = 0;
  counter = 1;
  /** When the collector next runs (ms), or -1 until the first `now`. */
  nextCheck = -1;

  constructor(private readonly onFree: (e: E) => void) {}

  /** The entry for an address, or undefined. */
  get(addr: Uint8Array): E | undefined {
    const fold = foldBytes(addr);
    const b = this.buckets[hash32(fold, LOC_TAB_BITS)] as E[];
    for (let i = 0; i < b.length; i++) {
      const e = b[i] as E;
      if (e.fold === fold && (e.addr === null || sameBytes(e.addr, addr))) return e;
    }
    return undefined;
  }

  /** Key fields for a new entry at this address. */
  key(addr: Uint8Array): { fold: number; addr: Uint8Array | null } {
    return { fold: foldBytes(addr), addr: addr.length === 4 ? null : addr.slice() };
  }

  /** Hashes a new entry in. */
  add(e: E): void {
    (this.buckets[hash32(e.fold, LOC_TAB_BITS)] as E[]).push(e);
    this.entries++;
  }

  /** Unhashes and frees one entry. */
  remove(e: E): void {
    const b = this.buckets[hash32(e.fold, LOC_TAB_BITS)] as E[];
    const i = b.indexOf(e);
    if (i < 0) return;
    b.splice(i, 1);
    this.entries--;
    this.onFree(e);
  }

  /** Frees every entry (done_service). */
  flush(): void {
    for (const b of this.buckets) {
      for (const e of b) this.onFree(e);
      b.length = 0;
    }
    this.entries = 0;
  }

  /** Arms the collector timer at the first time seen (init_service arms it at +60 s). */
  arm(now: number): void {
    if (this.nextCheck < 0) this.nextCheck = now + CHECK_EXPIRE_INTERVAL_MS;
  }

  /** Runs the collector if its timer is due; like mod_timer, the next run is 60 s after this one. */
  tick(now: number, expirationMs: number): void {
    this.arm(now);
    if (now < this.nextCheck) return;
    this.checkExpire(now, expirationMs);
    this.nextCheck = now + CHECK_EXPIRE_INTERVAL_MS;
  }

  /** One run of ip_vs_lblc_check_expire / ip_vs_lblcr_check_expire. */
  checkExpire(now: number, expirationMs: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      this.sweep(now, expirationMs, Number.POSITIVE_INFINITY);
      this.counter = 1;
      return;
    }
    if (this.entries <= this.maxSize) {
      this.counter++;
      return;
    }
    let goal = Math.floor(((this.entries - this.maxSize) * 4) / 3);
    if (goal > this.maxSize / 2) goal = Math.floor(this.maxSize / 2);
    this.sweep(now, ENTRY_TIMEOUT_MS, goal);
  }

  /** Drops entries with now >= lastuse + age, bucket by bucket after the rover, until goal are gone. */
  private sweep(now: number, age: number, goal: number): void {
    let j = this.rover;
    for (let i = 0; i < SIZE; i++) {
      j = (j + 1) & MASK;
      const b = this.buckets[j] as E[];
      let w = 0;
      for (let r = 0; r < b.length; r++) {
        const e = b[r] as E;
        if (now < e.lastuse + age) b[w++] = e;
        else {
          this.entries--;
          goal--;
          this.onFree(e);
        }
      }
      b.length = w;
      if (goal <= 0) break;
    }
    this.rover = j;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
