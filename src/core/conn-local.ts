/**
 * The FULLNAT local-address index: each FULLNAT entry's local address and port (the LIP:lport
 * the director put as source towards the real server) in a 32-byte record, chained in buckets
 * hashed by (laddr, lport) so a reply from the real server finds its conn: FULLNAT (the
 * alibaba/LVS kernel patches) hashes each conn a second time by its outbound tuple for this.
 * Allocated on first use: a table without FULLNAT conns carries none of it.
 */
import type { AddrWords } from './conn-record.js';

/**
 * Int32 words per record: lport 0, laddr 1-4, chain link 5, membership 6 (1 when hashed). The
 * port leads so the fast path's two reads (lport, then the IPv4 LIP in word 1) are the first
 * 8 bytes of the record: one cache line whatever the buffer's alignment, where laddr 0 and lport
 * 4 lay 16 bytes apart and, in a buffer at 16 bytes past a line (malloc's mmap path), fell on
 * two lines for every second record.
 */
export const LOC_W = 8;
/** Word of the local port within a record. */
export const LOC_PORT = 0;
/** First of the four words of the local address (IPv4 in this one). */
export const LOC_ADDR = 1;
const LOC_LINK = 5;
const LOC_MEMBER = 6;

/** The records (per entry) and the bucket chains. */
export class ConnLocalIndex {
  /** The records, {@link LOC_W} words per entry; replaced on growth, so never cache it. */
  rec: Int32Array = new Int32Array(0);
  /** Entries hashed (0 means the index is unused). */
  count = 0;
  private buckets: Int32Array = new Int32Array(0);

  /** Bytes held by the records and buckets. */
  bytes(): number {
    return this.rec.byteLength + this.buckets.byteLength;
  }

  /** Resizes the records to `capacity` entries once in use (the table grew). */
  grow(capacity: number): void {
    if (this.buckets.length === 0) return;
    this.growTo(capacity);
  }

  /**
   * Hashes entry `i` under local address `l` and `lport` (it must not be hashed); `capacity` is the
   * table's. `high` bounds the entry indexes in use, for a rehash.
   */
  add(i: number, l: AddrWords, lport: number, capacity: number, high: number): void {
    if (this.buckets.length === 0) this.buckets = new Int32Array(1024).fill(-1);
    if (this.rec.length < capacity * LOC_W) this.growTo(capacity);
    const o = i * LOC_W;
    const L = this.rec;
    for (let k = 0; k < 4; k++) L[o + LOC_ADDR + k] = l[k] as number;
    L[o + LOC_PORT] = lport;
    L[o + LOC_MEMBER] = 1;
    const b = this.bucket(L[o + LOC_ADDR] as number, L[o + LOC_ADDR + 3] as number, lport);
    L[o + LOC_LINK] = this.buckets[b] as number;
    this.buckets[b] = i;
    this.count++;
    // Keep the chains short: double the buckets past 2 entries per bucket.
    if (this.count > this.buckets.length * 2) this.rehash(this.buckets.length * 2, high);
  }

  /** Unhashes entry `i` (it must be hashed). */
  remove(i: number): void {
    const L = this.rec;
    const o = i * LOC_W;
    const b = this.bucket(
      L[o + LOC_ADDR] as number,
      L[o + LOC_ADDR + 3] as number,
      L[o + LOC_PORT] as number,
    );
    let p = -1;
    let j = this.buckets[b] as number;
    while (j >= 0 && j !== i) {
      p = j;
      j = L[j * LOC_W + LOC_LINK] as number;
    }
    if (j === i) {
      if (p < 0) this.buckets[b] = L[o + LOC_LINK] as number;
      else L[p * LOC_W + LOC_LINK] = L[o + LOC_LINK] as number;
    }
    L[o + LOC_MEMBER] = 0;
    this.count--;
  }

  /**
   * The next entry after `after` (or the first, for -1) on the chain of `l:lport` whose record
   * holds exactly that local address and port; -1 at the end. `after` must come from this chain.
   */
  next(l: AddrWords, lport: number, after: number): number {
    const L = this.rec;
    let i =
      after < 0
        ? (this.buckets[this.bucket((l[0] as number) | 0, (l[3] as number) | 0, lport)] as number)
        : (L[after * LOC_W + LOC_LINK] as number);
    while (i >= 0) {
      const o = i * LOC_W;
      const a = o + LOC_ADDR;
      if (
        L[o + LOC_PORT] === lport &&
        L[a] === ((l[0] as number) | 0) &&
        L[a + 1] === ((l[1] as number) | 0) &&
        L[a + 2] === ((l[2] as number) | 0) &&
        L[a + 3] === ((l[3] as number) | 0)
      )
        return i;
      i = L[o + LOC_LINK] as number;
    }
    return -1;
  }

  private growTo(capacity: number): void {
    const la = new Int32Array(capacity * LOC_W);
    la.set(this.rec);
    this.rec = la;
  }

  private rehash(nb: number, high: number): void {
    this.buckets = new Int32Array(nb).fill(-1);
    const L = this.rec;
    for (let i = 0; i < high; i++) {
      const o = i * LOC_W;
      if (L[o + LOC_MEMBER] === 0) continue;
      const b = this.bucket(
        L[o + LOC_ADDR] as number,
        L[o + LOC_ADDR + 3] as number,
        L[o + LOC_PORT] as number,
      );
      L[o + LOC_LINK] = this.buckets[b] as number;
      this.buckets[b] = i;
    }
  }

  // Words 0 and 3 of the local address as int32.
  private bucket(l0: number, l3: number, lport: number): number {
    const h = Math.imul(l0 ^ l3 ^ Math.imul(lport, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & (this.buckets.length - 1);
  }
}
