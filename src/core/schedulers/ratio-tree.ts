/**
 * A tournament tree over dest-list positions that yields exactly what the kernel's lc-family
 * linear scans yield (ip_vs_wlc.c and friends): the FIRST dest in list order with the least
 * num/den, compared by cross-multiplication with a strict `>` (a later dest replaces the current
 * best only when strictly better). Ties therefore keep the leftmost leaf, as the scan keeps the
 * earliest dest. Picks read the root in O(1); a load change costs O(log n) and usually stops early.
 *
 * Every node stores its winner AND the winner's key, so repairing a path reads one sibling slot
 * per level at an address known in advance (no winner → key indirection), and the loads of a
 * whole path can be in flight at once.
 */

/** Largest integer a double holds exactly; products above it are compared with BigInt. */
const EXACT = 9007199254740991;
/**
 * Leaves whose num < 2^32 and den < 2^20 ("small") compare exactly as doubles: two different
 * fractions a/b and c/d differ by at least 1/(b*d), while rounding moves each by at most 2^-53 of
 * itself, so they can only round to the same double when a*d >= 2^52. Among small leaves equal
 * keys are equal fractions and the leftmost wins on its own; the kernel's overheads are ints
 * (< 2^31) and ipvsadm's weights at most 65535, so real services never leave the fast path.
 */
const NUM_SMALL = 2 ** 32;
const DEN_SMALL = 2 ** 20;
const INF = Number.POSITIVE_INFINITY;

/** Min-ratio tournament tree with leftmost-wins ties. */
export class RatioTree {
  /** Number of leaves in use (list length). */
  n = 0;
  /** Leaf capacity, a power of two. */
  private size = 1;
  /** Winner position per node (root at 1, leaves at size + pos); every leaf names itself. */
  private win = new Int32Array(2);
  /** The winner's key per node (leaves at size + pos): num/den, +Infinity when ineligible. */
  private nkey = new Float64Array(2).fill(INF);
  /** Numerator per position (e.g. the conn overhead). */
  num = new Float64Array(1);
  /** Denominator per position (e.g. the weight). */
  den = new Float64Array(1);
  /** 1 where an eligible leaf is not small (see NUM_SMALL): its ties need exact arithmetic. */
  private bigLeaf = new Uint8Array(1);
  /** Number of eligible leaves that are not small; while 0 every comparison is a double compare. */
  private big = 0;

  /** Starts over with `n` leaves, all ineligible; call setLeaf for each, then build(). */
  reset(n: number): void {
    let size = 1;
    while (size < n) size <<= 1;
    if (size !== this.size) {
      this.size = size;
      this.win = new Int32Array(2 * size);
      this.nkey = new Float64Array(2 * size);
      this.num = new Float64Array(size);
      this.den = new Float64Array(size);
      this.bigLeaf = new Uint8Array(size);
    }
    this.nkey.fill(INF);
    this.bigLeaf.fill(0);
    this.big = 0;
    for (let p = 0; p < size; p++) this.win[size + p] = p;
    this.n = n;
  }

  /** Sets one leaf without propagating (bulk load before build()). */
  setLeaf(pos: number, eligible: boolean, num: number, den: number): void {
    this.num[pos] = num;
    this.den[pos] = den;
    this.nkey[this.size + pos] = eligible ? num / den : INF;
    this.setBig(pos, eligible && (num >= NUM_SMALL || den >= DEN_SMALL));
  }

  /** Recomputes every internal node from the leaves. */
  build(): void {
    const w = this.win;
    const k = this.nkey;
    for (let i = this.size - 1; i >= 1; i--) {
      const r = this.pick(w[2 * i] as number, w[2 * i + 1] as number);
      w[i] = r;
      k[i] = k[this.size + r] as number;
    }
  }

  /** Changes one leaf and repairs its path to the root, stopping once nothing above can change. */
  update(pos: number, eligible: boolean, num: number, den: number): void {
    const size = this.size;
    const k = this.nkey;
    const key = eligible ? num / den : INF;
    const wasBig = this.bigLeaf[pos] === 1;
    const isBig = eligible && (num >= NUM_SMALL || den >= DEN_SMALL);
    if (k[size + pos] === key && !wasBig && !isBig) {
      // Same key among small leaves is the same fraction: no comparison can change.
      this.num[pos] = num;
      this.den[pos] = den;
      return;
    }
    this.num[pos] = num;
    this.den[pos] = den;
    k[size + pos] = key;
    if (wasBig !== isBig) this.setBig(pos, isBig);
    // A leaf that was big may keep its key with another fraction, so stored results above it can
    // change without its key changing: only the exact climb (which follows it) is safe then.
    if (this.big === 0 && !wasBig) this.climbFast(size + pos, pos, key);
    else this.climbExact(size + pos, pos);
  }

  /** The winning position, or -1 when no leaf is eligible. */
  winner(): number {
    return this.nkey[1] === INF ? -1 : (this.win[1] as number);
  }

  /**
   * Path repair when every eligible leaf is small: a double compare per level, the sibling winning
   * ties only from the left (it then precedes every position under the path child).
   */
  private climbFast(leaf: number, pos: number, key: number): void {
    const w = this.win;
    const k = this.nkey;
    let i = leaf;
    let cw = pos;
    let ck = key;
    while (i > 1) {
      const s = i ^ 1;
      const ks = k[s] as number;
      // Sibling wins when strictly smaller, or equal and on the left (s < i when i is a right child).
      const takeS = ks < ck || (ks === ck && (i & 1) === 1);
      i >>= 1;
      if (takeS) {
        cw = w[s] as number;
        ck = ks;
      }
      // The parent keeps its winner and key: every ancestor sees identical inputs.
      if (w[i] === cw && k[i] === ck) return;
      w[i] = cw;
      k[i] = ck;
    }
  }

  /** Path repair with exact tie-breaks (some eligible leaf is big). */
  private climbExact(leaf: number, pos: number): void {
    const w = this.win;
    const k = this.nkey;
    let i = leaf >> 1;
    while (i >= 1) {
      const old = w[i] as number;
      const nw = this.pick(w[2 * i] as number, w[2 * i + 1] as number);
      w[i] = nw;
      k[i] = k[this.size + nw] as number;
      // Same winner, and not the leaf that changed: every ancestor sees identical inputs.
      if (nw === old && nw !== pos) return;
      i >>= 1;
    }
  }

  private setBig(pos: number, isBig: boolean): void {
    const was = this.bigLeaf[pos] === 1;
    if (was === isBig) return;
    this.bigLeaf[pos] = isBig ? 1 : 0;
    this.big += isBig ? 1 : -1;
  }

  /** Left operand `a` precedes `b` in list order; `b` wins only when strictly better. */
  private pick(a: number, b: number): number {
    const ka = this.nkey[this.size + a] as number;
    const kb = this.nkey[this.size + b] as number;
    if (kb < ka) return b;
    if (kb !== ka || ka === INF) return a;
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
