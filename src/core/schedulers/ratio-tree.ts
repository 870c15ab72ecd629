/**
 * A tournament tree over dest-list positions that yields exactly what the kernel's lc-family
 * linear scans yield (ip_vs_wlc.c and friends): the FIRST dest in list order with the least
 * num/den, compared by cross-multiplication with a strict `>` (a later dest replaces the current
 * best only when strictly better). Ties therefore keep the leftmost leaf, as the scan keeps the
 * earliest dest. Picks read the root in O(1); a load change costs O(log n) and usually stops early.
 */

/** Largest integer a double holds exactly; products above it are compared with BigInt. */
const EXACT = 9007199254740991;

/** Min-ratio tournament tree with leftmost-wins ties. */
export class RatioTree {
  /** Number of leaves in use (list length). */
  n = 0;
  /** Leaf capacity, a power of two. */
  private size = 1;
  /** Winner position per node (root at 1, leaves at size + pos); every leaf names itself. */
  private win = new Int32Array(2);
  /** Numerator per position (e.g. the conn overhead). */
  num = new Float64Array(1);
  /** Denominator per position (e.g. the weight). */
  den = new Float64Array(1);
  /**
   * num/den as a double, +Infinity when ineligible. Rounding is monotonic, so unequal doubles
   * order the exact fractions; and ineligible leaves lose every comparison without a branch.
   */
  private key = new Float64Array(1).fill(Number.POSITIVE_INFINITY);

  /** Starts over with `n` leaves, all ineligible; call setLeaf for each, then build(). */
  reset(n: number): void {
    let size = 1;
    while (size < n) size <<= 1;
    if (size !== this.size) {
      this.size = size;
      this.win = new Int32Array(2 * size);
      this.num = new Float64Array(size);
      this.den = new Float64Array(size);
      this.key = new Float64Array(size);
    }
    this.key.fill(Number.POSITIVE_INFINITY);
    for (let p = 0; p < size; p++) this.win[size + p] = p;
    this.n = n;
  }

  /** Sets one leaf without propagating (bulk load before build()). */
  setLeaf(pos: number, eligible: boolean, num: number, den: number): void {
    this.num[pos] = num;
    this.den[pos] = den;
    this.key[pos] = eligible ? num / den : Number.POSITIVE_INFINITY;
  }

  /** Recomputes every internal node from the leaves. */
  build(): void {
    const w = this.win;
    for (let i = this.size - 1; i >= 1; i--) w[i] = this.pick(w[2 * i] as number, w[2 * i + 1] as number);
  }

  /** Changes one leaf and repairs its path to the root, stopping once nothing above can change. */
  update(pos: number, eligible: boolean, num: number, den: number): void {
    const key = eligible ? num / den : Number.POSITIVE_INFINITY;
    // Most load changes leave the key alone (fo always, sed/nq on inactive conns): nothing to do.
    if (this.num[pos] === num && this.den[pos] === den && this.key[pos] === key) return;
    this.num[pos] = num;
    this.den[pos] = den;
    this.key[pos] = key;
    const w = this.win;
    let i = (this.size + pos) >> 1;
    while (i >= 1) {
      const old = w[i] as number;
      const nw = this.pick(w[2 * i] as number, w[2 * i + 1] as number);
      w[i] = nw;
      // Same winner, and not the leaf that changed: every ancestor sees identical inputs.
      if (nw === old && nw !== pos) return;
      i >>= 1;
    }
  }

  /** The winning position, or -1 when no leaf is eligible. */
  winner(): number {
    const w = this.win[1] as number;
    return this.key[w] === Number.POSITIVE_INFINITY ? -1 : w;
  }

  /** Left operand `a` precedes `b` in list order; `b` wins only when strictly better. */
  private pick(a: number, b: number): number {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    if (kb < ka) return b;
    if (kb !== ka || ka === Number.POSITIVE_INFINITY) return a;
    return this.tie(a, b);
  }

  /** Equal doubles: the fractions may still differ past 53 bits, so cross-multiply exactly. */
  private tie(a: number, b: number): number {
    const x = (this.num[a] as number) * (this.den[b] as number);
    const y = (this.num[b] as number) * (this.den[a] as number);
    if (x <= EXACT && y <= EXACT) return x > y ? b : a;
    const bx = BigInt(this.num[a] as number) * BigInt(this.den[b] as number);
    const by = BigInt(this.num[b] as number) * BigInt(this.den[a] as number);
    return bx > by ? b : a;
  }
}
