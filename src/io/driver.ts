/**
 * The Driver seam between the packet engine's daemon and the wire:
 * frames arrive in batches and leave in batches, so nothing per packet crosses into native code.
 * Real drivers (the AF_PACKET socket) and the in-memory fake share the batch shapes below.
 */

/** u32 words per received-frame record in a {@link RxFrameBatch} `meta` array (native layout). */
export const FRAME_META_WORDS = 6;
/** Record word: byte offset of the frame's first (Ethernet) byte in `buffer`. */
export const META_OFFSET = 0;
/** Record word: bytes captured (less than the wire length when the ring block truncated it). */
export const META_CAPLEN = 1;
/** Record word: the frame's length on the wire (a GSO super-frame can exceed the MTU). */
export const META_WIRELEN = 2;
/** Record word: the kernel's tp_status flags (the TP_STATUS_* values below). */
export const META_STATUS = 3;
/** Record word: stripped VLAN tag, TCI in the low 16 bits and TPID in the high 16 bits. */
export const META_VLAN = 4;
/** Record word: sll_pkttype (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4). */
export const META_PKTTYPE = 5;

/** tp_status: the L4 checksum is partial (CHECKSUM_PARTIAL), only the pseudo-header sum is filled. */
export const TP_STATUS_CSUMNOTREADY = 1 << 3;
/** tp_status: a VLAN tag was stripped into the record; its TCI is valid. */
export const TP_STATUS_VLAN_VALID = 1 << 4;
/** tp_status: the stripped tag's TPID is valid (else assume 0x8100). */
export const TP_STATUS_VLAN_TPID_VALID = 1 << 6;
/** tp_status: the device already verified the checksum. */
export const TP_STATUS_CSUM_VALID = 1 << 7;
/** tp_status: the frame is a TCP GSO super-frame still to be segmented. */
export const TP_STATUS_GSO_TCP = 1 << 8;

/** Packet type of a received frame, as sll_pkttype reports it. */
export const PACKET_OUTGOING = 4;

/**
 * A batch of received frames: one `buffer` plus one metadata record per frame. Reading it
 * allocates nothing. The view is only valid during the batch callback: for the AF_PACKET driver
 * `buffer` is the kernel ring itself, and the ring blocks go back to the kernel on return.
 */
export class RxFrameBatch {
  /** Frames in this batch. */
  count = 0;
  /** Interface index the frames arrived on. */
  ifindex = 0;
  /** Memory holding the frames (for the AF_PACKET driver: the mmap'd ring). */
  buffer: Buffer;
  /** FRAME_META_WORDS u32 words per frame; see the META_* constants. */
  readonly meta: Uint32Array;

  constructor(buffer: Buffer, meta: Uint32Array) {
    this.buffer = buffer;
    this.meta = meta;
  }

  /** Byte offset of frame `i` in `buffer`. */
  offset(i: number): number {
    return this.meta[i * FRAME_META_WORDS + META_OFFSET]!;
  }

  /** Captured length of frame `i`. */
  length(i: number): number {
    return this.meta[i * FRAME_META_WORDS + META_CAPLEN]!;
  }

  /** Wire length of frame `i`. */
  wireLength(i: number): number {
    return this.meta[i * FRAME_META_WORDS + META_WIRELEN]!;
  }

  /** Raw tp_status flags of frame `i`. */
  status(i: number): number {
    return this.meta[i * FRAME_META_WORDS + META_STATUS]!;
  }

  /** True when frame `i` carries a partial checksum the engine must complete before it leaves. */
  partialChecksum(i: number): boolean {
    return (this.status(i) & TP_STATUS_CSUMNOTREADY) !== 0;
  }

  /** VLAN TCI stripped from frame `i`, or -1 when it arrived untagged. */
  vlanTci(i: number): number {
    const w = i * FRAME_META_WORDS;
    return (this.meta[w + META_STATUS]! & TP_STATUS_VLAN_VALID) !== 0
      ? this.meta[w + META_VLAN]! & 0xffff
      : -1;
  }

  /** sll_pkttype of frame `i`. */
  packetType(i: number): number {
    return this.meta[i * FRAME_META_WORDS + META_PKTTYPE]!;
  }

  /** A copy of frame `i`. Allocates: for tests and diagnostics, not the hot path. */
  copyFrame(i: number): Buffer {
    const off = this.offset(i);
    return Buffer.from(this.buffer.subarray(off, off + this.length(i)));
  }
}

/**
 * Frames to transmit packed in one buffer: `pairs` holds [offset, length] per frame. Encoders can
 * write straight into `buffer` at the offset {@link TxBatch.reserve} returns, so building a batch
 * allocates nothing once the batch exists.
 */
export class TxBatch {
  /** Backing memory of all frames. */
  readonly buffer: Buffer;
  /** [offset, length] per frame. */
  readonly pairs: Uint32Array;
  /** Frames in the batch. */
  count = 0;
  private used = 0;

  constructor(capacityBytes = 1 << 20, maxFrames = 1024) {
    this.buffer = Buffer.alloc(capacityBytes);
    this.pairs = new Uint32Array(maxFrames * 2);
  }

  /** Reserves `len` bytes for a new frame; returns its offset, or -1 when the batch is full. */
  reserve(len: number): number {
    if (this.count * 2 >= this.pairs.length || this.used + len > this.buffer.length) return -1;
    const off = this.used;
    this.pairs[this.count * 2] = off;
    this.pairs[this.count * 2 + 1] = len;
    this.count++;
    // 8-byte alignment keeps the next frame's headers word-aligned for readers.
    this.used = (off + len + 7) & ~7;
    return off;
  }

  /** Copies `frame` in as a new frame; false when the batch is full. */
  push(frame: Uint8Array): boolean {
    const off = this.reserve(frame.length);
    if (off < 0) return false;
    this.buffer.set(frame, off);
    return true;
  }

  /** The bytes of frame `i` (a view, no copy). */
  frame(i: number): Buffer {
    const off = this.pairs[i * 2]!;
    return this.buffer.subarray(off, off + this.pairs[i * 2 + 1]!);
  }

  /** Empties the batch for reuse. */
  clear(): void {
    this.count = 0;
    this.used = 0;
  }
}

/** What a driver accepts for transmission: a packed batch or a list of frames. */
export type Frames = TxBatch | readonly Uint8Array[];

/** Called once per received batch; the batch is only valid until it returns. */
export type BatchHandler = (batch: RxFrameBatch) => void;

/** A source and sink of Ethernet frames on one interface. */
export interface Driver {
  /** Starts delivering received frames to `onBatch`, one call per batch. */
  start(onBatch: BatchHandler): void;
  /** Transmits frames; returns how many the driver accepted (the rest were dropped). */
  send(frames: Frames): number;
  /** Stops receiving and releases the interface. Idempotent. */
  close(): void;
}
