/**
 * AF_PACKET socket on one interface, in the shape of Node's dgram.Socket over udp_wrap
 * (lib/dgram.js): the addon only returns -errno ints; this class validates
 * arguments, keeps the UNBOUND → BOUND → CLOSED state in one private object, and turns errnos
 * into coded errors. Received frames come in batches straight out of the TPACKET_V3 ring.
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
import {
  BIND_IGNORE_OUTGOING,
  BIND_PROMISC,
  BIND_QDISC_BYPASS,
  loadPacketAddon,
  type PacketBinding,
  type PacketHandle,
} from './addon.js';
import { PacketSocketError, PacketSystemError } from './errors.js';

/** Lifecycle states; transitions only go forward. */
export const PacketSocketState = { UNBOUND: 'UNBOUND', BOUND: 'BOUND', CLOSED: 'CLOSED' } as const;
/** One of {@link PacketSocketState}. */
export type PacketSocketState = (typeof PacketSocketState)[keyof typeof PacketSocketState];

/** PACKET_FANOUT modes by name (linux/if_packet.h PACKET_FANOUT_*). */
export const FANOUT_MODES = { hash: 0, lb: 1, cpu: 2, rollover: 3, random: 4, qm: 5 } as const;
/** A fanout mode name. */
export type FanoutMode = keyof typeof FANOUT_MODES;

/** Joining a PACKET_FANOUT group spreads one interface's frames over several sockets. */
export interface FanoutOptions {
  /** Group id shared by the member sockets (0..65535). */
  group: number;
  /** Distribution; 'hash' (flow hash, keeps a flow on one socket) by default. */
  mode?: FanoutMode;
  /** Reassemble IP fragments before hashing (PACKET_FANOUT_FLAG_DEFRAG). */
  defrag?: boolean;
  /** Spill to another member when this one's ring is full (PACKET_FANOUT_FLAG_ROLLOVER). */
  rollover?: boolean;
}

/** Options of {@link PacketSocket}. */
export interface PacketSocketOptions {
  /** Ring block size in bytes: a power of two, 4 KiB..64 MiB. It bounds the largest frame
   * (GSO super-frames reach 64 KiB), so 256 KiB by default. */
  blockSize?: number;
  /** Ring blocks (default 64, a 16 MiB ring). Blocks are handed over whole; at low rates each
   * one is retired after retireMs, so the ring absorbs about blockCount × retireMs of stall. */
  blockCount?: number;
  /** Block retire timeout in ms: the most a frame waits in a half-full block (default 1). */
  retireMs?: number;
  /** Receive frames for other MACs too (a membership, dropped on close). */
  promiscuous?: boolean;
  /** Do not receive our own (or any locally sent) frames back (default true). */
  ignoreOutgoing?: boolean;
  /** Transmit without the qdisc layer (PACKET_QDISC_BYPASS). */
  qdiscBypass?: boolean;
  /** Join a fanout group. */
  fanout?: FanoutOptions;
  /** Test seam (like dgram's `lookup`): the native binding to use instead of the addon. */
  binding?: PacketBinding;
}

/** Kernel receive counters since the previous stats() call (PACKET_STATISTICS resets them). */
export interface PacketStats {
  packets: number;
  drops: number;
  freezes: number;
}

const EAGAIN = -11;
const ENOBUFS = -105;

interface SocketState {
  state: PacketSocketState;
  readonly binding: PacketBinding;
  handle: PacketHandle | undefined;
  ifname: string | undefined;
  ifindex: number;
  batch: RxFrameBatch | undefined;
  onBatch: BatchHandler | undefined;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly retireMs: number;
  readonly flags: number;
  readonly fanoutArg: number;
  readonly statsOut: Uint32Array;
}

const kState = Symbol('kState');

/** An AF_PACKET socket bound to one interface; implements the {@link Driver} seam. */
export class PacketSocket extends EventEmitter implements Driver {
  private readonly [kState]: SocketState;

  constructor(options: PacketSocketOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw argType('options', 'an object', options);
    const blockSize = options.blockSize ?? 1 << 18;
    if (
      !Number.isInteger(blockSize) ||
      blockSize < 4096 ||
      blockSize > 1 << 26 ||
      (blockSize & (blockSize - 1)) !== 0
    ) {
      throw argValue('blockSize', 'a power of two from 4096 to 67108864', blockSize);
    }
    const blockCount = checkInt('blockCount', options.blockCount ?? 64, 1, 65536);
    const retireMs = checkInt('retireMs', options.retireMs ?? 1, 1, 60000);
    let flags = 0;
    if (options.promiscuous) flags |= BIND_PROMISC;
    if (options.ignoreOutgoing ?? true) flags |= BIND_IGNORE_OUTGOING;
    if (options.qdiscBypass) flags |= BIND_QDISC_BYPASS;
    this[kState] = {
      state: PacketSocketState.UNBOUND,
      // Loaded here, not at import: a missing addon only fails the code that needs it.
      binding: options.binding ?? loadPacketAddon(),
      handle: undefined,
      ifname: undefined,
      ifindex: 0,
      batch: undefined,
      onBatch: undefined,
      blockSize,
      blockCount,
      retireMs,
      flags,
      fanoutArg: fanoutArg(options.fanout),
      statsOut: new Uint32Array(3),
    };
  }

  /** Current lifecycle state. */
  get state(): PacketSocketState {
    return this[kState].state;
  }

  /** Index of the bound interface (0 before bind). */
  get ifindex(): number {
    return this[kState].ifindex;
  }

  /** Name of the bound interface. */
  get ifname(): string | undefined {
    return this[kState].ifname;
  }

  /** Opens the socket and its ring on `ifname`. Syscall failures throw a PacketSystemError. */
  bind(ifname: string): this {
    const s = this[kState];
    if (typeof ifname !== 'string') throw argType('ifname', 'a string', ifname);
    if (ifname.length === 0 || Buffer.byteLength(ifname) > 15 || /[\s/\0]/.test(ifname)) {
      throw argValue('ifname', 'an interface name of 1..15 bytes', ifname);
    }
    if (s.state === PacketSocketState.CLOSED) throw closed();
    if (s.state === PacketSocketState.BOUND) {
      throw new PacketSocketError('ERR_PACKET_SOCKET_ALREADY_BOUND', 'packet socket is already bound');
    }
    const handle = s.binding.createHandle();
    const r = s.binding.bind(handle, ifname, s.blockSize, s.blockCount, s.retireMs, s.flags, s.fanoutArg);
    if (r < 0) {
      s.binding.close(handle);
      throw new PacketSystemError(r, 'bind', ifname);
    }
    const ring = s.binding.ring(handle);
    // Records for two full blocks of minimum-size frames: the addon refuses less than one.
    const meta = new Uint32Array(((2 * s.blockSize) / 64) * FRAME_META_WORDS);
    s.batch = new RxFrameBatch(ring ? Buffer.from(ring) : Buffer.alloc(0), meta);
    s.handle = handle;
    s.ifname = ifname;
    s.ifindex = s.binding.ifindex(handle);
    s.batch.ifindex = s.ifindex;
    s.state = PacketSocketState.BOUND;
    return this;
  }

  /**
   * Starts receiving: `onBatch` runs once per readable event with every ready frame. The batch
   * views the ring and is only valid until the handler returns. Socket errors are emitted as
   * 'error' events.
   */
  start(onBatch: BatchHandler): void {
    const s = this.bound();
    if (typeof onBatch !== 'function') throw argType('onBatch', 'a function', onBatch);
    if (s.onBatch) {
      throw new PacketSocketError(
        'ERR_PACKET_SOCKET_ALREADY_RECEIVING',
        'packet socket is already receiving',
      );
    }
    const batch = s.batch!;
    const r = s.binding.readStart(s.handle!, batch.meta, (count, err) => {
      if (err < 0) {
        this.emit('error', new PacketSystemError(err, 'recv', s.ifname));
        return;
      }
      batch.count = count;
      s.onBatch?.(batch);
    });
    if (r < 0) throw new PacketSystemError(r, 'poll', s.ifname);
    s.onBatch = onBatch;
  }

  /** Stops receiving; frames queue in the ring (and then drop) until start() again. */
  stop(): void {
    const s = this.bound();
    if (!s.onBatch) return;
    s.binding.readStop(s.handle!);
    s.onBatch = undefined;
  }

  /**
   * Delivers whatever the ring holds right now, synchronously, through the start() handler;
   * returns the frames delivered. For busy loops and tests; the event loop does this by itself.
   */
  poll(): number {
    const s = this.bound();
    if (!s.onBatch)
      throw new PacketSocketError('ERR_PACKET_SOCKET_NOT_RECEIVING', 'poll() needs start() first');
    const r = s.binding.drain(s.handle!);
    if (r < 0) throw new PacketSystemError(r, 'recv', s.ifname);
    return r;
  }

  /**
   * Transmits a batch with one sendmmsg per 256 frames; returns the frames sent. A full queue
   * (EAGAIN/ENOBUFS) is not an error: the unsent rest is the caller's drop count. Other syscall
   * failures throw, like fs.writeSync.
   */
  send(frames: Frames): number {
    const s = this.bound();
    let r: number;
    if (frames instanceof TxBatch) {
      r = frames.count === 0 ? 0 : s.binding.send(s.handle!, frames.buffer, frames.pairs, frames.count);
    } else if (Array.isArray(frames)) {
      for (let i = 0; i < frames.length; i++) {
        if (!(frames[i] instanceof Uint8Array)) throw argType(`frames[${i}]`, 'a Uint8Array', frames[i]);
      }
      r = frames.length === 0 ? 0 : s.binding.sendv(s.handle!, frames);
    } else {
      throw argType('frames', 'a TxBatch or an array of Uint8Array', frames);
    }
    if (r === EAGAIN || r === ENOBUFS) return 0;
    if (r < 0) throw new PacketSystemError(r, 'sendmmsg', s.ifname);
    return r;
  }

  /**
   * Transmits `count` frames lying at the [offset, length] `pairs` of `buf`, straight from that
   * memory (the receive ring itself, for frames rewritten in place): no copy into a TxBatch.
   * Same return value and errors as {@link PacketSocket.send}.
   */
  sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number {
    const s = this.bound();
    if (!(buf instanceof Uint8Array)) throw argType('buf', 'a Uint8Array', buf);
    if (!(pairs instanceof Uint32Array)) throw argType('pairs', 'a Uint32Array', pairs);
    if (!Number.isInteger(count) || count < 0 || count * 2 > pairs.length) {
      throw argValue('count', `an integer from 0 to ${pairs.length >> 1}`, count);
    }
    if (count === 0) return 0;
    const r = s.binding.send(s.handle!, buf, pairs, count);
    if (r === EAGAIN || r === ENOBUFS) return 0;
    if (r < 0) throw new PacketSystemError(r, 'sendmmsg', s.ifname);
    return r;
  }

  /** Alias of {@link PacketSocket.send}, named as in the design notes. */
  sendBatch(frames: Frames): number {
    return this.send(frames);
  }

  /** Kernel counters (received, dropped for a full ring) since the previous call. */
  stats(): PacketStats {
    const s = this.bound();
    const r = s.binding.stats(s.handle!, s.statsOut);
    if (r < 0) throw new PacketSystemError(r, 'getsockopt', s.ifname);
    return { packets: s.statsOut[0]!, drops: s.statsOut[1]!, freezes: s.statsOut[2]! };
  }

  /** Closes the socket and unmaps the ring (views of it become empty). Idempotent. */
  close(): void {
    const s = this[kState];
    if (s.state === PacketSocketState.CLOSED) return;
    if (s.handle) s.binding.close(s.handle);
    s.handle = undefined;
    s.onBatch = undefined;
    s.state = PacketSocketState.CLOSED;
    process.nextTick(() => this.emit('close'));
  }

  private bound(): SocketState {
    const s = this[kState];
    if (s.state === PacketSocketState.CLOSED) throw closed();
    if (s.state !== PacketSocketState.BOUND) {
      throw new PacketSocketError('ERR_PACKET_SOCKET_NOT_BOUND', 'packet socket is not bound');
    }
    return s;
  }
}

function fanoutArg(f: FanoutOptions | undefined): number {
  if (f === undefined) return -1;
  if (typeof f !== 'object' || f === null) throw argType('fanout', 'an object', f);
  const group = checkInt('fanout.group', f.group, 0, 0xffff);
  const mode = f.mode ?? 'hash';
  if (!Object.hasOwn(FANOUT_MODES, mode))
    throw argValue('fanout.mode', Object.keys(FANOUT_MODES).join('|'), mode);
  let type: number = FANOUT_MODES[mode];
  if (f.defrag) type |= 0x8000;
  if (f.rollover) type |= 0x1000;
  // Arithmetic, not <<: with the flag bits set the word exceeds int32 range.
  return group + type * 0x10000;
}

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argType(name, 'an integer', v);
  if (v < min || v > max) throw argValue(name, `from ${min} to ${max}`, v);
  return v;
}

function argType(name: string, want: string, got: unknown): PacketSocketError {
  return new PacketSocketError('ERR_INVALID_ARG_TYPE', `${name} must be ${want}, got ${typeof got}`);
}

function argValue(name: string, want: string, got: unknown): PacketSocketError {
  return new PacketSocketError('ERR_INVALID_ARG_VALUE', `${name} must be ${want}, got ${String(got)}`);
}

function closed(): PacketSocketError {
  return new PacketSocketError('ERR_PACKET_SOCKET_CLOSED', 'packet socket is closed');
}
