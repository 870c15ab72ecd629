/**
 * Small integer keys for IPv6 addresses, so tables written for 32-bit keys (the neighbour table
 * and its queue, probes and ageing) serve IPv6 unchanged: each address in use gets a stable id
 * until it is released. Addresses live in one Uint8Array (16 bytes per id) with a free list, and
 * an open-addressing index (backward-shift deletion, no tombstones) maps the four address words to
 * the id, so a lookup hashes the bytes where they lie and allocates nothing.
 */

/** The id table. Ids run from 1 to {@link capacity}; 0 is never an id. */
export class Addr6Keys {
  /** How many addresses can hold an id at once. */
  readonly capacity: number;
  /** Address bytes of id `k` at (k - 1) * 16. */
  readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly nextFree: Int32Array;
  private freeHead: number;
  /** Ids in use. */
  size = 0;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.bytes = new Uint8Array(capacity * 16);
    this.words = new Int32Array(capacity * 4);
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.index = new Int32Array(n);
    this.mask = n - 1;
    this.nextFree = new Int32Array(capacity + 1);
    for (let k = 1; k < capacity; k++) this.nextFree[k] = k + 1;
    this.nextFree[capacity] = 0;
    this.freeHead = capacity > 0 ? 1 : 0;
  }

  /** The id of the address at `buf[off, off + 16)`, or 0 when it has none. */
  find(buf: Uint8Array, off: number): number {
    const w0 = word(buf, off);
    const w1 = word(buf, off + 4);
    const w2 = word(buf, off + 8);
    const w3 = word(buf, off + 12);
    let i = hash(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const k = this.index[i]!;
      if (k === 0) return 0;
      const o = (k - 1) * 4;
      const w = this.words;
      if (w[o] === w0 && w[o + 1] === w1 && w[o + 2] === w2 && w[o + 3] === w3) return k;
      i = (i + 1) & this.mask;
    }
  }

  /** The id of the address at `buf[off, off + 16)`, made if needed; 0 when every id is taken. */
  intern(buf: Uint8Array, off: number): number {
    const found = this.find(buf, off);
    if (found !== 0 || this.freeHead === 0) return found;
    const k = this.freeHead;
    this.freeHead = this.nextFree[k]!;
    const o = (k - 1) * 4;
    for (let j = 0; j < 4; j++) this.words[o + j] = word(buf, off + j * 4);
    for (let j = 0; j < 16; j++) this.bytes[(k - 1) * 16 + j] = buf[off + j]!;
    let i = this.home(k);
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = k;
    this.size++;
    return k;
  }

  /** Gives id `k` back; the address no longer has an id. */
  release(k: number): void {
    if (k <= 0 || k > this.capacity) return;
    let i = this.home(k);
    while (this.index[i] !== k) {
      if (this.index[i] === 0) return;
      i = (i + 1) & this.mask;
    }
    this.index[i] = 0;
    // Backward-shift: pull later members of the run into the hole when their home allows it.
    let hole = i;
    let j = (i + 1) & this.mask;
    while (this.index[j] !== 0) {
      const h = this.home(this.index[j]!);
      if (((j - h) & this.mask) >= ((j - hole) & this.mask)) {
        this.index[hole] = this.index[j]!;
        this.index[j] = 0;
        hole = j;
      }
      j = (j + 1) & this.mask;
    }
    this.nextFree[k] = this.freeHead;
    this.freeHead = k;
    this.size--;
  }

  /** Offset in {@link bytes} of id `k`'s address. */
  offsetOf(k: number): number {
    return (k - 1) * 16;
  }

  private home(k: number): number {
    const o = (k - 1) * 4;
    const w = this.words;
    return hash(w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!) & this.mask;
  }
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ d ^ (h >>> 15), 0x165667b1);
  return h ^ (h >>> 16);
}
