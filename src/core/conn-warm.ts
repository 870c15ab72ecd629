/**
 * The batch warm-up of the connection table: before a receive batch is looked up frame by frame,
 * the home slots of all its IPv4 inbound keys (and, in a large table visited out of order, each
 * key's hot record) are loaded at once, so their cache misses overlap instead of stalling one
 * lookup each (the batched lookup of DPDK's rte_hash_lookup_bulk and VPP's vectors, without a
 * prefetch instruction). It touches memory only: every lookup stays exact whatever happens
 * between the warm-up and it. Each key's home slot is kept, so the lookup that follows need not
 * hash it again (ConnTable.findIn4 after {@link ConnWarm.hint}).
 */
import { type ConnKeyIndex, IDX_MASK } from './conn-hash.js';

/**
 * Index slots (16 B each) from which a batch warm-up pays: 512 KB, half this machine's L2. Below
 * it the slots stay in cache and the warm-up only adds its hashing (measured +5-10 ns per packet
 * at 1 k flows); above it the overlapped misses win (64 k flows: ~10-20 ns less, 1 M: ~75 ns).
 */
export const WARM_MIN_SLOTS = 1 << 15;

/**
 * Live entries from which the batch warm-up also loads each key's hot record when the batch
 * visits entries out of order (see ConnWarm.entries): 2^15 entries are 1 MB of records, this
 * machine's L2 per core; below it the records stay in L2 and the extra loads do not pay.
 */
export const WARM_ENTRIES_FROM = 1 << 15;

/** Slots the record warm-up follows from a key's home to find its entry (a line and a half). */
const WARM_PROBE = 6;

/** The warm-up's settings, its last batch's keys and homes, and the lookup hint. */
export class ConnWarm {
  /**
   * Also load the hot record (one line) of each key's entry (the first slot from its home with
   * the key's client address and port), so those misses overlap too: true forces it, false stops
   * it, undefined (the default) warms once the table holds {@link entriesFrom} entries and the
   * batch visits entries out of order. Measured with bench:engine at 64 k flows: in random order
   * (as real traffic comes) it saves 40-140 ns per packet; in creation order, which the hardware
   * prefetcher follows, it would cost 11-23 ns.
   */
  entries: boolean | undefined = undefined;
  /** Entries from which {@link entries} (when undefined) warms records. */
  entriesFrom = WARM_ENTRIES_FROM;
  /** Index size from which the warm-up pays (tests lower it to exercise the warm-up). */
  minSlots = WARM_MIN_SLOTS;
  /** Hot records the last {@link warmIn4} loaded (0 when it warmed the index only). */
  lastRecords = 0;
  /** XOR of what the warm-up read: stored so the compiler keeps the loads. */
  sink = 0;

  // The hint findIn4 checks per packet: the named key's first words and home slot, valid while
  // the index still has `indexN` slots (the home is a function of the key and the size alone).
  /** Key word 0 of the hinted key. */
  hintW0 = 0;
  /** `cport << 2 | pcode` of the hinted key (-1: no hint). */
  hintCp = -1;
  /** Home slot of the hinted key. */
  hintSlot = 0;
  /** Index size when the keys were warmed (-1: never). */
  indexN = -1;

  private keys = new Int32Array(0);
  private homes = new Int32Array(0);

  /**
   * Warms `ix` for `n` keys given as [caddr | 0, cport << 2 | pcode] pairs, then (by
   * {@link entries}) the hot records in `records` (`recWords` int32 words each, of a table
   * holding `count` entries) and, when `localCount` > 0, the FULLNAT records in `local`
   * (`localWords` words each).
   */
  warmIn4(
    ix: ConnKeyIndex,
    keys: Int32Array,
    n: number,
    count: number,
    records: Int32Array,
    recWords: number,
    local: Int32Array,
    localWords: number,
    localCount: number,
  ): void {
    if (this.keys.length < n * 2) {
      this.keys = new Int32Array(n * 2);
      this.homes = new Int32Array(n);
    }
    for (let j = 0; j < n * 2; j++) this.keys[j] = keys[j] as number;
    this.sink ^= ix.touch(keys, n, this.homes);
    this.indexN = ix.n;
    const we = this.entries;
    // Undefined: records too once they outgrow L2, unless the batch visits them in order (a
    // sixteenth or more of the homes name an entry next to the previous key's: in random order
    // hardly any do, in creation order a half or more, less whatever sits off its home), which the
    // hardware prefetcher already follows and the extra loads only slow (measured: +11-23 ns per
    // packet in creation order at 64 k flows, 40-140 ns saved in random order).
    if (we === true || (we === undefined && count >= this.entriesFrom && ix.lastNear * 16 < n))
      this.sink ^= this.touchRecords(ix, keys, n, records, recWords, local, localWords, localCount);
    else this.lastRecords = 0;
  }

  /** Names warmed key `k` as the next lookup's (or none for k < 0). */
  hint(k: number): void {
    if (k < 0) {
      this.hintW0 = 0;
      this.hintCp = -1;
      return;
    }
    this.hintW0 = this.keys[2 * k] as number;
    this.hintCp = this.keys[2 * k + 1] as number;
    this.hintSlot = this.homes[k] as number;
  }

  private touchRecords(
    ix: ConnKeyIndex,
    keys: Int32Array,
    n: number,
    records: Int32Array,
    recWords: number,
    local: Int32Array,
    localWords: number,
    localCount: number,
  ): number {
    const T = ix.slots;
    const homes = this.homes;
    let x = 0;
    let warmed = 0;
    const last = ix.n - 1;
    for (let k = 0; k < n; k++) {
      // The key's slot is at or after its home (linear probing): at the load factors kept here
      // a third or more of keys are not at home, so follow the cluster a few slots (the lines are
      // the ones just loaded) to the first slot with the key's client address and port.
      const w0 = keys[2 * k] as number;
      const cport = (keys[2 * k + 1] as number) >>> 2;
      let s = homes[k] as number;
      let w3 = 0;
      for (let step = 0; step < WARM_PROBE; step++) {
        const o = s << 2;
        w3 = T[o + 3] as number;
        if (w3 === 0 || (T[o] === w0 && (T[o + 2] as number) >>> 16 === cport)) break;
        w3 = 0;
        s = s === last ? 0 : s + 1;
      }
      if (w3 === 0) continue;
      const i = (w3 & IDX_MASK) - 1;
      // Both ends of the record: a 32-byte record is one line only when the buffer is 32-byte
      // aligned, and the buffer's address is not ours to choose (malloc gives 16 bytes: half the
      // records then straddle two lines). The second load is an L1 hit when they do not.
      const r = i * recWords;
      x ^= (records[r] as number) ^ (records[r + recWords - 1] as number);
      warmed++;
      // The FULLNAT record's port and IPv4 address lead it (conn-local.ts): one load.
      if (localCount > 0) x ^= local[i * localWords] as number;
    }
    this.lastRecords = warmed;
    return x;
  }
}
