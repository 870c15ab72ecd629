/**
 * Open-addressed lookup index of the connection table (the kernel's ip_vs_conn.c chains buckets
 * instead; conn-table.ts says why this one is open-addressed): one 16-byte slot per hashed entry
 * holding the whole lookup key AND the entry index, so a lookup at 10 M entries is one random
 * memory access (the slot's cache line) instead of two (bucket head, then key block).
 *
 * Slot layout (Int32Array, 4 words, never straddles a 64-byte line):
 *   [w0 = client address (IPv4) or its 32-bit fold (IPv6),
 *    w1 = virtual address (IPv4) or its fold (IPv6),
 *    w2 = cport << 16 | vport,
 *    w3 = tag << 28 | (idx + 1)]        w3 === 0 marks an empty slot.
 * The 4-bit tag is the protocol code (bits 0-1), TEMPLATE (bit 2) and AF6 (bit 3).
 *
 * The hash covers (w0, cport, protocol code) like ip_vs_conn_hashkey's (proto, caddr, cport), and
 * every input is inside the slot, so growth and backward-shift deletion rehash from the slot
 * alone without touching the entry arrays. Linear probing with backward-shift deletion (Knuth
 * 6.4 algorithm R) leaves no tombstones, so heavy expiry never lengthens later probes.
 *
 * Sizes alternate 2^k and 3·2^(k-1) and the home slot is the high part of hash × size, so growth
 * is ×1.5 or ×1.33 instead of ×2: the load stays between 0.53 and 0.8, which keeps a 10 M-entry
 * table under 30 bytes per entry here.
 */

/** Bits of w3 holding the entry index + 1. */
export const IDX_MASK = 0x0fffffff;
/** Largest entry index the slot encoding can hold. */
export const MAX_INDEX = IDX_MASK - 1;
/** Growth threshold: linear probing's miss cost ½(1 + 1/(1-α)²) is 13 slots (≈ 3 lines) at 0.8. */
export const MAX_LOAD = 0.8;
const MIN_SLOTS = 64;
const INV32 = 1 / 4294967296;

/** Smallest size of the form 2^k or 3·2^(k-1) that is at least `x` (and at least 64). */
export function slotsFor(x: number): number {
  let p = MIN_SLOTS;
  while (p < x) {
    if (p + (p >>> 1) >= x) return p + (p >>> 1);
    p *= 2;
  }
  return p;
}

/** 32-bit fold of an IPv6 address so it can stand in for the address in w0/w1 and the hash. */
export function fold6(a0: number, a1: number, a2: number, a3: number): number {
  return (a0 ^ Math.imul(a1, 0x9e3779b1) ^ Math.imul(a2, 0x85ebca77) ^ Math.imul(a3, 0xc2b2ae3d)) | 0;
}

/** The open-addressed slot array with insert (newest first), find, remove and growth. */
export class ConnKeyIndex {
  /** The slots, 4 words each; replaced on growth, so never cache it across inserts. */
  slots: Int32Array;
  /** Number of slots. */
  n: number;
  /** Occupied slots. */
  used = 0;
  /** Of the keys of the last {@link touch}, how many had a home entry adjacent to the previous key's. */
  lastNear = 0;
  private limit: number;
  private readonly seed: number;

  constructor(expected: number, seed: number) {
    this.seed = seed | 0;
    // Preallocated tables start at load ≤ 0.7 so the first fill is not already at the limit.
    this.n = slotsFor(Math.ceil(expected / 0.7));
    this.slots = new Int32Array(this.n * 4);
    this.limit = Math.floor(this.n * MAX_LOAD);
  }

  /** The 32-bit hash of (w0, cport, protocol code); seeded like the kernel's random ip_vs_conn_rnd. */
  hash(w0: number, cport: number, pc: number): number {
    let h = Math.imul(w0 ^ this.seed, 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h ^= Math.imul((cport << 2) | pc, 0x1b873593);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /**
   * Home slot of a hash: the high part of hash × n (exact in a double for n < 2^21, safe above).
   * Scaled by 2^-32 instead of divided by 2^32 (the same value: a power-of-two scale is exact) and
   * truncated with `| 0` (the same as floor below 2^31): a multiply instead of a long division.
   */
  home(h: number): number {
    return ((h >>> 0) * this.n * INV32) | 0;
  }

  /** Exact-key probe: the newest entry whose slot equals (w0, w1, w2, tag), or -1. */
  find(w0: number, w1: number, w2: number, tag: number): number {
    const T = this.slots;
    const n = this.n;
    let s = this.home(this.hash(w0, w2 >>> 16, tag & 3));
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && T[o + 2] === w2 && T[o + 1] === w1 && w3 >>> 28 === tag) return (w3 & IDX_MASK) - 1;
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /**
   * Loads the home slot of each of `n` keys given as [w0, cport << 2 | pc] pairs in `keys`, so
   * the probes that follow find their lines in cache. The loads are independent of each other,
   * so the CPU overlaps their misses, which one-lookup-per-packet cannot do: the work between
   * two packets is longer than the reorder window (the batched lookup of DPDK/VPP, without a
   * prefetch instruction). Each key's home slot goes to `homes[k]`, so the lookup need not hash
   * it again ({@link findAt}). Returns an XOR of what was read, so the loads stay.
   */
  touch(keys: Int32Array, n: number, homes: Int32Array): number {
    for (let k = 0; k < n; k++) {
      const w0 = keys[2 * k] as number;
      const cp = keys[2 * k + 1] as number;
      homes[k] = this.home(this.hash(w0, cp >>> 2, cp & 3));
    }
    // The loads alone, in a loop of a few instructions: many more of them fit in the CPU's
    // reorder window at once than when each sits behind its hash, so more misses overlap.
    const T = this.slots;
    let x = 0;
    let prev = -16;
    let near = 0;
    for (let k = 0; k < n; k++) {
      const w3 = T[((homes[k] as number) << 2) + 3] as number;
      x ^= w3;
      // Locality of the entries the keys' homes name: adjacent indexes (same or next record)
      // mean the batch walks the entries in order, as the hardware prefetcher follows.
      const d = (w3 & IDX_MASK) - prev;
      prev = w3 & IDX_MASK;
      if (d >= -2 && d <= 2) near++;
    }
    this.lastNear = near;
    return x;
  }

  /** {@link find} starting at slot `s`, which must be the key's home slot at the current size. */
  findAt(s0: number, w0: number, w1: number, w2: number, tag: number): number {
    const T = this.slots;
    const n = this.n;
    let s = s0;
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && T[o + 2] === w2 && T[o + 1] === w1 && w3 >>> 28 === tag) return (w3 & IDX_MASK) - 1;
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /**
   * Adds entry `idx` under key (w0, w1, w2, tag). An equal key already present is pushed one
   * step further along the probe path, so lookups return the newest entry first, as the kernel's
   * hlist_add_head does.
   */
  insert(w0: number, w1: number, w2: number, tag: number, idx: number): void {
    if (this.used >= this.limit) this.resize(slotsFor(this.n + 1));
    const T = this.slots;
    const n = this.n;
    let w3 = (tag << 28) | (idx + 1) | 0;
    let s = this.home(this.hash(w0, w2 >>> 16, tag & 3));
    for (;;) {
      const o = s << 2;
      const x3 = T[o + 3] as number;
      if (x3 === 0) {
        T[o] = w0;
        T[o + 1] = w1;
        T[o + 2] = w2;
        T[o + 3] = w3;
        this.used++;
        return;
      }
      if (T[o] === w0 && T[o + 2] === w2 && T[o + 1] === w1 && x3 >>> 28 === tag) {
        T[o + 3] = w3;
        w3 = x3;
      }
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /**
   * Removes entry `idx`, whose slot hashes from (w0, cport, pc), by backward shift: later slots
   * of the cluster that may live earlier move into the hole, so no tombstone is left.
   * Returns false if the entry was not in the index.
   */
  remove(w0: number, cport: number, pc: number, idx: number): boolean {
    const T = this.slots;
    const n = this.n;
    const want = idx + 1;
    let s = this.home(this.hash(w0, cport, pc));
    for (;;) {
      const w3 = T[(s << 2) + 3] as number;
      if (w3 === 0) return false;
      if ((w3 & IDX_MASK) === want) break;
      s = s + 1 === n ? 0 : s + 1;
    }
    let hole = s;
    let j = s;
    for (;;) {
      j = j + 1 === n ? 0 : j + 1;
      const o = j << 2;
      const x3 = T[o + 3] as number;
      if (x3 === 0) break;
      const hj = this.home(this.hash(T[o] as number, (T[o + 2] as number) >>> 16, (x3 >>> 28) & 3));
      // The slot at j may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hj > hole && hj <= j : hj > hole || hj <= j;
      if (!stays) {
        const h = hole << 2;
        T[h] = T[o] as number;
        T[h + 1] = T[o + 1] as number;
        T[h + 2] = T[o + 2] as number;
        T[h + 3] = x3;
        hole = j;
      }
    }
    const h = hole << 2;
    T[h] = 0;
    T[h + 1] = 0;
    T[h + 2] = 0;
    T[h + 3] = 0;
    this.used--;
    return true;
  }

  /**
   * Removes in one sequential pass every slot whose entry has `alive[idx * stride + off] & mask`
   * zero (the entry's kind byte in the table's hot records): the bulk
   * form of `remove` for mass expiry, cheaper than one random access per entry once a few percent
   * of the table goes at once. After the first hole of a cluster every survivor is re-placed at
   * the first empty slot from its home, which is never later than where it was, so probe paths
   * stay unbroken and equal keys keep their order. Returns how many slots were freed.
   */
  sweep(alive: Uint8Array, stride: number, off: number, mask: number): number {
    const T = this.slots;
    const n = this.n;
    let e = 0;
    while (e < n && T[(e << 2) + 3] !== 0) e++;
    let freed = 0;
    let dirty = false;
    let s = e;
    for (let k = 0; k < n; k++) {
      s = s + 1 === n ? 0 : s + 1;
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) {
        dirty = false; // an original gap ends the cluster: nothing later can probe across it
        continue;
      }
      if (((alive[((w3 & IDX_MASK) - 1) * stride + off] as number) & mask) === 0) {
        T[o] = 0;
        T[o + 1] = 0;
        T[o + 2] = 0;
        T[o + 3] = 0;
        freed++;
        dirty = true;
        continue;
      }
      if (!dirty) continue;
      const w0 = T[o] as number;
      const w1 = T[o + 1] as number;
      const w2 = T[o + 2] as number;
      T[o + 3] = 0;
      let d = this.home(this.hash(w0, w2 >>> 16, (w3 >>> 28) & 3));
      while (T[(d << 2) + 3] !== 0) d = d + 1 === n ? 0 : d + 1;
      const q = d << 2;
      T[q] = w0;
      T[q + 1] = w1;
      T[q + 2] = w2;
      T[q + 3] = w3;
      if (d !== s) {
        T[o] = 0;
        T[o + 1] = 0;
        T[o + 2] = 0;
      }
    }
    this.used -= freed;
    return freed;
  }

  /** Slot index holding entry `idx` (found from its key's hash inputs), or -1; for tests and checks. */
  slotOf(w0: number, cport: number, pc: number, idx: number): number {
    const T = this.slots;
    let s = this.home(this.hash(w0, cport, pc));
    for (let k = 0; k < this.n; k++) {
      const w3 = T[(s << 2) + 3] as number;
      if (w3 === 0) return -1;
      if ((w3 & IDX_MASK) === idx + 1) return s;
      s = s + 1 === this.n ? 0 : s + 1;
    }
    return -1;
  }

  /**
   * Checks the linear-probing invariant (every slot reachable from its home without crossing an
   * empty slot) and the occupancy count; returns the longest probe distance. Throws on a broken table.
   */
  check(): number {
    const T = this.slots;
    const n = this.n;
    let used = 0;
    let longest = 0;
    for (let s = 0; s < n; s++) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) continue;
      used++;
      const hs = this.home(this.hash(T[o] as number, (T[o + 2] as number) >>> 16, (w3 >>> 28) & 3));
      const dist = s >= hs ? s - hs : s + n - hs;
      for (let k = 0, p = hs; k < dist; k++, p = p + 1 === n ? 0 : p + 1) {
        if (T[(p << 2) + 3] === 0) throw new Error(`slot ${s} unreachable from home ${hs}`);
      }
      if (dist > longest) longest = dist;
    }
    if (used !== this.used) throw new Error(`used ${this.used} but ${used} slots occupied`);
    return longest;
  }

  /**
   * Rebuilds into `size` slots. The scan starts just after an empty slot so each cluster is read
   * in probe order, which keeps equal keys newest first in the new table.
   */
  resize(size: number): void {
    const old = this.slots;
    const on = this.n;
    const T = new Int32Array(size * 4);
    this.slots = T;
    this.n = size;
    this.limit = Math.floor(size * MAX_LOAD);
    let e = 0;
    while (e < on && old[(e << 2) + 3] !== 0) e++;
    for (let k = 1; k <= on; k++) {
      const q = (e + k) % on;
      const o = q << 2;
      const w3 = old[o + 3] as number;
      if (w3 === 0) continue;
      const w0 = old[o] as number;
      const w2 = old[o + 2] as number;
      let s = this.home(this.hash(w0, w2 >>> 16, (w3 >>> 28) & 3));
      while (T[(s << 2) + 3] !== 0) s = s + 1 === size ? 0 : s + 1;
      const d = s << 2;
      T[d] = w0;
      T[d + 1] = old[o + 1] as number;
      T[d + 2] = w2;
      T[d + 3] = w3;
    }
  }
}
