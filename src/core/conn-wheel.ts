/**
 * The connection table's expiry timer wheel: 64 ms ticks, 2^14 slots (a ~17.5 min horizon; later
 * timers go round), each slot a doubly linked list of entry indexes in two per-entry arrays. The
 * kernel gives every conn its own timer_list (net/netfilter/ipvs/ip_vs_conn.c ip_vs_conn_new()
 * timer_setup, ip_vs_conn_expire()); a wheel makes `advance(now)` cost O(expired + ticks passed)
 * instead of O(table), and re-arming later (the common per-packet case) costs nothing here: the
 * owner only rewrites the expiry time and the entry is re-filed when its old slot comes round.
 * Re-arming earlier (e.g. ESTABLISHED → CLOSE) moves it at once, so it is never late.
 */

/** Wheel tick in ms. */
export const WHEEL_TICK_MS = 64;
/** Number of wheel slots (2^14 × 64 ms ≈ 17.5 min). */
export const WHEEL_SLOTS = 1 << 14;
const WHEEL_MASK = WHEEL_SLOTS - 1;

/** What the wheel asks of the table while it walks a slot (one implementer: ConnTable). */
export interface WheelOwner {
  /** Expiry time in ms of entry `i`. */
  expiresOf(i: number): number;
  /** Entry `i` is due at `now`: frees it and returns true, or re-arms it (through the wheel) and returns false. */
  expireDue(i: number, now: number): boolean;
}

/** The timer wheel: slot heads plus per-entry prev/next links. */
export class ConnWheel {
  /** Head entry of each slot, or -1. */
  readonly slots = new Int32Array(WHEEL_SLOTS).fill(-1);
  /** Previous entry in the slot list; a slot head holds -(slot + 2), an unlinked entry -1. */
  prev: Int32Array;
  /**
   * Next entry in the slot list, or -1. A free entry is on no slot, so the table threads its free
   * list through this array too. Replaced on growth, so never cache it.
   */
  next: Int32Array;
  /** The tick the last advance reached (-1 before the first entry or advance). */
  private curTick = -1;
  /** Earliest expiry still filed in the current tick's slot: advance within the tick returns at once before it. */
  private slotMin = 0;

  constructor(capacity: number) {
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }

  /** Bytes held by the wheel's arrays. */
  bytes(): number {
    return this.slots.byteLength + this.prev.byteLength + this.next.byteLength;
  }

  /** Resizes the per-entry links to `capacity` entries, keeping them. */
  grow(capacity: number): void {
    const p = new Int32Array(capacity);
    p.set(this.prev);
    this.prev = p;
    const n = new Int32Array(capacity);
    n.set(this.next);
    this.next = n;
  }

  /** Starts the wheel's clock at `now` unless it runs already. */
  start(now: number): void {
    if (this.curTick < 0) this.curTick = Math.floor(now / WHEEL_TICK_MS);
  }

  /** Files entry `i`, expiring at `exp` ms; an expiry already past goes to the current tick. */
  insert(i: number, exp: number): void {
    let tick = Math.floor(exp / WHEEL_TICK_MS);
    if (this.curTick >= 0 && tick <= this.curTick) {
      tick = this.curTick;
      if (exp < this.slotMin) this.slotMin = exp;
    }
    const s = tick & WHEEL_MASK;
    const h = this.slots[s] as number;
    this.next[i] = h;
    this.prev[i] = -(s + 2);
    if (h >= 0) this.prev[h] = i;
    this.slots[s] = i;
  }

  /** Takes entry `i` off its slot (if any). */
  unlink(i: number): void {
    const p = this.prev[i] as number;
    const n = this.next[i] as number;
    if (p >= 0) this.next[p] = n;
    else if (p <= -2) this.slots[-p - 2] = n;
    if (n >= 0) this.prev[n] = p;
    this.prev[i] = -1;
    this.next[i] = -1;
  }

  /** Marks entry `i` as on no slot (an entry that is never filed, like a one-packet conn). */
  detach(i: number): void {
    this.prev[i] = -1;
    this.next[i] = -1;
  }

  /**
   * True when an {@link advance} to `now` may find something due: false while `now` is still
   * before the earliest expiry of the current tick, or when time went backwards (nothing can be
   * due that was not before).
   */
  due(now: number): boolean {
    const nt = Math.floor(now / WHEEL_TICK_MS);
    if (nt === this.curTick && now < this.slotMin) return false;
    if (this.curTick < 0) this.curTick = nt;
    return nt >= this.curTick;
  }

  /** Walks every slot from the current tick to `now`'s, handing due entries to `owner`; returns how many it freed. */
  advance(now: number, owner: WheelOwner): number {
    const nt = Math.floor(now / WHEEL_TICK_MS);
    let freed = 0;
    this.slotMin = Number.POSITIVE_INFINITY;
    if (nt - this.curTick >= WHEEL_SLOTS) {
      for (let s = 0; s < WHEEL_SLOTS; s++) freed += this.walk(s, now, nt, owner);
      this.curTick = nt;
      freed += this.walk(nt & WHEEL_MASK, now, nt, owner);
    } else {
      for (let t = this.curTick; t <= nt; t++) {
        this.curTick = t;
        freed += this.walk(t & WHEEL_MASK, now, nt, owner);
      }
    }
    return freed;
  }

  private walk(slot: number, now: number, nt: number, owner: WheelOwner): number {
    let freed = 0;
    let i = this.slots[slot] as number;
    while (i >= 0) {
      const next = this.next[i] as number;
      const exp = owner.expiresOf(i);
      if (exp <= now) {
        if (owner.expireDue(i, now)) freed++;
      } else {
        // Re-armed later since it was filed: re-file it now that its old slot came round.
        const tick = Math.floor(exp / WHEEL_TICK_MS);
        if ((tick & WHEEL_MASK) !== slot) {
          this.unlink(i);
          this.insert(i, exp);
        } else if (tick <= nt && exp < this.slotMin) {
          this.slotMin = exp;
        }
      }
      i = next;
    }
    return freed;
  }
}
