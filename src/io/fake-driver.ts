/**
 * In-memory {@link Driver} for tests and demos (seesaw's dummy.go idea): frames injected here
 * reach the batch handler through the same {@link RxFrameBatch} shape the AF_PACKET ring fills,
 * and transmitted frames are captured as copies.
 */
import {
  type BatchHandler,
  type Driver,
  FRAME_META_WORDS,
  type Frames,
  META_CAPLEN,
  META_OFFSET,
  META_PKTTYPE,
  META_STATUS,
  META_VLAN,
  META_WIRELEN,
  RxFrameBatch,
  TP_STATUS_CSUMNOTREADY,
  TP_STATUS_GSO_TCP,
  TP_STATUS_VLAN_VALID,
  TxBatch,
} from './driver.js';

/** Per-frame receive attributes a test can set on an injected frame. */
export interface InjectedFrameInfo {
  /** Mark the frame as carrying a partial checksum (TP_STATUS_CSUMNOTREADY). */
  partialChecksum?: boolean;
  /** Mark the frame as a TCP GSO super-frame (TP_STATUS_GSO_TCP). */
  gso?: boolean;
  /** A VLAN TCI the "kernel" stripped from the frame. */
  vlanTci?: number;
  /** sll_pkttype; PACKET_HOST (0) when absent. */
  packetType?: number;
}

/** Options of {@link FakeDriver}. */
export interface FakeDriverOptions {
  /** Interface index reported on batches. */
  ifindex?: number;
  /** Most frames per delivered batch; larger injections are split like full ring blocks. */
  maxBatch?: number;
  /** Frames accepted per send() call before the rest count as dropped (a full TX queue). */
  txCapacity?: number;
}

/** A driver whose wire is an array: inject() receives, `sent` holds what was transmitted. */
export class FakeDriver implements Driver {
  /** Copies of every frame accepted by send(), in order. */
  readonly sent: Buffer[] = [];
  /** Frames refused by send() because txCapacity was exceeded. */
  txDropped = 0;
  /** Number of batches delivered to the handler. */
  batches = 0;
  private handler: BatchHandler | undefined;
  private closed = false;
  private readonly maxBatch: number;
  private readonly txCapacity: number;
  private readonly ifindex: number;

  constructor(options: FakeDriverOptions = {}) {
    this.ifindex = options.ifindex ?? 1;
    this.maxBatch = options.maxBatch ?? 1024;
    this.txCapacity = options.txCapacity ?? Number.POSITIVE_INFINITY;
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts delivering injected frames to `onBatch`. */
  start(onBatch: BatchHandler): void {
    if (this.closed) throw new Error('FakeDriver: start after close');
    this.handler = onBatch;
  }

  /**
   * Delivers `frames` synchronously in batches of at most maxBatch; returns frames delivered
   * (0 when not started or closed, as a real socket would drop them).
   */
  inject(frames: readonly Uint8Array[], info: readonly (InjectedFrameInfo | undefined)[] = []): number {
    const handler = this.handler;
    if (!handler || this.closed) return 0;
    for (let start = 0; start < frames.length; start += this.maxBatch) {
      const end = Math.min(frames.length, start + this.maxBatch);
      handler(this.pack(frames, info, start, end));
      this.batches++;
    }
    return frames.length;
  }

  /** Captures copies of the frames; returns how many were accepted. */
  send(frames: Frames): number {
    if (this.closed) return 0;
    const n = frames instanceof TxBatch ? frames.count : frames.length;
    const accepted = Math.min(n, this.txCapacity);
    for (let i = 0; i < accepted; i++) {
      const f = frames instanceof TxBatch ? frames.frame(i) : frames[i]!;
      this.sent.push(Buffer.from(f));
    }
    this.txDropped += n - accepted;
    return accepted;
  }

  /** Stops delivery. Idempotent. */
  close(): void {
    this.closed = true;
    this.handler = undefined;
  }

  private pack(
    frames: readonly Uint8Array[],
    info: readonly (InjectedFrameInfo | undefined)[],
    start: number,
    end: number,
  ): RxFrameBatch {
    let total = 0;
    for (let i = start; i < end; i++) total += frames[i]!.length;
    const buffer = Buffer.alloc(total);
    const meta = new Uint32Array((end - start) * FRAME_META_WORDS);
    let off = 0;
    for (let i = start; i < end; i++) {
      const f = frames[i]!;
      const fi = info[i];
      const w = (i - start) * FRAME_META_WORDS;
      buffer.set(f, off);
      meta[w + META_OFFSET] = off;
      meta[w + META_CAPLEN] = f.length;
      meta[w + META_WIRELEN] = f.length;
      let status = (fi?.partialChecksum ? TP_STATUS_CSUMNOTREADY : 0) | (fi?.gso ? TP_STATUS_GSO_TCP : 0);
      if (fi?.vlanTci !== undefined) {
        status |= TP_STATUS_VLAN_VALID;
        meta[w + META_VLAN] = (fi.vlanTci & 0xffff) | (0x8100 << 16);
      }
      meta[w + META_STATUS] = status;
      meta[w + META_PKTTYPE] = fi?.packetType ?? 0;
      off += f.length;
    }
    const batch = new RxFrameBatch(buffer, meta);
    batch.count = end - start;
    batch.ifindex = this.ifindex;
    return batch;
  }
}
