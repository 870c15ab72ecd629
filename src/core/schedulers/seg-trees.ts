/**
 * Segment trees over dest-list positions for the round-robin and random schedulers: a max tree
 * answering "first position at or after p whose value is at least t" (rr, wrr scans) and a sum
 * tree answering "first position whose prefix sum reaches t" (twos' weighted walk). Both replace
 * the kernel's list walks with O(log n) steps while returning the same dest.
 */

/** Max tree: value per position, leftmost search by threshold. */
export class MaxTree {
  /** Number of positions in use. */
  n = 0;
  private size = 1;
  private mx = new Float64Array(2).fill(Number.NEGATIVE_INFINITY);

  /** Starts over with `n` positions valued -Infinity; fill with setLeaf, then build(). */
  reset(n: number): void {
    let size = 1;
    while (size < n) size <<= 1;
    if (size !== this.size) {
      this.size = size;
      this.mx = new Float64Array(2 * size);
    }
    this.mx.fill(Number.NEGATIVE_INFINITY);
    this.n = n;
  }

  /** Sets a leaf without propagating. */
  setLeaf(pos: number, v: number): void {
    this.mx[this.size + pos] = v;
  }

  /** Recomputes internal nodes. */
  build(): void {
    const m = this.mx;
    for (let i = this.size - 1; i >= 1; i--) m[i] = Math.max(m[2 * i] as number, m[2 * i + 1] as number);
  }

  /** Sets a leaf and repairs its path. */
  update(pos: number, v: number): void {
    const m = this.mx;
    let i = this.size + pos;
    m[i] = v;
    i >>= 1;
    while (i >= 1) {
      const nv = Math.max(m[2 * i] as number, m[2 * i + 1] as number);
      if (m[i] === nv) return;
      m[i] = nv;
      i >>= 1;
    }
  }

  /** Value at a position. */
  get(pos: number): number {
    return this.mx[this.size + pos] as number;
  }

  /** The largest value of all positions. */
  max(): number {
    return this.mx[1] as number;
  }

  /** First position >= from whose value is >= t, or -1. */
  firstAtLeast(from: number, t: number): number {
    if (from >= this.n || from < 0) return -1;
    const m = this.mx;
    const size = this.size;
    let i = size + from;
    for (;;) {
      if ((m[i] as number) >= t) {
        while (i < size) i = (m[2 * i] as number) >= t ? 2 * i : 2 * i + 1;
        return i - size;
      }
      // Climb while we are a right child, then step to the right sibling.
      while (i & 1) i >>= 1;
      if (i === 0) return -1;
      i++;
    }
  }
}

/** Sum tree: non-negative value per position, prefix search. */
export class SumTree {
  /** Number of positions in use. */
  n = 0;
  private size = 1;
  private sum = new Float64Array(2);

  /** Starts over with `n` positions valued 0. */
  reset(n: number): void {
    let size = 1;
    while (size < n) size <<= 1;
    if (size !== this.size) {
      this.size = size;
      this.sum = new Float64Array(2 * size);
    }
    this.sum.fill(0);
    this.n = n;
  }

  /** Sets a leaf without propagating. */
  setLeaf(pos: number, v: number): void {
    this.sum[this.size + pos] = v;
  }

  /** Recomputes internal nodes. */
  build(): void {
    const s = this.sum;
    for (let i = this.size - 1; i >= 1; i--) s[i] = (s[2 * i] as number) + (s[2 * i + 1] as number);
  }

  /** Sets a leaf and repairs its path. */
  update(pos: number, v: number): void {
    const s = this.sum;
    let i = this.size + pos;
    const d = v - (s[i] as number);
    if (d === 0) return;
    while (i >= 1) {
      s[i] = (s[i] as number) + d;
      i >>= 1;
    }
  }

  /** Value at a position. */
  get(pos: number): number {
    return this.sum[this.size + pos] as number;
  }

  /** Sum of all positions. */
  total(): number {
    return this.sum[1] as number;
  }

  /** First position whose inclusive prefix sum is >= t (t >= 1), or -1 past the total. */
  findPrefix(t: number): number {
    const s = this.sum;
    if ((s[1] as number) < t) return -1;
    let i = 1;
    const size = this.size;
    // Branch-free descent: random targets make a branchy one mispredict at every level.
    while (i < size) {
      const l = s[2 * i] as number;
      const right = +(l < t);
      t -= l * right;
      i = 2 * i + right;
    }
    return i - size;
  }
}
