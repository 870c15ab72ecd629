/**
 * The native steady-state relay (native/tcp_relay.c) seen from JS. Once TcpRelay has connected
 * a client to its real server, both sockets are handed to C, which relays bytes without any JS
 * per read: Node's floor per relayed chunk (a JS callback through MakeCallback plus a
 * writeBuffer binding call) was what held keep-alive to ~0.8× HAProxy. JS keeps what is per
 * connection, not per read: the core's entry, its synthetic TCP events, its byte counters (fed
 * from a shared Float64Array by the 250 ms sweep) and idle expiry.
 *
 * A connection is in one slot: FREE → RELAYING → (HALF_CLOSED) → FREE. C reports a FIN per side,
 * a reset and the final close through one callback; JS closes a slot itself when the core
 * expires its entry.
 */
import { getSystemErrorName } from 'node:util';
import { LvsError } from '../../core/errors.js';
import { loadPacketAddon } from '../packet-socket/addon.js';
import { CONN_EV, type ProxyCore } from './core.js';

/** The relay's JS contract version; must equal RELAY_ABI in native/tcp_relay.c. */
export const RELAY_ABI = 2;

/** The relay functions of the addon (each returns 0 or a negative errno). */
export interface RelayBinding {
  readonly relayAbi: number;
  readonly relayStatWords: number;
  relayInit(stats: Float64Array, dirty: Int32Array, onEvent: (slot: number, ev: number) => void): number;
  relayStart(slot: number, clientFd: number, serverFd: number, first?: Uint8Array): number;
  relayClose(slot: number, rst: boolean): number;
  relayInfo(out: Float64Array): number;
  /** Int32 words per record of the native acceptor's batch (native/tcp_acceptor.c). */
  readonly acceptRecWords: number;
  acceptInit(
    batch: Int32Array,
    onAccept: (lid: number, n: number) => void,
    events: Int32Array,
    onEvents: (n: number) => void,
  ): number;
  acceptListen(fd: number, backlog: number): number;
  acceptClose(lid: number): number;
  relayConnect(slot: number, af: number, addr: Uint8Array, port: number, header?: Uint8Array): number;
  relayConnectAbort(slot: number): number;
}

/** Stable codes of {@link ProxyRelayError}. */
export type ProxyRelayErrorCode = 'ERR_PROXY_RELAY_UNAVAILABLE' | 'ERR_PROXY_RELAY_START';

/** The native relay cannot be used (addon missing, too old) or could not take a connection. */
export class ProxyRelayError extends LvsError {
  /** errno name of a failed start ('EMFILE'), when there was one. */
  readonly syscallError: string | undefined;
  constructor(code: ProxyRelayErrorCode, message: string, syscallError?: string) {
    super(code, message);
    this.name = 'ProxyRelayError';
    this.syscallError = syscallError;
  }
}

/** Loads the relay part of the addon, or returns the coded reason it is unavailable. */
export function loadRelayBinding(): RelayBinding | ProxyRelayError {
  let mod: Partial<RelayBinding>;
  try {
    mod = loadPacketAddon() as unknown as Partial<RelayBinding>;
  } catch (e) {
    return new ProxyRelayError('ERR_PROXY_RELAY_UNAVAILABLE', (e as Error).message);
  }
  if (typeof mod.relayStart !== 'function') {
    return new ProxyRelayError(
      'ERR_PROXY_RELAY_UNAVAILABLE',
      'the addon has no relay (stale build or a worker thread)',
    );
  }
  if (mod.relayAbi !== RELAY_ABI) {
    return new ProxyRelayError(
      'ERR_PROXY_RELAY_UNAVAILABLE',
      `the addon's relay has ABI ${String(mod.relayAbi)}, expected ${RELAY_ABI}; rebuild it`,
    );
  }
  return mod as RelayBinding;
}

/** The error for a start() that returned `errno` (negative). */
export function relayStartError(errno: number): ProxyRelayError {
  const name = getSystemErrorName(errno);
  return new ProxyRelayError(
    'ERR_PROXY_RELAY_START',
    `native relay could not take the connection: ${name}`,
    name,
  );
}

/** The native relay's own accounting (see {@link NativeRelay.info}). */
export interface NativeRelayInfo {
  /** Connections C relays. */
  live: number;
  /** Free 64 KB buffers kept for reuse. */
  pooled: number;
  /** 64 KB buffers owned by live connections (bulk reads or bytes waiting). */
  held: number;
  /** Bytes read but not yet written because a destination is slow (backpressure bounds it). */
  pending: number;
}

const W = 5; // Float64 words per slot: bytes in, bytes out, packets in, packets out, dirty
const EV_CLOSED = 8;
/** Native accept: the connect completed, or failed (errno in bits 8 and up). */
export const EV_ESTABLISHED = 16;
/** See {@link EV_ESTABLISHED}; with EV_CLOSED the relay is gone (a local failure). */
export const EV_CONNECT_FAILED = 32;
/** The bit of a relay event saying C closed both sockets and freed the slot. */
export const EV_GONE = EV_CLOSED;
const FIRST_SLOTS = 1024;

/** Slot states. */
const S_FREE = 0;
const S_RELAYING = 1;
const S_HALF_CLOSED = 2;
const S_CONNECTING = 3;

/** Native relays of one process, their slots and their counters. */
export class NativeRelay {
  private stats: Float64Array;
  private dirty: Int32Array;
  private state: Uint8Array;
  /** Core connection index per slot. */
  private idxOf: Int32Array;
  /** Slot per core connection index (undefined: not natively relayed). */
  private readonly slotOf: (number | undefined)[] = [];
  private free: number[] = [];
  private cap = 0;
  private live = 0;
  private connectingNow = 0;
  /** Native accept's handler of EV_ESTABLISHED / EV_CONNECT_FAILED (native-acceptor.ts). */
  connectEvent: (slot: number, ev: number) => void = () => {};
  /** Called with the new slot count whenever the slot arrays grow. */
  onGrow: (cap: number) => void = () => {};
  private readonly onEvent = (slot: number, ev: number) => this.event(slot, ev);

  constructor(
    private readonly b: RelayBinding,
    private readonly core: ProxyCore,
  ) {
    this.stats = new Float64Array(0);
    this.dirty = new Int32Array(1);
    this.state = new Uint8Array(0);
    this.idxOf = new Int32Array(0);
    this.grow(FIRST_SLOTS);
  }

  /** Slots (the bound of every slot number). */
  get capacity(): number {
    return this.cap;
  }

  /** Slots natively accepted whose real server is not connected yet. */
  get connecting(): number {
    return this.connectingNow;
  }

  /** Whether `slot` waits for its real server's connect. */
  isConnecting(slot: number): boolean {
    return this.state[slot] === S_CONNECTING;
  }

  /** The core connection index of `slot` (-1: none). */
  idxAt(slot: number): number {
    return this.idxOf[slot] as number;
  }

  /**
   * Takes a slot for a client the native acceptor is about to hand C, bound to core connection
   * `idx`, in the connecting state (C puts the client in it when JS's batch call returns).
   */
  claim(idx: number): number {
    if (this.free.length === 0) this.grow(this.cap * 2);
    const slot = this.free.pop() as number;
    this.state[slot] = S_CONNECTING;
    this.connectingNow++;
    this.idxOf[slot] = idx;
    this.slotOf[idx] = slot;
    this.live++;
    return slot;
  }

  /** Binds a connecting slot to another core connection (a retry scheduled it anew). */
  rebind(slot: number, idx: number): void {
    const old = this.idxOf[slot] as number;
    if (old >= 0 && this.slotOf[old] === slot) this.slotOf[old] = undefined;
    this.idxOf[slot] = idx;
    if (idx >= 0) this.slotOf[idx] = slot;
  }

  /** Frees a slot JS gives up (refused, failed): C resets both sockets if it holds them. */
  drop(slot: number, inC: boolean): void {
    if (this.state[slot] === S_FREE) return;
    if (inC) this.b.relayClose(slot, true);
    this.stats.fill(0, slot * W, slot * W + W);
    this.release(slot);
  }

  /** Handles `n` queued (slot, event) pairs from `q` (native accept queues C's events). */
  events(q: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.event(q[2 * i] as number, q[2 * i + 1] as number);
  }

  /** Connections the native relay currently holds. */
  get liveConnections(): number {
    return this.live;
  }

  /**
   * Hands connection `idx` over: C relays between dups of the two fds (the caller then closes
   * its handles). `first` goes to the server before the client's bytes (PROXY protocol header).
   * Returns the slot, or a negative errno when C could not take it (the caller keeps relaying).
   */
  start(idx: number, clientFd: number, serverFd: number, first?: Uint8Array): number {
    if (this.free.length === 0) this.grow(this.cap * 2);
    const slot = this.free.pop() as number;
    const err = this.b.relayStart(slot, clientFd, serverFd, first);
    if (err !== 0) {
      this.free.push(slot);
      return err;
    }
    this.state[slot] = S_RELAYING;
    this.idxOf[slot] = idx;
    this.slotOf[idx] = slot;
    this.live++;
    return slot;
  }

  /** The core expired `idx`: resets both sockets if C relays it. True when it did. */
  expire(idx: number): boolean {
    const slot = this.slotOf[idx];
    if (slot === undefined || this.idxOf[slot] !== idx || this.state[slot] === S_FREE) return false;
    this.b.relayClose(slot, true);
    // The entry is being freed: its last unreported bytes (< one sweep) go with it, since the
    // expiry handler must not call back into the core.
    this.stats.fill(0, slot * W, slot * W + W);
    this.release(slot);
    return true;
  }

  /** Feeds the counters of every connection with traffic since the last sweep to the core. */
  sweep(now: number): void {
    const d = this.dirty;
    const n = d[0] as number;
    if (n === 0) return;
    if (n > d.length - 1) {
      for (let s = 0; s < this.cap; s++) this.report(s, now);
    } else {
      for (let i = 1; i <= n; i++) this.report(d[i] as number, now);
    }
    d[0] = 0;
  }

  /** C's own accounting: live relays, pooled and held 64 KB buffers, bytes waiting to be written. */
  info(): NativeRelayInfo {
    const o = new Float64Array(4);
    this.b.relayInfo(o);
    return { live: o[0] as number, pooled: o[1] as number, held: o[2] as number, pending: o[3] as number };
  }

  /** Counts slot's unreported traffic into the core (re-arming its timer) and clears it. */
  private report(slot: number, now: number): void {
    const st = this.stats;
    const o = slot * W;
    if (st[o + 4] === 0) return;
    const idx = this.idxOf[slot] as number;
    const bin = st[o] as number;
    const bout = st[o + 1] as number;
    if (idx >= 0 && this.state[slot] !== S_FREE) {
      if (bin > 0) this.core.countBytes(idx, 0, bin, st[o + 2] as number, now);
      if (bout > 0) this.core.countBytes(idx, 1, bout, st[o + 3] as number, now);
    }
    st.fill(0, o, o + W);
  }

  private event(slot: number, ev: number): void {
    if (this.state[slot] === S_FREE) return;
    if ((ev & (EV_ESTABLISHED | EV_CONNECT_FAILED)) !== 0) {
      if ((ev & EV_ESTABLISHED) !== 0) {
        this.state[slot] = S_RELAYING;
        this.connectingNow--;
      }
      this.connectEvent(slot, ev);
      return;
    }
    const now = Date.now();
    this.report(slot, now); // bytes first: they came before the FIN or reset
    const idx = this.idxOf[slot] as number;
    const what = ev & 7;
    if (what >= CONN_EV.CLIENT_FIN && what <= CONN_EV.SERVER_RST && idx >= 0) {
      this.core.connEvent(idx, what as 1 | 2 | 3 | 4, now);
    }
    if ((ev & EV_CLOSED) !== 0) this.release(slot);
    else this.state[slot] = S_HALF_CLOSED;
  }

  private release(slot: number): void {
    if (this.state[slot] === S_CONNECTING) this.connectingNow--;
    const idx = this.idxOf[slot] as number;
    if (idx >= 0 && this.slotOf[idx] === slot) this.slotOf[idx] = undefined;
    this.idxOf[slot] = -1;
    this.state[slot] = S_FREE;
    this.free.push(slot);
    this.live--;
  }

  /** Grows the slot arrays to `cap` and hands the new shared arrays to C. */
  private grow(cap: number): void {
    const stats = new Float64Array(cap * W);
    stats.set(this.stats);
    const dirty = new Int32Array(cap + 1);
    dirty.set(this.dirty);
    // Counts past the old capacity were not listed: make the next sweep scan every slot.
    if ((this.dirty[0] as number) > this.dirty.length - 1) dirty[0] = cap + 1;
    const state = new Uint8Array(cap);
    state.set(this.state);
    const idxOf = new Int32Array(cap).fill(-1);
    idxOf.set(this.idxOf);
    const err = this.b.relayInit(stats, dirty, this.onEvent);
    if (err !== 0) throw relayStartError(err);
    for (let s = cap - 1; s >= this.cap; s--) this.free.push(s);
    this.stats = stats;
    this.dirty = dirty;
    this.state = state;
    this.idxOf = idxOf;
    this.cap = cap;
    this.onGrow(cap);
  }
}
