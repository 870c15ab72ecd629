/**
 * An AF_XDP socket on one queue of one interface, in the same shape as {@link PacketSocket}:
 * frames arrive in batches as views of the UMEM (one JS call per batch, records in the
 * FRAME_META_WORDS layout with the UMEM address as the offset), and `sendFrom` transmits
 * [offset, length] pairs: from the very chunk they arrived in when they lie in this socket's
 * UMEM (classic AF_XDP forwarding, no copy in userspace), copied into a free chunk otherwise.
 * Only frames the XDP program redirects arrive here (xdp-program.ts).
 */
import { EventEmitter } from 'node:events';
import {
  type BatchHandler,
  type Driver,
  FRAME_META_WORDS,
  type Frames,
  RxFrameBatch,
  TxBatch,
} from '../driver.js';
import type { PacketHandle } from './addon.js';
import { PacketSocketError, PacketSystemError, XdpError, xdpSyscallError } from './errors.js';
import {
  loadXdpBinding,
  type XdpBinding,
  XSK_BIND_BUSY_POLL,
  XSK_BIND_CSUM_CHECK,
  XSK_STATS_WORDS,
} from './xdp-binding.js';

/** Options of {@link XdpSocket}. */
export interface XdpSocketOptions {
  /** Queue to bind (veth: 0). */
  readonly queue?: number;
  /** UMEM chunks (power of two, default 16384: 32 MB of 2 KB chunks). */
  readonly chunks?: number;
  /** Bytes per chunk (2048 or 4096; default 2048, room for 256 B headroom + a 1514 B frame). */
  readonly chunkSize?: number;
  /**
   * Entries of the TX and completion rings and of one receive batch (power of two, default
   * 2048); the fill and RX rings get twice that when chunks ≥ 8 × ringSize (native xbind).
   */
  readonly ringSize?: number;
  /** Classify partial L4 checksums on receive (default true; needed on veth). */
  readonly checksumCheck?: boolean;
  /**
   * Preferred busy polling (default false): the queue's receive work runs inside this socket's
   * own drain, so it cannot run ahead of it on a shared core. Pair it with the interface's
   * napi_defer_hard_irqs and gro_flush_timeout (napi-deferral.ts); where the kernel refuses
   * the options the socket works as without them (stats().busyPoll 0).
   */
  readonly busyPoll?: boolean;
  /** Test seam. */
  readonly binding?: XdpBinding;
}

/** Counters of {@link XdpSocket.stats} (cumulative). */
export interface XdpSocketStats {
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  rxRingFull: number;
  rxFillRingEmpty: number;
  txRingEmpty: number;
  txZeroCopy: number;
  txCopied: number;
  txDropped: number;
  partialChecksums: number;
  kicks: number;
  /** recvfrom() busy polls made by the drain (busyPoll). */
  busyPolls: number;
  freeChunks: number;
  /** Frames one sendto() transmits in copy mode (32 unless XDP_MAX_TX_SKB_BUDGET took). */
  txBudget: number;
  /** 1 when the kernel took the busy-poll options, else 0 (a level, not a count). */
  busyPoll: number;
}

const pow2 = (v: number, min: number, max: number): boolean =>
  Number.isInteger(v) && v >= min && v <= max && (v & (v - 1)) === 0;

/** An AF_XDP socket bound to one interface queue; implements {@link Driver}. */
export class XdpSocket extends EventEmitter implements Driver {
  readonly binding: XdpBinding;
  private handle: PacketHandle | undefined;
  private batch: RxFrameBatch | undefined;
  private onBatch: BatchHandler | undefined;
  private readonly statsOut = new Float64Array(XSK_STATS_WORDS);
  private readonly o: Required<Omit<XdpSocketOptions, 'binding'>>;
  /** Interface name once bound. */
  ifname: string | undefined;
  /** Interface index once bound. */
  ifindex = 0;
  /** The UMEM as a Buffer (frames of a batch are views of it); empty before bind. */
  umem: Buffer = Buffer.alloc(0);

  constructor(o: XdpSocketOptions = {}) {
    super();
    this.o = {
      queue: o.queue ?? 0,
      chunks: o.chunks ?? 16384,
      chunkSize: o.chunkSize ?? 2048,
      ringSize: o.ringSize ?? 2048,
      checksumCheck: o.checksumCheck ?? true,
      busyPoll: o.busyPoll ?? false,
    };
    if (!pow2(this.o.chunks, 64, 1 << 20)) throw argValue('chunks', this.o.chunks);
    if (this.o.chunkSize !== 2048 && this.o.chunkSize !== 4096) throw argValue('chunkSize', this.o.chunkSize);
    if (!pow2(this.o.ringSize, 64, 1 << 16) || this.o.ringSize * 2 > this.o.chunks)
      throw argValue('ringSize', this.o.ringSize);
    this.binding = o.binding ?? loadXdpBinding();
  }

  /** Creates the UMEM and rings and binds queue `queue` of `ifname` (copy mode). */
  bind(ifname: string, ifindex: number): this {
    if (this.handle)
      throw new PacketSocketError('ERR_PACKET_SOCKET_ALREADY_BOUND', 'AF_XDP socket is already bound');
    const b = this.binding;
    const h = b.xskCreate();
    const r = b.xskBind(
      h,
      ifname,
      this.o.queue,
      this.o.chunks,
      this.o.chunkSize,
      this.o.ringSize,
      (this.o.checksumCheck ? XSK_BIND_CSUM_CHECK : 0) | (this.o.busyPoll ? XSK_BIND_BUSY_POLL : 0),
    );
    if (r < 0) {
      b.xskClose(h);
      throw xdpSyscallError('ERR_XDP_SOCKET', `AF_XDP bind ${ifname} queue ${this.o.queue}`, r);
    }
    const ab = b.xskUmem(h);
    this.umem = ab ? Buffer.from(ab) : Buffer.alloc(0);
    this.batch = new RxFrameBatch(this.umem, new Uint32Array(this.o.ringSize * FRAME_META_WORDS));
    this.batch.ifindex = ifindex;
    this.handle = h;
    this.ifname = ifname;
    this.ifindex = ifindex;
    return this;
  }

  /** The socket's fd, for the XSKMAP. */
  get fd(): number {
    return this.handle ? this.binding.xskFd(this.handle) : -1;
  }

  /** Starts receiving: `onBatch` runs once per readable event with the ready descriptors. */
  start(onBatch: BatchHandler): void {
    const h = this.bound();
    if (this.onBatch)
      throw new PacketSocketError(
        'ERR_PACKET_SOCKET_ALREADY_RECEIVING',
        'AF_XDP socket is already receiving',
      );
    const batch = this.batch!;
    const r = this.binding.xskReadStart(h, batch.meta, (count, err) => {
      if (err < 0) {
        this.emit('error', new PacketSystemError(err, 'recv', this.ifname));
        return;
      }
      batch.count = count;
      this.onBatch?.(batch);
    });
    if (r < 0) throw new PacketSystemError(r, 'poll', this.ifname);
    this.onBatch = onBatch;
  }

  /** Delivers what the RX ring holds now through the start() handler; returns the frames. */
  poll(): number {
    const h = this.bound();
    const r = this.binding.xskDrain(h);
    if (r < 0) throw new PacketSystemError(r, 'recv', this.ifname);
    return r;
  }

  /** Transmits a TxBatch or frames (copied into chunks); returns the frames queued. */
  send(frames: Frames): number {
    if (frames instanceof TxBatch) return this.sendFrom(frames.buffer, frames.pairs, frames.count);
    let n = 0;
    const one = new Uint32Array(2);
    for (const f of frames) {
      one[1] = f.length;
      n += this.sendFrom(f, one, 1);
    }
    return n;
  }

  /** Transmits `count` frames at the [offset, length] `pairs` of `buf`; returns how many went. */
  sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number {
    const h = this.bound();
    if (count === 0) return 0;
    const r = this.binding.xskSend(h, buf, pairs, count);
    if (r < 0) throw new PacketSystemError(r, 'sendto', this.ifname);
    return r;
  }

  /** Kernel XDP_STATISTICS and the socket's own counters. */
  stats(): XdpSocketStats {
    const h = this.bound();
    const r = this.binding.xskStats(h, this.statsOut);
    if (r < 0) throw new PacketSystemError(r, 'getsockopt', this.ifname);
    const s = this.statsOut;
    return {
      rxDropped: s[0]!,
      rxInvalidDescs: s[1]!,
      txInvalidDescs: s[2]!,
      rxRingFull: s[3]!,
      rxFillRingEmpty: s[4]!,
      txRingEmpty: s[5]!,
      txZeroCopy: s[6]!,
      txCopied: s[7]!,
      txDropped: s[8]!,
      partialChecksums: s[9]!,
      kicks: s[10]!,
      busyPolls: s[11]!,
      freeChunks: s[12]!,
      txBudget: s[13]!,
      busyPoll: s[14]!,
    };
  }

  /** Closes the socket and frees the UMEM (views become empty). Idempotent. */
  close(): void {
    if (!this.handle) return;
    this.binding.xskClose(this.handle);
    this.handle = undefined;
    this.onBatch = undefined;
    process.nextTick(() => this.emit('close'));
  }

  private bound(): PacketHandle {
    if (!this.handle)
      throw new PacketSocketError('ERR_PACKET_SOCKET_NOT_BOUND', 'AF_XDP socket is not bound');
    return this.handle;
  }
}

function argValue(name: string, v: unknown): XdpError {
  return new XdpError('ERR_XDP_SOCKET', `${name}: invalid value ${String(v)}`);
}
