/**
 * The IPVS connection table in structure-of-arrays form: every field lives in a preallocated,
 * growable typed array and an entry is an integer index, so the per-packet path allocates nothing
 * and the GC never sees ten million small objects (the kernel's struct ip_vs_conn objects in
 * net/netfilter/ipvs/ip_vs_conn.c, as records).
 *
 * Hashing follows ip_vs_conn.c: each entry is hashed once, by (protocol, caddr, cport)
 * (ip_vs_conn_hashkey()); inbound lookups hash the packet source and outbound lookups the packet
 * destination (the client). `size` reports 2^conn_tab_bits like the kernel's `size=` header, but
 * the index is an open-addressed table (conn-hash.ts) that keeps each key and its entry index in
 * one 16-byte slot and grows with the load: the kernel keeps 4096 chained buckets and lets chains
 * grow, which would make 10 M-entry lookups walk thousand-long chains here, and chaining costs a
 * second random memory access per lookup. Equal keys are found newest first, like hlist_add_head.
 *
 * This class is the facade: it owns the entry arrays and the hot record (conn-record.ts) and does
 * the lookups; its parts own their own arrays: the expiry wheel (conn-wheel.ts) with the index
 * removals deferred during expiry (conn-unhash.ts), the FULLNAT local-address index
 * (conn-local.ts), the IPv6 address side table (conn-addr6.ts; the main `caddr` field of an IPv6
 * entry holds its slot, so IPv4 entries stay small) and the batch warm-up (conn-warm.ts).
 */

import { ConnAddr6 } from './conn-addr6.js';
import { APP_N_CONTROL, APP_W, ConnApp } from './conn-app.js';
import { ConnKeyIndex, fold6, IDX_MASK, MAX_INDEX } from './conn-hash.js';
import { ConnLocalIndex, LOC_ADDR, LOC_PORT, LOC_W } from './conn-local.js';
import {
  type AddrWords,
  CONN_F,
  KIND,
  KIND_MASK,
  META_AF6,
  META_DAF6,
  META_LOCAL,
  R8_META,
  R8_STATE,
  R16_DPORT,
  REC_BYTES,
  RF_EXPIRES,
  RW,
} from './conn-record.js';
import { DeferredUnhash } from './conn-unhash.js';
import { ConnWarm } from './conn-warm.js';
import { ConnWheel, type WheelOwner } from './conn-wheel.js';
import { TableError } from './errors.js';

export {
  type AddrWords,
  CONN_F,
  CTPL_S,
  KIND,
  META_AF6,
  META_DAF6,
  REC_BYTES,
} from './conn-record.js';
export { WARM_ENTRIES_FROM, WARM_MIN_SLOTS } from './conn-warm.js';
export { WHEEL_TICK_MS } from './conn-wheel.js';

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

/** The connection table. */
export class ConnTable implements WheelOwner {
  /** 2^conn_tab_bits, what `ipvsadm -L` reports as `size=`. */
  readonly size: number;
  /** Allocated entries (conns, templates and unhashed one-packet conns). */
  count = 0;

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
  // line, through views of one buffer (layout in conn-record.ts). Nine separate arrays cost one
  // random line each per packet when traffic does not come in creation order; this is one.
  // Accessors (flagsOf, setFlags, ...) are the API: TurboFan inlines them.
  private hi: Int32Array;
  private hu: Uint32Array;
  private h16: Uint16Array;
  private h8: Uint8Array;
  private hf: Float64Array;
  /** Lookup index: key and entry index per 16-byte slot, one random access per lookup. */
  private readonly ix: ConnKeyIndex;
  private readonly wheel: ConnWheel;
  private readonly unhash = new DeferredUnhash();
  private readonly a6 = new ConnAddr6();
  private readonly local = new ConnLocalIndex();
  private readonly warm = new ConnWarm();
  /** Application-helper records and ports (conn-app.ts). */
  readonly app = new ConnApp();
  /** Live entries with NO_CPORT (ip_vs_conn_no_cport_cnt): while 0, no second inbound lookup. */
  noCport = 0;
  private readonly scratch = new Uint32Array(4);

  private cap: number;
  private high = 0;
  private freeHead = -1;
  private readonly onFree: ((idx: number) => void) | undefined;
  /**
   * Told when expiry re-arms a template that still controls conns instead of freeing it
   * (ip_vs_conn_expire()'s expire_later, where a sync master resends the template), after the
   * re-arm; null when nobody listens. Set by the engine: core knows nothing of sync.
   */
  onRearm: ((idx: number, now: number) => void) | null = null;

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
    this.wheel = new ConnWheel(c);
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
    ];
    let n = this.wheel.bytes() + this.a6.bytes() + this.local.bytes() + this.app.bytes();
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

  /** Number of entries carrying a FULLNAT local address (0 means the local index is unused). */
  get localCount(): number {
    return this.local.count;
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
    this.wheel.start(now);
    let i = this.freeHead;
    if (i >= 0) this.freeHead = this.wheel.next[i] as number;
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
      const s = this.a6.store(af, c, v, daf, d);
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
    // ip_vs_bind_app() → tcp_app_conn_bind(): a helper binds to NAT TCP conns to its ports
    // (and here to FULLNAT ones, forwarding method 5, which the kernel does not have).
    let f = flags;
    const fwd = f & CONN_F.FWD_MASK;
    if (proto === 6 && (fwd === 0 || fwd === 5) && (f & CONN_F.TEMPLATE) === 0 && this.app.watches(vport)) {
      f |= CONN_F.APP;
      this.app.bind(i, this.cap);
    }
    if (f & CONN_F.NO_CPORT) this.noCport++;
    this.setFlags(i, f);
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
      this.setFlags(i, f | CONN_F.HASHED);
      this.hashIn(i);
      this.setExpires(i, now + 3000);
      this.wheel.insert(i, now + 3000);
    } else {
      this.setExpires(i, now);
      this.wheel.detach(i);
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
    return this.find6(c, cport, v, ports, pcode(proto));
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
    const h = this.warm;
    if (w0 === h.hintW0 && ((cport << 2) | pc) === h.hintCp && this.ix.n === h.indexN)
      return this.ix.findAt(h.hintSlot, w0, vaddr | 0, w2, pc);
    return this.ix.find(w0, vaddr | 0, w2, pc);
  }

  /**
   * Warms the index for `n` coming IPv4 inbound lookups, keys as [caddr | 0, cport << 2 | pcode]
   * pairs ({@link pcodeOf}): a batch's index-slot misses overlap here instead of stalling one
   * lookup each (conn-warm.ts). Touches memory only; lookups stay exact whatever happens between
   * this call and them. Key k's home slot is kept for {@link hintIn4}.
   */
  warmIn4(keys: Int32Array, n: number): void {
    const L = this.local;
    this.warm.warmIn4(this.ix, keys, n, this.count, this.hi, RW, L.rec, LOC_W, L.count);
  }

  /** Names warmed key `k` as the next lookup's (or none for k < 0): see {@link findIn4}. */
  hintIn4(k: number): void {
    this.warm.hint(k);
  }

  /** Whether {@link warmIn4} also loads hot records (ConnWarm.entries: true, false, or undefined for the rule). */
  get warmEntries(): boolean | undefined {
    return this.warm.entries;
  }
  set warmEntries(v: boolean | undefined) {
    this.warm.entries = v;
  }

  /** Entries from which {@link warmEntries} (when undefined) warms records (default WARM_ENTRIES_FROM). */
  get warmEntriesFrom(): number {
    return this.warm.entriesFrom;
  }
  set warmEntriesFrom(v: number) {
    this.warm.entriesFrom = v;
  }

  /** Index size from which {@link warmWorthwhile} holds (tests lower it to exercise the warm-up). */
  get warmMinSlots(): number {
    return this.warm.minSlots;
  }
  set warmMinSlots(v: number) {
    this.warm.minSlots = v;
  }

  /** True when the index is large enough for {@link warmIn4} to pay (see WARM_MIN_SLOTS). */
  get warmWorthwhile(): boolean {
    return this.ix.n >= this.warm.minSlots;
  }

  /** Hot records the last {@link warmIn4} loaded (0 when it warmed the index only). */
  get lastRecordsWarmed(): number {
    return this.warm.lastRecords;
  }

  /** XOR of what {@link warmIn4} read: stored so the compiler keeps the loads. */
  get warmSink(): number {
    return this.warm.sink;
  }

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
          } else {
            const s6 = this.caddr[i] as number;
            if (this.a6.eq(s6, 0, c) && this.a6.eq(s6, 8, d)) return i;
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
    return this.find6(snet, 0, v, vport, tag);
  }

  // IPv6 exact-key probe: the index holds the addresses' folds, the side table the addresses.
  private find6(c: AddrWords, cport: number, v: AddrWords, w2: number, tag4: number): number {
    const ix = this.ix;
    const T = ix.slots;
    const n = ix.n;
    const w0 = fold6(c[0] as number, c[1] as number, c[2] as number, c[3] as number);
    const w1 = fold6(v[0] as number, v[1] as number, v[2] as number, v[3] as number);
    const tag = tag4 | TAG_AF6;
    let s = ix.home(ix.hash(w0, cport, tag & 3));
    for (;;) {
      const o = s << 2;
      const w3 = T[o + 3] as number;
      if (w3 === 0) return -1;
      if (T[o] === w0 && T[o + 2] === w2 && T[o + 1] === w1 && w3 >>> 28 === tag) {
        const i = (w3 & IDX_MASK) - 1;
        const s6 = this.caddr[i] as number;
        if (this.a6.eq(s6, 0, c) && this.a6.eq(s6, 4, v)) return i;
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
      this.wheel.unlink(i);
      this.wheel.insert(i, exp);
    }
  }

  /** Expires every entry due at `now`; templates still controlling conns are re-armed for 60 s. Returns how many were freed. */
  expire(now: number): number {
    if (!this.wheel.due(now)) return 0;
    this.unhash.begin(this.ix.n);
    try {
      return this.wheel.advance(now, this);
    } finally {
      // Dead entries stay in the index only until here (conn-unhash.ts).
      this.unhash.end(this.ix, this.h8, this.high, REC_BYTES, R8_META, KIND_MASK);
    }
  }

  /**
   * Runs `fn`, during which {@link kill} defers index removals to one pass at its end as
   * {@link expire} does: for callers that free many entries at once (drop_entry's sweep). `fn` must
   * not create entries or look any up.
   */
  batchKill<T>(fn: () => T): T {
    if (this.unhash.active) return fn();
    this.unhash.begin(this.ix.n);
    try {
      return fn();
    } finally {
      this.unhash.end(this.ix, this.h8, this.high, REC_BYTES, R8_META, KIND_MASK);
    }
  }

  /** For the wheel: entry `i` is due at `now`; frees it (true) or re-arms a template still in control (false). */
  expireDue(i: number, now: number): boolean {
    if (this.nControl(i) > 0) {
      // ip_vs_conn_expire: "do I control anybody?" → try again in 60 s, with timeout 60 from now on.
      this.setTimeoutSecs(i, 60);
      this.setExpires(i, now + 60_000);
      this.wheel.unlink(i);
      this.wheel.insert(i, now + 60_000);
      const h = this.onRearm;
      if (h !== null) h(i, now);
      return false;
    }
    this.kill(i);
    return true;
  }

  /**
   * n_control of entry `i`: the conns it controls. A template keeps it in `ctl`; a conn with a
   * helper (an FTP control conn, controlling its data conns) in its helper record.
   */
  nControl(i: number): number {
    const f = this.flagsOf(i);
    if (f & CONN_F.TEMPLATE) return this.ctl[i] as number;
    if (f & CONN_F.APP) return this.app.rec[i * APP_W + APP_N_CONTROL] as number;
    return 0;
  }

  /**
   * Frees an entry now: unhash, stop its timer, let the owner unbind the dest, drop the control
   * link (n_control--). Used by expiry and by "expire now" paths (rescheduling, nodest flush).
   */
  kill(i: number): void {
    const kind = this.metaOf(i) & KIND_MASK;
    if (kind === KIND.FREE) return;
    if (kind === KIND.LIVE) {
      if (this.unhash.active)
        this.unhash.add(
          this.keyWord(i, 0),
          ((this.cport[i] as number) << 2) | pcode(this.proto[i] as number),
          i,
        );
      else this.unhashIn(i);
      this.wheel.unlink(i);
    }
    if (this.metaOf(i) & META_LOCAL) this.unhashLocal(i);
    this.onFree?.(i);
    const f = this.flagsOf(i);
    const ct = this.ctl[i] as number;
    if ((f & CONN_F.TEMPLATE) === 0 && ct >= 0) this.controlDel(ct);
    if (f & CONN_F.NO_CPORT) this.noCport--;
    // A helper conn freed while it controls conns (a kill, not expiry, which waits for them):
    // its data conns lose their controller, as ip_vs_control_del() would leave them.
    if (f & CONN_F.APP && (this.app.rec[i * APP_W + APP_N_CONTROL] as number) > 0) this.orphan(i);
    const s6 = this.slot6(i);
    if (s6 >= 0) this.a6.release(s6);
    this.setMeta(i, KIND.FREE);
    this.setFlags(i, 0);
    this.setDest(i, -1);
    // A free entry is on no wheel slot: its wheel link threads the free list.
    this.wheel.next[i] = this.freeHead;
    this.freeHead = i;
    this.count--;
  }

  /** Links conn `i` to its controller `t`, a template or a helper conn (ip_vs_control_add): n_control++. */
  setControl(i: number, t: number): void {
    this.ctl[i] = t;
    if (this.flagsOf(t) & CONN_F.TEMPLATE) this.ctl[t] = (this.ctl[t] as number) + 1;
    else {
      const o = t * APP_W + APP_N_CONTROL;
      this.app.rec[o] = (this.app.rec[o] as number) + 1;
    }
  }

  // ip_vs_control_del: n_control-- on controller `ct`.
  private controlDel(ct: number): void {
    if (this.flagsOf(ct) & CONN_F.TEMPLATE) this.ctl[ct] = (this.ctl[ct] as number) - 1;
    else if (this.flagsOf(ct) & CONN_F.APP) {
      const o = ct * APP_W + APP_N_CONTROL;
      this.app.rec[o] = (this.app.rec[o] as number) - 1;
    }
  }

  // Unlinks every conn controlled by helper conn `t` (rare: only a killed FTP control conn).
  private orphan(t: number): void {
    for (let j = 0; j < this.high; j++) {
      if (
        j !== t &&
        this.ctl[j] === t &&
        (this.flagsOf(j) & CONN_F.TEMPLATE) === 0 &&
        this.metaOf(j) & KIND_MASK
      )
        this.ctl[j] = -1;
    }
    this.app.rec[t * APP_W + APP_N_CONTROL] = 0;
  }

  /**
   * ip_vs_conn_fill_cport(): a NO_CPORT conn (an FTP data conn announced by a 227/229 reply) met
   * its client's first packet; it is rehashed under the client's port and loses NO_CPORT.
   */
  fillCport(i: number, cport: number): void {
    const f = this.flagsOf(i);
    if ((f & CONN_F.NO_CPORT) === 0) return;
    const hashed = (this.metaOf(i) & KIND_MASK) === KIND.LIVE;
    if (hashed) this.unhashIn(i);
    this.cport[i] = cport;
    this.setFlags(i, f & ~CONN_F.NO_CPORT);
    this.noCport--;
    if (hashed) this.hashIn(i);
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
      this.a6.read(this.slot6(i), which, out);
      return;
    }
    out[0] = (which === 0 ? this.caddr[i] : which === 4 ? this.vaddr[i] : this.daddrOf(i)) as number;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
  }

  /** Gives entry `i` a FULLNAT local address (laddr:lport) and hashes it for reply lookups. */
  setLocal(i: number, l: AddrWords, lport: number): void {
    if (this.metaOf(i) & META_LOCAL) this.unhashLocal(i);
    this.local.add(i, l, lport, this.cap, this.high);
    this.setMeta(i, this.metaOf(i) | META_LOCAL);
  }

  /** Finds a FULLNAT conn by the reply tuple real server (d:dport) → local address (l:lport). */
  findOutLocal(proto: number, d: AddrWords, dport: number, l: AddrWords, lport: number): number {
    const L = this.local;
    if (L.count === 0) return -1;
    const tmp = this.scratch;
    for (let i = L.next(l, lport, -1); i >= 0; i = L.next(l, lport, i)) {
      if (this.dportOf(i) !== dport || this.proto[i] !== proto) continue;
      this.readAddr(i, 8, tmp);
      if (tmp[0] === d[0] && tmp[1] === d[1] && tmp[2] === d[2] && tmp[3] === d[3]) return i;
    }
    return -1;
  }

  /** FULLNAT local port of entry `i`, or -1 if it has none (the fast path's {@link readLocal}). */
  localPort(i: number): number {
    return this.metaOf(i) & META_LOCAL ? (this.local.rec[i * LOC_W + LOC_PORT] as number) : -1;
  }

  /** Word 0 of entry `i`'s FULLNAT local address as int32: the IPv4 LIP when {@link localPort} ≥ 0. */
  localAddr4(i: number): number {
    return this.local.rec[i * LOC_W + LOC_ADDR] as number;
  }

  /** Reads the FULLNAT local address of entry `i` into `out`; returns lport, or -1 if it has none. */
  readLocal(i: number, out: AddrWords): number {
    if ((this.metaOf(i) & META_LOCAL) === 0) return -1;
    const o = i * LOC_W;
    const L = this.local.rec;
    for (let k = 0; k < 4; k++) out[k] = L[o + LOC_ADDR + k] as number;
    return L[o + LOC_PORT] as number;
  }

  private unhashLocal(i: number): void {
    this.local.remove(i);
    this.setMeta(i, this.metaOf(i) & ~META_LOCAL);
  }

  /** Slot word 0 or 1 of entry `i`: the IPv4 address, or the fold of the IPv6 one. */
  private keyWord(i: number, which: 0 | 4): number {
    if (this.metaOf(i) & META_AF6) return this.a6.fold(this.caddr[i] as number, which);
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
    this.wheel.grow(nc);
    this.cap = nc;
    this.local.grow(nc);
    this.app.grow(nc);
  }
}
