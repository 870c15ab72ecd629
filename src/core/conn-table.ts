/**
 * The IPVS connection table in structure-of-arrays form (ipvs.md §1.5, §4.0): every field lives
 * in a preallocated, growable typed array and an entry is an integer index, so the per-packet
 * path allocates nothing and the GC never sees ten million small objects.
 *
 * Hashing follows ip_vs_conn.c: each entry is hashed once, by (protocol, caddr, cport); inbound
 * lookups hash the packet source and outbound lookups the packet destination (the client).
 * `size` reports 2^conn_tab_bits like the kernel's `size=` header, but the index is an
 * open-addressed table (conn-hash.ts) that keeps each key and its entry index in one 16-byte slot
 * and grows with the load: the kernel keeps 4096 chained buckets and lets chains grow, which
 * would make 10 M-entry lookups walk thousand-long chains here, and chaining costs a second
 * random memory access per lookup. Equal keys are found newest first, like hlist_add_head.
 *
 * Expiry uses a timer wheel of 64 ms ticks with doubly linked slot lists, so `expire(now)` costs
 * O(expired + ticks passed) instead of O(table). Re-arming later (the common per-packet case)
 * only rewrites the expiry time; the entry is re-filed when its old slot comes round. Re-arming
 * earlier (e.g. ESTABLISHED → CLOSE) moves it at once. Index removals of one expire() call are
 * deferred to its end: a few are removed one by one, a mass expiry (over ~3 % of the index) is
 * one sequential sweep of the index instead of one random memory access per entry.
 *
 * IPv6 entries keep their three addresses (12 words) in a side table; the main `caddr` field then
 * holds the side-table slot, so IPv4 entries stay small.
 */

import { ConnKeyIndex, fold6, IDX_MASK, MAX_INDEX } from './conn-hash.js';
import { TableError } from './errors.js';

/** Conn flags (IP_VS_CONN_F_*), kernel values. */
export const CONN_F = {
  FWD_MASK: 0x0007,
  SYNC: 0x0020,
  HASHED: 0x0040,
  NOOUTPUT: 0x0080,
  INACTIVE: 0x0100,
  OUT_SEQ: 0x0200,
  IN_SEQ: 0x0400,
  NO_CPORT: 0x0800,
  TEMPLATE: 0x1000,
  ONE_PACKET: 0x2000,
  NFCT: 0x10000,
} as const;

/** Template states (IP_VS_CTPL_S_*): NONE until a controlled conn is confirmed, then ASSURED. */
export const CTPL_S = { NONE: 0, ASSURED: 1 } as const;

/** Entry kinds kept in the low bits of `meta`. */
export const KIND = { FREE: 0, LIVE: 1, OPS: 3 } as const;
const KIND_MASK = 3;
/** meta bit: client/virtual addresses are IPv6 (af = 6). */
export const META_AF6 = 4;
/** meta bit: the destination address is IPv6 (daf = 6; differs from af only for tunnels). */
export const META_DAF6 = 8;
const META_LOCAL = 16;

// Slot tag bits (conn-hash.ts): protocol code in bits 0-1, then TEMPLATE and AF6.
const TAG_TEMPLATE = 4;
const TAG_AF6 = 8;
// Protocol codes in the tag: the table only ever holds IP (fwmark templates), TCP, UDP and SCTP.
const PCODE = new Uint8Array(256);
PCODE[6] = 1;
PCODE[17] = 2;
PCODE[132] = 3;
const pcode = (proto: number): number => PCODE[proto & 255] as number;
/** The protocol code the index hashes (TCP 1, UDP 2, SCTP 3, else 0), for {@link ConnTable.warmIn4} keys. */
export const pcodeOf = pcode;

/**
 * Index slots (16 B each) from which a batch warm-up pays: 512 KB, half this machine's L2. Below
 * it the slots stay in cache and the warm-up only adds its hashing (measured +5-10 ns per packet
 * at 1 k flows); above it the overlapped misses win (64 k flows: ~10-20 ns less, 1 M: ~75 ns).
 */
export const WARM_MIN_SLOTS = 1 << 15;

/**
 * Live entries from which the batch warm-up also loads each key's hot record when the batch
 * visits entries out of order (see ConnTable.warmEntries): 2^15 entries are 1 MB of records, this
 * machine's L2 per core; below it the records stay in L2 and the extra loads do not pay.
 */
export const WARM_ENTRIES_FROM = 1 << 15;

/** Slots {@link ConnTable.warmEntries} follows from a key's home to find its entry (a line and a half). */
const WARM_PROBE = 6;

/** Wheel tick in ms and number of slots (2^14 × 64 ms ≈ 17.5 min horizon; later timers go round). */
export const WHEEL_TICK_MS = 64;
const WHEEL_SLOTS = 1 << 14;
const WHEEL_MASK = WHEEL_SLOTS - 1;

/**
 * Bytes of an entry's hot record: flags (int32 word 0), dest (word 1), daddr (word 2, u32),
 * timeout in seconds (word 3), inPkts (word 4), dport (u16 at byte 20), meta (byte 22), state
 * (byte 23), expires in ms (float64 at byte 24). Exactly the nine arrays it replaces (32 B), so
 * the bytes per entry do not change.
 */
export const REC_BYTES = 32;
const RW = REC_BYTES >> 2; // int32 words per record
const R16_DPORT = 10; // u16 index within a record
const R8_META = 22;
const R8_STATE = 23;
const RF_EXPIRES = 3; // float64 index within a record
const LOC_W = 8; // int32 words per FULLNAT local-address record

/** Options of a connection table. */
export interface ConnTableOptions {
  /** conn_tab_bits: the reported size is 2^bits (kernel default 12, clamped 8..27). */
  tabBits?: number;
  /** Entries to preallocate (the table grows past it). */
  initialCapacity?: number;
  /** Called just before an entry is freed (expiry or kill) so the owner can unbind its dest. */
  onFree?: (idx: number) => void;
  /** Hash seed (the kernel uses a random one); fixed by default so runs are reproducible. */
  seed?: number;
}

/** A 4-word address buffer: IPv4 uses word 0 (host order), IPv6 all four (network word order). */
export type AddrWords = Uint32Array;

/** The connection table. */
export class ConnTable {
  /** 2^conn_tab_bits, what `ipvsadm -L` reports as `size=`. */
  readonly size: number;
  /** Allocated entries (conns, templates and unhashed one-packet conns). */
  count = 0;
  /** Number of entries carrying a FULLNAT local address (0 means the local hash is unused). */
  localCount = 0;

  // Cold per-entry fields (the general path's). Public for the director; replaced on growth, so
  // never cache them.
  proto: Uint8Array;
  caddr: Uint32Array;
  vaddr: Uint32Array;
  cport: Uint16Array;
  vport: Uint16Array;
  fwmark: Uint32Array;
  svc: Int32Array;
  /** For a conn: its controlling template index or -1. For a template: n_control. */
  ctl: Int32Array;
  // The hot record: every field the fast path reads or writes per packet (flags, dest, daddr,
  // timeout, inPkts, dport, meta, state, expires) in one 32-byte record per entry, two per cache
  // line, through views of one buffer (layout at REC_BYTES). Nine separate arrays cost one random
  // line each per packet when traffic does not come in creation order; this is one. Accessors
  // (flagsOf, setFlags, ...) are the API: TurboFan inlines them.
  private hi: Int32Array;
  private hu: Uint32Array;
  private h16: Uint16Array;
  private h8: Uint8Array;
  private hf: Float64Array;
  /** Lookup index: key and entry index per 16-byte slot, one random access per lookup. */
  private readonly ix: ConnKeyIndex;
  private tprev: Int32Array;
  private tnext: Int32Array;

  private cap: number;
  private high = 0;
  private freeHead = -1;
  private readonly onFree: ((idx: number) => void) | undefined;

  // Index removals deferred while expire() runs: [w0, cport << 2 | pcode, idx] per kill, or
  // npend = -2 once more than ~3 % of the index died, and then one sweep replaces them all.
  private pend: Int32Array = new Int32Array(0);
  private npend = -1;

  private readonly wheel = new Int32Array(WHEEL_SLOTS).fill(-1);
  private curTick = -1;
  private slotMin = 0;

  // IPv6 side table: 12 words per slot (c, v, d), its own free list.
  private v6: Uint32Array = new Uint32Array(0);
  private v6next: Int32Array = new Int32Array(0);
  private v6cap = 0;
  private v6high = 0;
  private v6free = -1;

  // FULLNAT local address side table, allocated on first use.
  // One 32-byte record per entry (LOC_W words: laddr 0-3, lport 4, chain link 5), so FULLNAT's
  // fast path reads its local address and port from one line.
  private loc: Int32Array = new Int32Array(0);
  private lbuckets: Int32Array = new Int32Array(0);

  constructor(opts: ConnTableOptions = {}) {
    const bits = Math.min(27, Math.max(8, opts.tabBits ?? 12));
    this.size = 2 ** bits;
    this.onFree = opts.onFree;
    this.cap = Math.max(16, opts.initialCapacity ?? 1024);
    const c = this.cap;
    this.proto = new Uint8Array(c);
    this.caddr = new Uint32Array(c);
    this.vaddr = new Uint32Array(c);
    this.cport = new Uint16Array(c);
    this.vport = new Uint16Array(c);
    this.fwmark = new Uint32Array(c);
    this.svc = new Int32Array(c);
    this.ctl = new Int32Array(c);
    const hot = new ArrayBuffer(c * REC_BYTES);
    this.hi = new Int32Array(hot);
    this.hu = new Uint32Array(hot);
    this.h16 = new Uint16Array(hot);
    this.h8 = new Uint8Array(hot);
    this.hf = new Float64Array(hot);
    this.tprev = new Int32Array(c);
    this.tnext = new Int32Array(c);
    this.ix = new ConnKeyIndex(this.cap, opts.seed ?? 0x2545f491);
  }

  /** Bytes held by the typed arrays (for the memory benchmark). */
  arrayBytes(): number {
    const arrays = [
      this.hi,
      this.proto,
      this.caddr,
      this.vaddr,
      this.cport,
      this.vport,
      this.fwmark,
      this.svc,
      this.ctl,
      this.ix.slots,
      this.tprev,
      this.tnext,
      this.wheel,
      this.v6,
      this.v6next,
      this.loc,
      this.lbuckets,
    ];
    let n = 0;
    for (const a of arrays) n += a.byteLength;
    return n;
  }

  /** Current entry capacity of the arrays. */
  get capacity(): number {
    return this.cap;
  }

  /** One past the highest index ever used: iterate 0..limit and test `kind` to walk the table. */
  get limit(): number {
    return this.high;
  }

  /** Conn flags (CONN_F) of entry `i`. */
  flagsOf(i: number): number {
    return this.hi[i * RW] as number;
  }

  /** Sets the conn flags of entry `i`. */
  setFlags(i: number, v: number): void {
    this.hi[i * RW] = v;
  }

  /** Dest id of entry `i` (-1 for none). */
  destOf(i: number): number {
    return this.hi[i * RW + 1] as number;
  }

  /** Sets the dest id of entry `i`. */
  setDest(i: number, v: number): void {
    this.hi[i * RW + 1] = v;
  }

  /** IPv4 destination address of entry `i` as u32 (its IPv6 side-table slot when daf is 6). */
  daddrOf(i: number): number {
    return this.hu[i * RW + 2] as number;
  }

  /** {@link daddrOf} as int32 bits: the fast path's form (stays a small integer, no heap number). */
  daddr4(i: number): number {
    return this.hi[i * RW + 2] as number;
  }

  private setDaddr(i: number, v: number): void {
    this.hu[i * RW + 2] = v;
  }

  /** Current timeout in seconds of entry `i` (what the next re-arm uses). */
  timeoutOf(i: number): number {
    return this.hu[i * RW + 3] as number;
  }

  /** Sets the timeout in seconds of entry `i` (used from the next re-arm on). */
  setTimeoutSecs(i: number, v: number): void {
    this.hu[i * RW + 3] = v;
  }

  /** Input packets counted on entry `i` (u32, wraps like the kernel's atomic_t). */
  inPktsOf(i: number): number {
    return this.hu[i * RW + 4] as number;
  }

  /** Sets the input packet count of entry `i`. */
  setInPkts(i: number, v: number): void {
    this.hu[i * RW + 4] = v;
  }

  /** Destination port of entry `i`. */
  dportOf(i: number): number {
    return this.h16[i * (REC_BYTES >> 1) + R16_DPORT] as number;
  }

  private setDport(i: number, v: number): void {
    this.h16[i * (REC_BYTES >> 1) + R16_DPORT] = v;
  }

  /** Protocol state of entry `i` (TCP_S / UDP_S / SCTP_S, or CTPL_S for a template). */
  stateOf(i: number): number {
    return this.h8[i * REC_BYTES + R8_STATE] as number;
  }

  /** Sets the protocol state of entry `i`. */
  setState(i: number, v: number): void {
    this.h8[i * REC_BYTES + R8_STATE] = v;
  }

  /** Expiry time of entry `i` in ms. */
  expiresOf(i: number): number {
    return this.hf[i * (REC_BYTES >> 3) + RF_EXPIRES] as number;
  }

  private setExpires(i: number, v: number): void {
    this.hf[i * (REC_BYTES >> 3) + RF_EXPIRES] = v;
  }

  private metaOf(i: number): number {
    return this.h8[i * REC_BYTES + R8_META] as number;
  }

  private setMeta(i: number, v: number): void {
    this.h8[i * REC_BYTES + R8_META] = v;
  }

  /** KIND of an entry. */
  kind(idx: number): number {
    return this.metaOf(idx) & KIND_MASK;
  }

  /** 4 or 6: the client/virtual address family of an entry. */
  af(idx: number): 4 | 6 {
    return this.metaOf(idx) & META_AF6 ? 6 : 4;
  }

  /** 4 or 6: the destination address family of an entry. */
  daf(idx: number): 4 | 6 {
    return this.metaOf(idx) & META_DAF6 ? 6 : 4;
  }

  /**
   * Creates an entry and hashes it (unless ONE_PACKET): state 0, timeout 3 s until the first
   * state transition (ip_vs_conn_new). Addresses are 4-word buffers; only word 0 matters for IPv4.
   */
  create(
    af: number,
    proto: number,
    c: AddrWords,
    cport: number,
    v: AddrWords,
    vport: number,
    daf: number,
    d: AddrWords,
    dport: number,
    flags: number,
    fwmark: number,
    dest: number,
    svc: number,
    now: number,
  ): number {
    if (this.curTick < 0) this.curTick = Math.floor(now / WHEEL_TICK_MS);
    let i = this.freeHead;
    if (i >= 0) this.freeHead = this.tnext[i] as number;
    else {
      // The index slot keeps entry indexes in 28 bits (2^28 - 2 entries, far past memory limits).
      if (this.high > MAX_INDEX) throw new TableError('ERR_LVS_RANGE', 'connection table is full');
      if (this.high === this.cap) this.grow();
      i = this.high++;
    }
    let meta: number = flags & CONN_F.ONE_PACKET ? KIND.OPS : KIND.LIVE;
    if (af === 6 || daf === 6) {
      // IPv6 addresses go to the side table; an IPv4 conn with an IPv6 tunnel dest keeps its
      // client/virtual addresses inline and stores the slot in `daddr`.
      const s = this.allocV6();
      const o = s * 12;
      const w = this.v6;
      for (let k = 0; k < 4; k++) {
        w[o + k] = af === 6 ? (c[k] as number) : 0;
        w[o + 4 + k] = af === 6 ? (v[k] as number) : 0;
        w[o + 8 + k] = daf === 6 ? (d[k] as number) : k === 0 ? (d[0] as number) : 0;
      }
      if (af === 6) {
        meta |= META_AF6;
        this.caddr[i] = s;
        this.vaddr[i] = 0;
        this.setDaddr(i, daf === 6 ? 0 : (d[0] as number));
      } else {
        this.caddr[i] = c[0] as number;
        this.vaddr[i] = v[0] as number;
        this.setDaddr(i, s);
      }
      if (daf === 6) meta |= META_DAF6;
    } else {
      this.caddr[i] = c[0] as number;
      this.vaddr[i] = v[0] as number;
      this.setDaddr(i, d[0] as number);
    }
    this.setMeta(i, meta);
    this.proto[i] = proto;
    this.setState(i, 0);
    this.setFlags(i, flags);
    this.cport[i] = cport;
    this.vport[i] = vport;
    this.setDport(i, dport);
    this.fwmark[i] = fwmark;
    this.setTimeoutSecs(i, 3);
    this.setDest(i, dest);
    this.svc[i] = svc;
    this.ctl[i] = flags & CONN_F.TEMPLATE ? 0 : -1;
    this.setInPkts(i, 0);
    this.count++;
    if ((meta & KIND_MASK) === KIND.LIVE) {
      this.setFlags(i, flags | CONN_F.HASHED);
      this.hashIn(i);
      this.setExpires(i, now + 3000);
      this.wheelInsert(i);
    } else {
      this.setExpires(i, now);
      this.tprev[i] = -1;
      this.tnext[i] = -1;
    }
    return i;
  }

  /** Side-table slot of an entry with any IPv6 address, or -1. */
  private slot6(i: number): number {
    const m = this.metaOf(i);
    if (m & META_AF6) return this.caddr[i] as number;
    if (m & META_DAF6) return this.daddrOf(i);
    return -1;
  }

  /** Finds the conn of an inbound packet: client (c:cport) → virtual (v:vport); -1 if none (ip_vs_conn_in_get). */
  findIn(af: number, proto: number, c: AddrWords, cport: number, v: AddrWords, vport: number): number {
    const ports = (cport << 16) | vport;
    // Tag must be exactly this protocol, not a template, and of this family.
    if (af === 4) return this.ix.find((c[0] as number) | 0, (v[0] as number) | 0, ports, pcode(proto));
    const ix = this.ix;
    const T = ix.slots;
    const n = ix.n;
    const w0 = fold6(c[0] as number, c[1] as number, c[2] as number, c[3] as number);
    const w1 = fold6(v[0] as number, v[1] as number, v[2] as number, v[3] as number);
    const tag = pcode(proto) | TAG_AF6;
    let s = ix.home(ix.hash(w0, cport, tag & 3));
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && T[o + 2] === ports && T[o + 1] === w1 && w3 >>> 28 === tag) {
        const i = (w3 & IDX_MASK) - 1;
        if (this.eq6(i, 0, c) && this.eq6(i, 4, v)) return i;
      }
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /**
   * {@link findIn} for IPv4 with the addresses as numbers (host-order bits; int32 stays unboxed).
   * When the key is the one {@link hintIn4} named and the index has not been resized since it was
   * warmed, the probe starts at the home slot the warm-up computed instead of hashing again (the
   * home is a function of the key and the size alone, so the answer is the same).
   */
  findIn4(proto: number, caddr: number, cport: number, vaddr: number, vport: number): number {
    const w0 = caddr | 0;
    const pc = pcode(proto);
    const w2 = (cport << 16) | vport;
    if (w0 === this.hintW0 && ((cport << 2) | pc) === this.hintCp && this.ix.n === this.warmN)
      return this.ix.findAt(this.hintSlot, w0, vaddr | 0, w2, pc);
    return this.ix.find(w0, vaddr | 0, w2, pc);
  }

  /**
   * Warms the index for `n` coming IPv4 inbound lookups, keys as [caddr | 0, cport << 2 | pcode]
   * pairs ({@link pcodeOf}): a batch's index-slot misses overlap here instead of stalling one
   * lookup each. Touches memory only; lookups stay exact whatever happens between this call and
   * them. Key k's home slot is kept for {@link hintIn4}.
   */
  warmIn4(keys: Int32Array, n: number): void {
    if (this.warmKeys.length < n * 2) {
      this.warmKeys = new Int32Array(n * 2);
      this.warmHomes = new Int32Array(n);
    }
    for (let j = 0; j < n * 2; j++) this.warmKeys[j] = keys[j] as number;
    this.warmSink ^= this.ix.touch(keys, n, this.warmHomes);
    this.warmN = this.ix.n;
    const we = this.warmEntries;
    // Undefined: records too once they outgrow L2, unless the batch visits them in order (a
    // sixteenth or more of the homes name an entry next to the previous key's: in random order
    // hardly any do, in creation order a half or more, less whatever sits off its home), which the
    // hardware prefetcher already follows and the extra loads only slow (measured: +11-23 ns per
    // packet in creation order at 64 k flows, 40-140 ns saved in random order).
    if (we === true || (we === undefined && this.count >= this.warmEntriesFrom && this.ix.lastNear * 16 < n))
      this.warmSink ^= this.touchEntries(keys, n);
    else this.lastRecordsWarmed = 0;
  }

  /**
   * Also load, in {@link warmIn4}, the hot record (one line) of each key's entry (the first slot
   * from its home with the key's client address and port), so those misses overlap too: true
   * forces it, false stops it, undefined (the default) warms once the table holds
   * {@link warmEntriesFrom} entries and the batch visits entries out of order. Measured with
   * bench:engine at 64 k flows: in random order (as real traffic comes) it saves 40-140 ns per
   * packet; in creation order, which the hardware prefetcher follows, it would cost 11-23 ns.
   */
  warmEntries: boolean | undefined = undefined;

  /** Entries from which {@link warmEntries} (when undefined) warms: 2^19, 16 MB of records, half the L3. */
  warmEntriesFrom = WARM_ENTRIES_FROM;

  private touchEntries(keys: Int32Array, n: number): number {
    const T = this.ix.slots;
    const homes = this.warmHomes;
    let x = 0;
    let warmed = 0;
    const last = this.ix.n - 1;
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
      // One load: the hot record is one line (and the FULLNAT local record when present).
      x ^= this.hi[i * RW] as number;
      warmed++;
      if (this.localCount > 0) x ^= this.loc[i * LOC_W] as number;
    }
    this.lastRecordsWarmed = warmed;
    return x;
  }

  /** Names warmed key `k` as the next lookup's (or none for k < 0): see {@link findIn4}. */
  hintIn4(k: number): void {
    if (k < 0) {
      this.hintW0 = 0;
      this.hintCp = -1;
      return;
    }
    this.hintW0 = this.warmKeys[2 * k] as number;
    this.hintCp = this.warmKeys[2 * k + 1] as number;
    this.hintSlot = this.warmHomes[k] as number;
  }

  private warmKeys = new Int32Array(0);
  private warmHomes = new Int32Array(0);
  private warmN = -1;
  private hintW0 = 0;
  private hintCp = -1;
  private hintSlot = 0;

  /** Hot records the last {@link warmIn4} loaded (0 when it warmed the index only). */
  lastRecordsWarmed = 0;

  /** XOR of what {@link warmIn4} read: stored so the compiler keeps the loads. */
  warmSink = 0;

  /** True when the index is large enough for {@link warmIn4} to pay (see WARM_MIN_SLOTS). */
  get warmWorthwhile(): boolean {
    return this.ix.n >= this.warmMinSlots;
  }

  /** Index size from which {@link warmWorthwhile} holds (tests lower it to exercise the warm-up). */
  warmMinSlots = WARM_MIN_SLOTS;

  /**
   * Finds the conn of a reply: real server (d:dport) → client (c:cport) (ip_vs_conn_out_get).
   * The caller decides for which forwarding methods a reply can be seen at all.
   */
  findOut(af: number, proto: number, d: AddrWords, dport: number, c: AddrWords, cport: number): number {
    const ix = this.ix;
    const T = ix.slots;
    const n = ix.n;
    const v4 = af !== 6;
    const w0 = v4
      ? (c[0] as number) | 0
      : fold6(c[0] as number, c[1] as number, c[2] as number, c[3] as number);
    const tag = pcode(proto) | (v4 ? 0 : TAG_AF6);
    const daf = v4 ? 0 : META_DAF6;
    let s = ix.home(ix.hash(w0, cport, tag & 3));
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && (T[o + 2] as number) >>> 16 === cport && w3 >>> 28 === tag) {
        const i = (w3 & IDX_MASK) - 1;
        if (this.dportOf(i) === dport && (this.metaOf(i) & META_DAF6) === daf) {
          if (v4) {
            if (this.daddrOf(i) === d[0]) return i;
          } else if (this.eq6(i, 0, c) && this.eq6(i, 8, d)) {
            return i;
          }
        }
      }
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /** Finds a persistence template <proto, snet, 0, vaddr, vport> (ip_vs_ct_in_get). */
  findTemplate(af: number, proto: number, snet: AddrWords, v: AddrWords, vport: number): number {
    const tag = pcode(proto) | TAG_TEMPLATE;
    if (af !== 6) return this.ix.find((snet[0] as number) | 0, (v[0] as number) | 0, vport, tag);
    const ix = this.ix;
    const T = ix.slots;
    const n = ix.n;
    const w0 = fold6(snet[0] as number, snet[1] as number, snet[2] as number, snet[3] as number);
    const w1 = fold6(v[0] as number, v[1] as number, v[2] as number, v[3] as number);
    let s = ix.home(ix.hash(w0, 0, tag & 3));
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && T[o + 2] === vport && T[o + 1] === w1 && w3 >>> 28 === (tag | TAG_AF6)) {
        const i = (w3 & IDX_MASK) - 1;
        if (this.eq6(i, 0, snet) && this.eq6(i, 4, v)) return i;
      }
      s = s + 1 === n ? 0 : s + 1;
    }
  }

  /** Re-arms an entry's timer to now + its timeout (ip_vs_conn_put). */
  touch(i: number, now: number): void {
    if ((this.metaOf(i) & KIND_MASK) === KIND.LIVE) this.touchLive(i, now);
  }

  /** {@link touch} for an entry known to be LIVE (one a lookup just found in the index). */
  touchLive(i: number, now: number): void {
    const exp = now + this.timeoutOf(i) * 1000;
    const old = this.expiresOf(i);
    this.setExpires(i, exp);
    // Later: stay in the old slot and be re-filed lazily. Earlier: move now so it is not late.
    if (exp < old) {
      this.wheelUnlink(i);
      this.wheelInsert(i);
    }
  }

  /** Expires every entry due at `now`; templates still controlling conns are re-armed for 60 s. Returns how many were freed. */
  expire(now: number): number {
    const nt = Math.floor(now / WHEEL_TICK_MS);
    if (nt === this.curTick && now < this.slotMin) return 0;
    if (this.curTick < 0) this.curTick = nt;
    if (nt < this.curTick) return 0; // time went backwards: nothing can be due that was not before
    let freed = 0;
    this.slotMin = Number.POSITIVE_INFINITY;
    const room = Math.max(64, this.ix.n >>> 5) * 3;
    if (this.pend.length < room) this.pend = new Int32Array(room);
    this.npend = 0;
    try {
      if (nt - this.curTick >= WHEEL_SLOTS) {
        for (let s = 0; s < WHEEL_SLOTS; s++) freed += this.walk(s, now, nt);
        this.curTick = nt;
        freed += this.walk(nt & WHEEL_MASK, now, nt);
      } else {
        for (let t = this.curTick; t <= nt; t++) {
          this.curTick = t;
          freed += this.walk(t & WHEEL_MASK, now, nt);
        }
      }
    } finally {
      this.flushUnhash();
    }
    return freed;
  }

  // Dead entries stay in the index only until here; nothing allocates an entry during expire(),
  // so no freed index can be reused while its stale slot is still present.
  private flushUnhash(): void {
    const k = this.npend;
    this.npend = -1;
    if (k === -2) {
      // The sweep asks each slot's entry for its kind in index order, i.e. at random: from a
      // dense copy of the kind bytes (1 B per entry, made in one sequential pass and dropped)
      // that is one cached byte, from the records one line per slot (measured: 2x the time).
      const n = this.high;
      const kinds = new Uint8Array(n);
      const h8 = this.h8;
      for (let i = 0; i < n; i++) kinds[i] = h8[i * REC_BYTES + R8_META] as number;
      this.ix.sweep(kinds, 1, 0, KIND_MASK);
      return;
    }
    const p = this.pend;
    for (let j = 0; j < k * 3; j += 3) {
      const x = p[j + 1] as number;
      this.ix.remove(p[j] as number, x >>> 2, x & 3, p[j + 2] as number);
    }
  }

  private deferUnhash(i: number): void {
    const k = this.npend;
    if (k < 0) return;
    const o = k * 3;
    if (o + 3 > this.pend.length) {
      this.npend = -2;
      return;
    }
    this.pend[o] = this.keyWord(i, 0);
    this.pend[o + 1] = ((this.cport[i] as number) << 2) | pcode(this.proto[i] as number);
    this.pend[o + 2] = i;
    this.npend = k + 1;
  }

  private walk(slot: number, now: number, nt: number): number {
    let freed = 0;
    let i = this.wheel[slot] as number;
    while (i >= 0) {
      const next = this.tnext[i] as number;
      const exp = this.expiresOf(i);
      if (exp <= now) {
        if ((this.flagsOf(i) & CONN_F.TEMPLATE) !== 0 && (this.ctl[i] as number) > 0) {
          // ip_vs_conn_expire: "do I control anybody?" → try again in 60 s, with timeout 60 from now on.
          this.setTimeoutSecs(i, 60);
          this.setExpires(i, now + 60_000);
          this.wheelUnlink(i);
          this.wheelInsert(i);
        } else {
          this.kill(i);
          freed++;
        }
      } else {
        const tick = Math.floor(exp / WHEEL_TICK_MS);
        const ts = tick & WHEEL_MASK;
        if (ts !== slot) {
          this.wheelUnlink(i);
          this.wheelInsert(i);
        } else if (tick <= nt && exp < this.slotMin) {
          this.slotMin = exp;
        }
      }
      i = next;
    }
    return freed;
  }

  /**
   * Frees an entry now: unhash, stop its timer, let the owner unbind the dest, drop the control
   * link (n_control--). Used by expiry and by "expire now" paths (rescheduling, nodest flush).
   */
  kill(i: number): void {
    const kind = this.metaOf(i) & KIND_MASK;
    if (kind === KIND.FREE) return;
    if (kind === KIND.LIVE) {
      if (this.npend === -1) this.unhashIn(i);
      else this.deferUnhash(i);
      this.wheelUnlink(i);
    }
    if (this.metaOf(i) & META_LOCAL) this.unhashLocal(i);
    this.onFree?.(i);
    const f = this.flagsOf(i);
    const ct = this.ctl[i] as number;
    if ((f & CONN_F.TEMPLATE) === 0 && ct >= 0) this.ctl[ct] = (this.ctl[ct] as number) - 1;
    const s6 = this.slot6(i);
    if (s6 >= 0) this.freeV6(s6);
    this.setMeta(i, KIND.FREE);
    this.setFlags(i, 0);
    this.setDest(i, -1);
    this.tnext[i] = this.freeHead;
    this.freeHead = i;
    this.count--;
  }

  /** Links conn `i` to template `t` (ip_vs_control_add): n_control++. */
  setControl(i: number, t: number): void {
    this.ctl[i] = t;
    this.ctl[t] = (this.ctl[t] as number) + 1;
  }

  /**
   * Invalidates a template whose dest is gone (ip_vs_check_template): rehash with vport = dport =
   * 0xFFFF and cport 0 so no lookup matches it again; it dies by its own timer.
   */
  neutralise(t: number): void {
    if (this.vport[t] === 0xffff) return;
    const hashed = (this.metaOf(t) & KIND_MASK) === KIND.LIVE;
    // ip_vs_check_template unhashes and rehashes: cport is part of the hash.
    if (hashed) this.unhashIn(t);
    this.vport[t] = 0xffff;
    this.setDport(t, 0xffff);
    this.cport[t] = 0;
    if (hashed) this.hashIn(t);
  }

  /** Verifies the lookup index (probe invariant, occupancy = hashed entries) and returns its longest probe; for tests. */
  checkIndex(): number {
    let hashed = 0;
    for (let i = 0; i < this.high; i++) if ((this.metaOf(i) & KIND_MASK) === KIND.LIVE) hashed++;
    if (hashed !== this.ix.used) throw new Error(`index holds ${this.ix.used} slots for ${hashed} entries`);
    return this.ix.check();
  }

  /** Copies address `which` (0 client, 4 virtual, 8 destination) of entry `i` into `out` (4 words). */
  readAddr(i: number, which: 0 | 4 | 8, out: AddrWords): void {
    const m = this.metaOf(i);
    if (which === 8 ? m & META_DAF6 : m & META_AF6) {
      const o = this.slot6(i) * 12 + which;
      for (let k = 0; k < 4; k++) out[k] = this.v6[o + k] as number;
      return;
    }
    out[0] = (which === 0 ? this.caddr[i] : which === 4 ? this.vaddr[i] : this.daddrOf(i)) as number;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
  }

  /** Gives entry `i` a FULLNAT local address (laddr:lport) and hashes it for reply lookups. */
  setLocal(i: number, l: AddrWords, lport: number): void {
    if (this.lbuckets.length === 0) this.lbuckets = new Int32Array(1024).fill(-1);
    if (this.loc.length < this.cap * LOC_W) this.growLocal();
    if (this.metaOf(i) & META_LOCAL) this.unhashLocal(i);
    const o = i * LOC_W;
    const L = this.loc;
    for (let k = 0; k < 4; k++) L[o + k] = l[k] as number;
    L[o + 4] = lport;
    this.setMeta(i, this.metaOf(i) | META_LOCAL);
    const b = this.localHash(L[o] as number, L[o + 3] as number, lport);
    L[o + 5] = this.lbuckets[b] as number;
    this.lbuckets[b] = i;
    this.localCount++;
    // Keep FULLNAT chains short too: double the local buckets past 2 entries per bucket.
    if (this.localCount > this.lbuckets.length * 2) this.rehashLocal(this.lbuckets.length * 2);
  }

  /** Finds a FULLNAT conn by the reply tuple real server (d:dport) → local address (l:lport). */
  findOutLocal(proto: number, d: AddrWords, dport: number, l: AddrWords, lport: number): number {
    if (this.localCount === 0) return -1;
    const L = this.loc;
    let i = this.lbuckets[this.localHash((l[0] as number) | 0, (l[3] as number) | 0, lport)] as number;
    const tmp = this.scratch;
    while (i >= 0) {
      const o = i * LOC_W;
      if (L[o + 4] === lport && this.dportOf(i) === dport && this.proto[i] === proto) {
        let same = true;
        for (let k = 0; k < 4; k++) if (L[o + k] !== ((l[k] as number) | 0)) same = false;
        this.readAddr(i, 8, tmp);
        for (let k = 0; k < 4; k++) if (tmp[k] !== d[k]) same = false;
        if (same) return i;
      }
      i = L[o + 5] as number;
    }
    return -1;
  }

  /** FULLNAT local port of entry `i`, or -1 if it has none (the fast path's {@link readLocal}). */
  localPort(i: number): number {
    return this.metaOf(i) & META_LOCAL ? (this.loc[i * LOC_W + 4] as number) : -1;
  }

  /** Word 0 of entry `i`'s FULLNAT local address as int32: the IPv4 LIP when {@link localPort} ≥ 0. */
  localAddr4(i: number): number {
    return this.loc[i * LOC_W] as number;
  }

  /** Reads the FULLNAT local address of entry `i` into `out`; returns lport, or -1 if it has none. */
  readLocal(i: number, out: AddrWords): number {
    if ((this.metaOf(i) & META_LOCAL) === 0) return -1;
    const o = i * LOC_W;
    for (let k = 0; k < 4; k++) out[k] = this.loc[o + k] as number;
    return this.loc[o + 4] as number;
  }

  private readonly scratch = new Uint32Array(4);

  private rehashLocal(nb: number): void {
    this.lbuckets = new Int32Array(nb).fill(-1);
    const L = this.loc;
    for (let i = 0; i < this.high; i++) {
      if ((this.metaOf(i) & META_LOCAL) === 0) continue;
      const o = i * LOC_W;
      const b = this.localHash(L[o] as number, L[o + 3] as number, L[o + 4] as number);
      L[o + 5] = this.lbuckets[b] as number;
      this.lbuckets[b] = i;
    }
  }

  // Words 0 and 3 of the local address as int32 (same bits as before, so the same buckets).
  private localHash(l0: number, l3: number, lport: number): number {
    const h = Math.imul(l0 ^ l3 ^ Math.imul(lport, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & (this.lbuckets.length - 1);
  }

  private unhashLocal(i: number): void {
    const L = this.loc;
    const o = i * LOC_W;
    const b = this.localHash(L[o] as number, L[o + 3] as number, L[o + 4] as number);
    let p = -1;
    let j = this.lbuckets[b] as number;
    while (j >= 0 && j !== i) {
      p = j;
      j = L[j * LOC_W + 5] as number;
    }
    if (j === i) {
      if (p < 0) this.lbuckets[b] = L[o + 5] as number;
      else L[p * LOC_W + 5] = L[o + 5] as number;
    }
    this.setMeta(i, this.metaOf(i) & ~META_LOCAL);
    this.localCount--;
  }

  private growLocal(): void {
    const la = new Int32Array(this.cap * LOC_W);
    la.set(this.loc);
    this.loc = la;
  }

  /** Slot word 0 or 1 of entry `i`: the IPv4 address, or the fold of the IPv6 one. */
  private keyWord(i: number, which: 0 | 4): number {
    if (this.metaOf(i) & META_AF6) {
      const o = (this.caddr[i] as number) * 12 + which;
      const w = this.v6;
      return fold6(w[o] as number, w[o + 1] as number, w[o + 2] as number, w[o + 3] as number);
    }
    return ((which === 0 ? this.caddr[i] : this.vaddr[i]) as number) | 0;
  }

  private hashIn(i: number): void {
    const m = this.metaOf(i);
    const tag =
      pcode(this.proto[i] as number) |
      (this.flagsOf(i) & CONN_F.TEMPLATE ? TAG_TEMPLATE : 0) |
      (m & META_AF6 ? TAG_AF6 : 0);
    const w2 = ((this.cport[i] as number) << 16) | (this.vport[i] as number);
    this.ix.insert(this.keyWord(i, 0), this.keyWord(i, 4), w2, tag, i);
  }

  private unhashIn(i: number): void {
    this.ix.remove(this.keyWord(i, 0), this.cport[i] as number, pcode(this.proto[i] as number), i);
  }

  private eq6(i: number, which: number, a: AddrWords): boolean {
    const o = (this.caddr[i] as number) * 12 + which;
    const w = this.v6;
    return w[o] === a[0] && w[o + 1] === a[1] && w[o + 2] === a[2] && w[o + 3] === a[3];
  }

  // Slot heads store -(slot + 2) in tprev so unlinking a head needs no slot field.
  private wheelInsert(i: number): void {
    let tick = Math.floor(this.expiresOf(i) / WHEEL_TICK_MS);
    if (this.curTick >= 0 && tick <= this.curTick) {
      tick = this.curTick;
      if (this.expiresOf(i) < this.slotMin) this.slotMin = this.expiresOf(i);
    }
    const s = tick & WHEEL_MASK;
    const h = this.wheel[s] as number;
    this.tnext[i] = h;
    this.tprev[i] = -(s + 2);
    if (h >= 0) this.tprev[h] = i;
    this.wheel[s] = i;
  }

  private wheelUnlink(i: number): void {
    const p = this.tprev[i] as number;
    const n = this.tnext[i] as number;
    if (p >= 0) this.tnext[p] = n;
    else if (p <= -2) this.wheel[-p - 2] = n;
    if (n >= 0) this.tprev[n] = p;
    this.tprev[i] = -1;
    this.tnext[i] = -1;
  }

  private allocV6(): number {
    let s = this.v6free;
    if (s >= 0) {
      this.v6free = this.v6next[s] as number;
      return s;
    }
    if (this.v6high === this.v6cap) {
      const nc = Math.max(64, this.v6cap * 2);
      const w = new Uint32Array(nc * 12);
      w.set(this.v6);
      this.v6 = w;
      const n = new Int32Array(nc);
      n.set(this.v6next);
      this.v6next = n;
      this.v6cap = nc;
    }
    s = this.v6high++;
    return s;
  }

  private freeV6(s: number): void {
    this.v6next[s] = this.v6free;
    this.v6free = s;
  }

  // Doubles while small, then grows by a quarter so a 10 M-entry table wastes at most ~25 %.
  private grow(): void {
    const nc = this.cap < 1 << 20 ? this.cap * 2 : this.cap + (this.cap >>> 2);
    const g = <T extends { length: number; set(a: T): void }>(a: T, make: (n: number) => T): T => {
      const b = make(nc);
      b.set(a);
      return b;
    };
    this.proto = g(this.proto, (n) => new Uint8Array(n));
    this.caddr = g(this.caddr, (n) => new Uint32Array(n));
    this.vaddr = g(this.vaddr, (n) => new Uint32Array(n));
    this.cport = g(this.cport, (n) => new Uint16Array(n));
    this.vport = g(this.vport, (n) => new Uint16Array(n));
    this.fwmark = g(this.fwmark, (n) => new Uint32Array(n));
    this.svc = g(this.svc, (n) => new Int32Array(n));
    this.ctl = g(this.ctl, (n) => new Int32Array(n));
    const hot = new ArrayBuffer(nc * REC_BYTES);
    new Uint8Array(hot).set(this.h8);
    this.hi = new Int32Array(hot);
    this.hu = new Uint32Array(hot);
    this.h16 = new Uint16Array(hot);
    this.h8 = new Uint8Array(hot);
    this.hf = new Float64Array(hot);
    this.tprev = g(this.tprev, (n) => new Int32Array(n));
    this.tnext = g(this.tnext, (n) => new Int32Array(n));
    this.cap = nc;
    if (this.lbuckets.length > 0) this.growLocal();
  }
}
