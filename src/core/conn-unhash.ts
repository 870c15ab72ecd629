/**
 * Index removals deferred while the table expires entries. The kernel unhashes each conn from its
 * own timer (net/netfilter/ipvs/ip_vs_conn.c ip_vs_conn_expire() → ip_vs_conn_unlink()); here one
 * expiry pass may free millions at once, so removals are queued to its end: a few are removed one
 * by one, a mass expiry (over ~3 % of the index) is one sequential sweep of the index instead of
 * one random memory access per entry. Nothing allocates an entry during the pass, so no freed
 * index can be reused while its stale slot is still in the index.
 */
import type { ConnKeyIndex } from './conn-hash.js';

/** The queue of one expiry pass: [w0, cport << 2 | pcode, idx] per freed entry. */
export class DeferredUnhash {
  private pend: Int32Array = new Int32Array(0);
  // -1: no pass running (remove at once); -2: too many, sweep at the end; else queued entries.
  private npend = -1;

  /** True while a pass runs, i.e. removals must go through {@link add}. */
  get active(): boolean {
    return this.npend !== -1;
  }

  /** Starts a pass over an index of `slots` slots: room for ~3 % of it before switching to a sweep. */
  begin(slots: number): void {
    const room = Math.max(64, slots >>> 5) * 3;
    if (this.pend.length < room) this.pend = new Int32Array(room);
    this.npend = 0;
  }

  /** Queues the removal of entry `idx` under key word `w0` and `cport << 2 | pcode`. */
  add(w0: number, cportPc: number, idx: number): void {
    const k = this.npend;
    if (k < 0) return;
    const o = k * 3;
    if (o + 3 > this.pend.length) {
      this.npend = -2;
      return;
    }
    this.pend[o] = w0;
    this.pend[o + 1] = cportPc;
    this.pend[o + 2] = idx;
    this.npend = k + 1;
  }

  /**
   * Ends the pass: removes the queued entries from `ix`, or sweeps it keeping the slots whose entry
   * is still alive. `meta` holds each entry's kind in its low bits (`mask`, 0 for a freed entry),
   * one byte every `stride` bytes from `off`, for the `high` entries ever used.
   */
  end(ix: ConnKeyIndex, meta: Uint8Array, high: number, stride: number, off: number, mask: number): void {
    const k = this.npend;
    this.npend = -1;
    if (k === -2) {
      // The sweep asks each slot's entry for its kind in index order, i.e. at random: from a
      // dense copy of the kind bytes (1 B per entry, made in one sequential pass and dropped)
      // that is one cached byte, from the records one line per slot (measured: 2x the time).
      const kinds = new Uint8Array(high);
      for (let i = 0; i < high; i++) kinds[i] = meta[i * stride + off] as number;
      ix.sweep(kinds, 1, 0, mask);
      return;
    }
    const p = this.pend;
    for (let j = 0; j < k * 3; j += 3) {
      const x = p[j + 1] as number;
      ix.remove(p[j] as number, x >>> 2, x & 3, p[j + 2] as number);
    }
  }
}
