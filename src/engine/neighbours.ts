/**
 * The engine's own IPv4 neighbour table (the director's kernel does not resolve for frames the
 * engine builds): ARP state per next hop plus a bounded queue of frames waiting for resolution,
 * like the kernel's neighbour layer (arp_queue / unres_qlen). The queue holds as many frames per
 * neighbour as the kernel's default unres_qlen (101), because a director meets bursts to a next
 * hop it has never resolved: a backup taking over sends the synced conns' first packets to real
 * servers it never forwarded to, and the clients' retransmissions, timed by identical RTO
 * back-offs, arrive together. States follow the kernel's names:
 * INCOMPLETE while probing (3 probes, 1 s apart, then FAILED and the queue is dropped), REACHABLE
 * after an answer, STALE after `reachableMs` (still used, re-probed once per second of use),
 * PERMANENT for configured entries. Everything lives in typed arrays: an open-addressing table
 * with backward-shift deletion, and a fixed pool of queue slots linked per entry.
 */

/** Neighbour states (subset of NUD_*). */
export const NUD = { NONE: 0, INCOMPLETE: 1, REACHABLE: 2, STALE: 3, PERMANENT: 4 } as const;

/** Sizing of a neighbour table. */
export interface NeighbourOptions {
  /** Entries (rounded up to a power of two, kept at most half full). */
  capacity?: number;
  /** Frames that can wait for resolution in total (default {@link QUEUE_SLOTS}). */
  queueSlots?: number;
  /** Bytes per queued frame (frames larger than this are dropped as queue-full). */
  queueSlotBytes?: number;
  /** Frames one neighbour may have waiting (default {@link UNRES_QLEN}). */
  perNeighbour?: number;
  /** How long an answer keeps an entry REACHABLE (base_reachable_time, 30 s). */
  reachableMs?: number;
}

/**
 * Frames one unresolved neighbour may have waiting: the kernel's default unres_qlen
 * (Documentation/networking/ip-sysctl.rst, neigh/default/unres_qlen: 101; the byte limit
 * unres_qlen_bytes, 212992, holds more small frames than that). With 16, a takeover's burst of
 * 20+ retransmissions to a real server the new master had not resolved lost all but 16, and
 * those connections waited for TCP's next retransmission, twice as far away.
 */
export const UNRES_QLEN = 101;
/** Queue slots of a table by default: room for about ten neighbours with a full queue (2 MiB). */
export const QUEUE_SLOTS = 1024;

/** ARP probes before an entry fails (mcast_solicit + ucast_solicit defaults). */
export const MAX_PROBES = 3;
/** Interval between probes (retrans_time, 1 s). */
export const PROBE_INTERVAL_MS = 1000;

/** The neighbour table. */
export class NeighbourTable {
  readonly capacity: number;
  private readonly mask: number;
  // Addresses as int32 (`| 0`): values above 2^31 would otherwise be doubles on every compare.
  private readonly keys: Int32Array;
  /** NUD state per slot (NONE = empty). */
  readonly state: Uint8Array;
  /** MAC per slot (6 bytes each). */
  readonly macs: Uint8Array;
  readonly ifindex: Int32Array;
  private readonly confirmed: Float64Array;
  private readonly lastProbe: Float64Array;
  private readonly probes: Uint8Array;
  private readonly qhead: Int32Array;
  private readonly qcount: Uint16Array;
  /** Entries in use. */
  size = 0;
  /**
   * Bumped whenever an entry's MAC or slot may change (learn, remove), so transmit caches that
   * hold a slot and a MAC know to look again.
   */
  generation = 0;
  private readonly reachableMs: number;

  // Queue pool.
  /**
   * Backing bytes of queued frames; slot `s` starts at s * slotBytes. Allocated by the first
   * {@link enqueue} (2 MiB by default), so a table that never waits costs nothing.
   */
  qbuf: Uint8Array = new Uint8Array(0);
  readonly slotBytes: number;
  /** Frame length in each slot. */
  readonly qlen: Uint32Array;
  private readonly qnext: Int32Array;
  private qfree = -1;
  // Slots released during this batch are reused only after flush(): their bytes may still be in tx actions.
  private qpending = -1;
  private readonly perNeighbour: number;
  /** Queue slots in use (waiting or released-but-unflushed). */
  queued = 0;

  constructor(o: NeighbourOptions = {}) {
    let cap = 16;
    while (cap < (o.capacity ?? 1024) * 2) cap *= 2;
    this.capacity = cap >>> 1;
    this.mask = cap - 1;
    this.keys = new Int32Array(cap);
    this.state = new Uint8Array(cap);
    this.macs = new Uint8Array(cap * 6);
    this.ifindex = new Int32Array(cap);
    this.confirmed = new Float64Array(cap);
    this.lastProbe = new Float64Array(cap);
    this.probes = new Uint8Array(cap);
    this.qhead = new Int32Array(cap).fill(-1);
    this.qcount = new Uint16Array(cap);
    this.reachableMs = o.reachableMs ?? 30_000;
    const slots = o.queueSlots ?? QUEUE_SLOTS;
    this.slotBytes = o.queueSlotBytes ?? 2048;
    this.perNeighbour = o.perNeighbour ?? UNRES_QLEN;
    this.qlen = new Uint32Array(slots);
    this.qnext = new Int32Array(slots);
    for (let s = slots - 1; s >= 0; s--) {
      this.qnext[s] = this.qfree;
      this.qfree = s;
    }
  }

  /** Slot of `ip` (host-order u32), or -1. */
  find(ip: number): number {
    const a = ip | 0;
    let i = hash(a) & this.mask;
    for (;;) {
      if (this.state[i] === NUD.NONE) return -1;
      if (this.keys[i] === a) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Creates an INCOMPLETE entry for `ip`; returns its slot, or -1 when the table is full. */
  create(ip: number, ifindex: number): number {
    if (this.size >= this.capacity) return -1;
    const a = ip | 0;
    let i = hash(a) & this.mask;
    while (this.state[i] !== NUD.NONE) i = (i + 1) & this.mask;
    this.keys[i] = a;
    this.state[i] = NUD.INCOMPLETE;
    this.ifindex[i] = ifindex;
    this.probes[i] = 0;
    this.lastProbe[i] = -Infinity;
    this.confirmed[i] = 0;
    this.qhead[i] = -1;
    this.qcount[i] = 0;
    this.size++;
    return i;
  }

  /** Address of slot `i` (host-order u32). */
  ipOf(i: number): number {
    return this.keys[i]! >>> 0;
  }

  /** True when slot `i` has a MAC to send to. */
  usable(i: number): boolean {
    const s = this.state[i]!;
    return s === NUD.REACHABLE || s === NUD.STALE || s === NUD.PERMANENT;
  }

  /**
   * True if slot `i` should be probed now: INCOMPLETE and never probed, or a REACHABLE entry past
   * its time (it turns STALE and is re-confirmed while in use, at most once per interval).
   */
  wantsProbe(i: number, now: number): boolean {
    const s = this.state[i]!;
    if (s === NUD.INCOMPLETE) return this.probes[i] === 0;
    if (s === NUD.PERMANENT) return false;
    if (s === NUD.REACHABLE && now - this.confirmed[i]! > this.reachableMs) this.state[i] = NUD.STALE;
    return this.state[i] === NUD.STALE && now - this.lastProbe[i]! >= PROBE_INTERVAL_MS;
  }

  /**
   * Until when (ms) slot `i` may be used without {@link wantsProbe}: forever when PERMANENT, the end
   * of REACHABLE for a confirmed entry, and never (-Infinity) otherwise.
   */
  usableUntil(i: number): number {
    const s = this.state[i]!;
    if (s === NUD.PERMANENT) return Number.POSITIVE_INFINITY;
    if (s === NUD.REACHABLE) return this.confirmed[i]! + this.reachableMs;
    return Number.NEGATIVE_INFINITY;
  }

  /** Records that a probe for slot `i` went out at `now`. */
  probed(i: number, now: number): void {
    this.lastProbe[i] = now;
    if (this.state[i] === NUD.INCOMPLETE) this.probes[i] = this.probes[i]! + 1;
  }

  /**
   * Stores a learnt (or configured) MAC for slot `i`: REACHABLE (PERMANENT when `permanent`).
   * Returns the head of its waiting queue (now detached; walk it with {@link nextQueued}) or -1.
   */
  learn(i: number, mac: Uint8Array, macOff: number, now: number, permanent = false): number {
    // A configured entry changes only by configuration: neigh_update() refuses a non-admin update
    // of a NUD_PERMANENT entry (net/core/neighbour.c), so ARP cannot re-point a static neighbour.
    if (this.state[i] === NUD.PERMANENT && !permanent) return -1;
    this.generation++;
    for (let k = 0; k < 6; k++) this.macs[i * 6 + k] = mac[macOff + k]!;
    if (this.state[i] !== NUD.PERMANENT) this.state[i] = permanent ? NUD.PERMANENT : NUD.REACHABLE;
    this.confirmed[i] = now;
    this.probes[i] = 0;
    const h = this.qhead[i]!;
    this.qhead[i] = -1;
    this.qcount[i] = 0;
    return h;
  }

  /**
   * Reserves a queue slot for a frame of `len` bytes waiting on entry `i`; returns the slot (its
   * bytes start at slot * slotBytes in qbuf), or -1 when the frame cannot wait (queue full).
   * The kernel drops the oldest frame; we drop the new one, which keeps the queue allocation-free.
   */
  enqueue(i: number, len: number): number {
    if (len > this.slotBytes || this.qcount[i]! >= this.perNeighbour || this.qfree < 0) return -1;
    if (this.qbuf.length === 0) this.qbuf = new Uint8Array(this.qlen.length * this.slotBytes);
    const s = this.qfree;
    this.qfree = this.qnext[s]!;
    this.qlen[s] = len;
    this.qnext[s] = -1;
    // Append at the tail so frames leave in arrival order.
    let t = this.qhead[i]!;
    if (t < 0) this.qhead[i] = s;
    else {
      while (this.qnext[t]! >= 0) t = this.qnext[t]!;
      this.qnext[t] = s;
    }
    this.qcount[i] = this.qcount[i]! + 1;
    this.queued++;
    return s;
  }

  /** The slot after `s` in a detached queue, or -1; `s` goes to the pending-free list. */
  nextQueued(s: number): number {
    const n = this.qnext[s]!;
    this.qnext[s] = this.qpending;
    this.qpending = s;
    return n;
  }

  /** Makes released slots reusable; call when the batch's tx actions have been sent. */
  flush(): void {
    while (this.qpending >= 0) {
      const s = this.qpending;
      this.qpending = this.qnext[s]!;
      this.qnext[s] = this.qfree;
      this.qfree = s;
      this.queued--;
    }
  }

  /**
   * Timer work for INCOMPLETE entries: returns a slot that needs another probe now, or that has
   * failed (state becomes NONE after its queue is handed back through `failedQueue`). Call
   * repeatedly from `from` until it returns -1.
   */
  due(from: number, now: number): number {
    const n = this.state.length;
    for (let i = from; i < n; i++) {
      if (this.state[i] !== NUD.INCOMPLETE) continue;
      if (now - this.lastProbe[i]! >= PROBE_INTERVAL_MS) return i;
    }
    return -1;
  }

  /** True when INCOMPLETE slot `i` has used all its probes. */
  exhausted(i: number): boolean {
    return this.probes[i]! >= MAX_PROBES;
  }

  /** Removes entry `i`; returns its detached queue head (to drop) or -1. */
  remove(i: number): number {
    this.generation++;
    const h = this.qhead[i]!;
    this.state[i] = NUD.NONE;
    this.qhead[i] = -1;
    this.qcount[i] = 0;
    this.size--;
    // Backward-shift deletion keeps linear probing correct without tombstones.
    let hole = i;
    let j = (i + 1) & this.mask;
    while (this.state[j] !== NUD.NONE) {
      const home = hash(this.keys[j]!) & this.mask;
      if (((j - home) & this.mask) >= ((j - hole) & this.mask)) {
        this.move(j, hole);
        hole = j;
      }
      j = (j + 1) & this.mask;
    }
    return h;
  }

  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from]!;
    this.state[to] = this.state[from]!;
    this.ifindex[to] = this.ifindex[from]!;
    this.confirmed[to] = this.confirmed[from]!;
    this.lastProbe[to] = this.lastProbe[from]!;
    this.probes[to] = this.probes[from]!;
    this.qhead[to] = this.qhead[from]!;
    this.qcount[to] = this.qcount[from]!;
    for (let k = 0; k < 6; k++) this.macs[to * 6 + k] = this.macs[from * 6 + k]!;
    this.state[from] = NUD.NONE;
    this.qhead[from] = -1;
    this.qcount[from] = 0;
  }
}

function hash(a: number): number {
  const h = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d);
  return h ^ (h >>> 12);
}
