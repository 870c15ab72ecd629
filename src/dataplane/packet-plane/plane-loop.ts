/**
 * The packet plane's driver loop: every receive batch from every interface goes through the
 * engine (Engine.handleBatch), the engine appends tx/drop actions, and the loop then sends them with
 * one batched call per egress interface. `now` is read once per batch. Nothing is allocated per
 * frame; counters are typed arrays.
 *
 * Zero-copy transmit: the engine rewrites most frames in place (DR only changes the MACs), so a
 * tx action usually points into the receive ring itself. When the driver can send straight from
 * a caller's buffer ({@link DirectSend}, the AF_PACKET socket), the loop only records
 * [offset, length] pairs and sends runs of frames from the memory they lie in; the ring blocks
 * are handed back to the kernel after the callback returns, so the memory is still valid. Other
 * drivers get the frames copied into a {@link TxBatch}. Frame order per interface is kept: a run
 * is sent before a frame from another buffer joins the queue.
 */

import {
  type Driver,
  FRAME_META_WORDS,
  META_CAPLEN,
  META_OFFSET,
  META_STATUS,
  type RxFrameBatch,
  TP_STATUS_CSUMNOTREADY,
  TP_STATUS_GSO_TCP,
  TxBatch,
} from '../../io/driver.js';

/** ACT.DROP of engine/actions.ts (ACT.TX and ACT.LOCAL are sent alike, by their ifindex). */
const ACT_DROP = 2;

/** The engine's action records as the loop reads them (engine/actions.ts ActionList). */
export interface EngineActions {
  readonly count: number;
  readonly capacity: number;
  readonly kind: Uint8Array;
  readonly ifindex: Int32Array;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  readonly reason: Uint16Array;
  readonly bufs: Uint8Array[];
}

/**
 * What the loop needs from the engine (engine/engine.ts Engine has this shape): handle a receive
 * batch's frames, laid out as its meta words, appending to `actions`; tx buffers stay valid until
 * `flush`. How the engine goes through the batch (warming its conn lookups together, segmenting
 * GSO frames) is its own business.
 */
export interface FrameEngine {
  readonly actions: EngineActions;
  /**
   * Handles `count` frames: frame i lies at `buf[meta[offIndex + i * stride], +
   * meta[lenIndex + i * stride])` and carries the FRAME_F flags `flags[i]`.
   */
  handleBatch(
    buf: Uint8Array,
    meta: ArrayLike<number>,
    count: number,
    stride: number,
    offIndex: number,
    lenIndex: number,
    ifindex: number,
    flags: ArrayLike<number>,
    now: number,
  ): void;
  /** Releases the batch's actions and tx memory. */
  flush(): void;
  /**
   * Frames waiting for neighbour resolution (including released ones not yet flushed): the most
   * tx actions the frames of one chunk may add by releasing queues (an ARP reply sends its
   * neighbour's whole queue). Undefined: {@link QUEUE_RELEASE_DEFAULT}.
   */
  readonly queuedFrames?: number;
  /** Timer work (ARP retries); appends actions. */
  tick?(now: number): void;
  /** End of a receive batch, its output sent (the XDP flow offload's installs). */
  afterBatch?(now: number): void;
  /** Appends a gratuitous ARP for the IPv4 address `ip` (host-order u32) on `ifindex`; false if it cannot. */
  announce?(ifindex: number, ip: number): boolean;
  /** Appends an unsolicited neighbour advert for the IPv6 address `ip` (16 bytes) on `ifindex`; false if it cannot. */
  announce6?(ifindex: number, ip: Uint8Array): boolean;
}

/** Most frames handed to Engine.handleBatch at a time (its warm-up overlaps this many lookups). */
const CHUNK_FRAMES = 64;
/**
 * Worst-case actions of one frame of its own (a tx, an ARP probe, an ICMP error, a drop); the
 * queued frames it may release are budgeted per chunk from {@link FrameEngine.queuedFrames}.
 */
const FRAME_ACTIONS = 4;
/** The release budget of an engine that does not report its queued frames. */
const QUEUE_RELEASE_DEFAULT = 16;
/** Worst-case actions of a TCP GSO super-frame, cut into MSS-sized segments. */
const GSO_ACTIONS = 64;
/** FRAME_F.PARTIAL_CSUM of the engine. */
const F_PARTIAL = 1;
/** FRAME_F.GSO of the engine. */
const F_GSO = 2;

/** Counter slots of {@link PlaneLoop.counters}. */
export const PLANE_COUNTER = {
  RX_FRAMES: 0,
  RX_BYTES: 1,
  TX_FRAMES: 2,
  TX_BYTES: 3,
  /** tx frames the socket refused (full queue) or that had no interface. */
  TX_DROPPED: 4,
  /** Drop actions returned by the engine. */
  ENGINE_DROPS: 5,
  BATCHES: 6,
  GARP_SENT: 7,
} as const;

/** A driver that can transmit frames straight from a caller's buffer (no copy into a TxBatch). */
export interface DirectSend {
  /** Sends `count` frames at the [offset, length] `pairs` of `buf`; returns how many went. */
  sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number;
}

/** One interface the loop drives. */
export interface PlaneInterface {
  readonly ifindex: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly driver: Driver & Partial<DirectSend>;
  /**
   * Send only: never started for receiving (the loopback device that carries ACT.LOCAL frames
   * into the director's own stack; its traffic is the host's, not the plane's).
   */
  readonly txOnly?: boolean;
}

/** Most frames one zero-copy run holds before it is sent. */
const RUN_FRAMES = 4096;

/** A per-interface run of frames that all lie in one buffer, sent with one sendFrom. */
class TxRun {
  buf: Uint8Array | undefined = undefined;
  readonly pairs = new Uint32Array(RUN_FRAMES * 2);
  count = 0;
  bytes = 0;
}

/** Per-interface counters: rx frames, rx bytes, tx frames, tx bytes, tx dropped. */
export const IF_COUNTER_WORDS = 5;

/** Runs the engine over every interface's receive batches. */
export class PlaneLoop {
  /** Global counters, indexed by {@link PLANE_COUNTER}. */
  readonly counters = new Float64Array(8);
  /** Engine drops by reason code. */
  readonly dropReasons = new Float64Array(256);
  /** Per-interface counters in {@link IF_COUNTER_WORDS} slots, in interface order. */
  readonly ifCounters: Float64Array;
  private readonly tx: TxBatch[];
  /** Zero-copy runs, one per interface whose driver has sendFrom (else undefined). */
  private readonly runs: (TxRun | undefined)[];
  /** ifindex of each slot; a linear scan of 1–3 entries beats a Map lookup per frame. */
  private readonly slotIfindex: Int32Array;
  private started = false;

  constructor(
    private readonly engine: FrameEngine,
    readonly interfaces: readonly PlaneInterface[],
    private readonly clock: () => number = Date.now,
  ) {
    this.tx = interfaces.map(() => new TxBatch(1 << 22, 4096));
    this.runs = interfaces.map((i) => (typeof i.driver.sendFrom === 'function' ? new TxRun() : undefined));
    this.ifCounters = new Float64Array(interfaces.length * IF_COUNTER_WORDS);
    this.slotIfindex = Int32Array.from(interfaces, (i) => i.ifindex);
  }

  /** Slot of interface `ifindex`, or -1. */
  private slotOf(ifindex: number): number {
    const x = this.slotIfindex;
    for (let s = 0; s < x.length; s++) if (x[s] === ifindex) return s;
    return -1;
  }

  /** Starts receiving on every interface. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const i of this.interfaces) if (!i.txOnly) i.driver.start((b) => this.onBatch(b));
  }

  private readonly flagBuf = new Uint8Array(CHUNK_FRAMES);

  /**
   * Processes one receive batch (public for tests and busy-poll callers): the frames go to
   * Engine.handleBatch in chunks of at most {@link CHUNK_FRAMES} whose worst case (GSO frames
   * count for {@link GSO_ACTIONS}) fits the action list, which is executed between chunks once
   * it could not hold the next one.
   */
  onBatch(b: RxFrameBatch): void {
    const now = this.clock();
    const c = this.counters;
    const slot = this.slotOf(b.ifindex);
    const meta = b.meta;
    const engine = this.engine;
    const acts = engine.actions;
    const flags = this.flagBuf;
    const count = b.count;
    let bytes = 0;
    let first = 0;
    while (first < count) {
      const base = first * FRAME_META_WORDS;
      let n = 0;
      // Released frames come out of the queues, and slots freed in a chunk are reused only after
      // flush(): a chunk releases at most what is queued when it starts, plus its own frames.
      let need = engine.queuedFrames ?? QUEUE_RELEASE_DEFAULT;
      while (first + n < count && n < CHUNK_FRAMES) {
        const w = base + n * FRAME_META_WORDS;
        const status = meta[w + META_STATUS]!;
        const gso = (status & TP_STATUS_GSO_TCP) !== 0;
        const worst = gso ? GSO_ACTIONS : FRAME_ACTIONS;
        if (n > 0 && need + worst > acts.capacity) break;
        need += worst;
        // tp_status bits become the engine's FRAME_F flags (partial checksum, TCP GSO).
        flags[n] = ((status & TP_STATUS_CSUMNOTREADY) !== 0 ? F_PARTIAL : 0) | (gso ? F_GSO : 0);
        bytes += meta[w + META_CAPLEN]!;
        n++;
      }
      if (acts.count > acts.capacity - need) this.execute();
      engine.handleBatch(
        b.buffer,
        meta,
        n,
        FRAME_META_WORDS,
        base + META_OFFSET,
        base + META_CAPLEN,
        b.ifindex,
        flags,
        now,
      );
      first += n;
    }
    c[PLANE_COUNTER.RX_FRAMES]! += count;
    c[PLANE_COUNTER.RX_BYTES]! += bytes;
    c[PLANE_COUNTER.BATCHES]!++;
    if (slot >= 0) {
      this.ifCounters[slot * IF_COUNTER_WORDS]! += count;
      this.ifCounters[slot * IF_COUNTER_WORDS + 1]! += bytes;
    }
    this.execute();
    engine.afterBatch?.(now);
  }

  /** Copies pending tx actions into per-interface batches, sends them, and resets the list. */
  private execute(): void {
    const acts = this.engine.actions;
    const c = this.counters;
    for (let i = 0; i < acts.count; i++) {
      if (acts.kind[i] === ACT_DROP) {
        c[PLANE_COUNTER.ENGINE_DROPS]!++;
        this.dropReasons[acts.reason[i]! & 255]!++;
        continue;
      }
      const slot = this.slotOf(acts.ifindex[i]!);
      if (slot < 0) {
        c[PLANE_COUNTER.TX_DROPPED]!++;
        continue;
      }
      const len = acts.len[i]!;
      const src = acts.bufs[i]!;
      const o = acts.off[i]!;
      const run = this.runs[slot];
      if (run !== undefined) {
        // Zero copy: queue the frame where it lies; a new buffer or a full run sends the run.
        if (run.buf !== src || run.count === RUN_FRAMES) {
          this.sendRun(slot);
          run.buf = src;
        }
        run.pairs[run.count * 2] = o;
        run.pairs[run.count * 2 + 1] = len;
        run.count++;
        run.bytes += len;
        continue;
      }
      const tx = this.tx[slot]!;
      let at = tx.reserve(len);
      if (at < 0) {
        this.sendSlot(slot);
        at = tx.reserve(len);
        if (at < 0) {
          c[PLANE_COUNTER.TX_DROPPED]!++;
          continue;
        }
      }
      tx.buffer.set(src.subarray(o, o + len), at);
    }
    for (let s = 0; s < this.tx.length; s++) {
      this.sendRun(s);
      this.sendSlot(s);
    }
    this.engine.flush();
  }

  /** Sends slot's pending zero-copy run (if any) and forgets its buffer. */
  private sendRun(slot: number): void {
    const run = this.runs[slot];
    if (run === undefined || run.count === 0) {
      if (run !== undefined) run.buf = undefined;
      return;
    }
    let sent = 0;
    try {
      sent = this.interfaces[slot]!.driver.sendFrom!(run.buf!, run.pairs, run.count);
    } catch {
      sent = 0;
    }
    this.countSent(slot, sent, run.count, run.bytes);
    run.count = 0;
    run.bytes = 0;
    run.buf = undefined;
  }

  private sendSlot(slot: number): void {
    const tx = this.tx[slot]!;
    if (tx.count === 0) return;
    let bytes = 0;
    for (let k = 0; k < tx.count; k++) bytes += tx.pairs[k * 2 + 1]!;
    let sent = 0;
    try {
      sent = this.interfaces[slot]!.driver.send(tx);
    } catch {
      sent = 0;
    }
    this.countSent(slot, sent, tx.count, bytes);
    tx.clear();
  }

  private countSent(slot: number, sent: number, count: number, bytes: number): void {
    const c = this.counters;
    c[PLANE_COUNTER.TX_FRAMES]! += sent;
    c[PLANE_COUNTER.TX_BYTES]! += sent === count ? bytes : 0;
    c[PLANE_COUNTER.TX_DROPPED]! += count - sent;
    const w = slot * IF_COUNTER_WORDS;
    this.ifCounters[w + 2]! += sent;
    this.ifCounters[w + 3]! += sent === count ? bytes : 0;
    this.ifCounters[w + 4]! += count - sent;
  }

  /**
   * Sends a gratuitous ARP for `ip` (host-order u32) from interface `ifindex` (Engine.announce:
   * RFC 5227 §3 "ARP Announcement"), so neighbours and switches learn that the VIP now lives
   * behind this MAC. True when it went out.
   */
  announce(ifindex: number, ip: number): boolean {
    if (this.slotOf(ifindex) < 0 || this.engine.announce?.(ifindex, ip) !== true) return false;
    return this.sendAnnouncement();
  }

  /** Sends an unsolicited neighbour advert for the IPv6 address `ip` (16 bytes) on `ifindex` (Engine.announce6). */
  announce6(ifindex: number, ip: Uint8Array): boolean {
    if (this.slotOf(ifindex) < 0 || this.engine.announce6?.(ifindex, ip) !== true) return false;
    return this.sendAnnouncement();
  }

  // Announcements come between batches, so the action list holds the announcement alone.
  private sendAnnouncement(): boolean {
    const sent = this.counters[PLANE_COUNTER.TX_FRAMES]!;
    this.execute();
    const ok = this.counters[PLANE_COUNTER.TX_FRAMES]! > sent;
    if (ok) this.counters[PLANE_COUNTER.GARP_SENT]!++;
    return ok;
  }

  /** Runs the engine's timers and sends what they produce (ARP retries). */
  tick(): void {
    if (!this.engine.tick) return;
    this.engine.tick(this.clock());
    this.execute();
  }

  /** Stops every driver. */
  close(): void {
    for (const i of this.interfaces) i.driver.close();
  }
}
