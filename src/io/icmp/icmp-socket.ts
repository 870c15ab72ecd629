/**
 * One ICMP echo socket of one address family, in the shape of Node's dgram.Socket over udp_wrap
 * (lib/dgram.js): the addon returns -errno ints; this class validates arguments, keeps the
 * UNOPENED → OPEN → CLOSED state in one private object, turns errnos into codes, and multiplexes
 * any number of concurrent echoes over the one socket by sequence number (the identifier is the
 * socket's: kernel-chosen for ping sockets, random for raw ones). Timeouts are plain timers.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { formatIpBytes, ipBytes } from '../../core/addr.js';
import { errnoName } from '../packet-socket/errors.js';
import { IcmpSocketError, IcmpSystemError } from './errors.js';
import {
  ICMP_KIND_DGRAM,
  ICMP_KIND_RAW,
  ICMP_REC_ERROR,
  ICMP_REC_REPLY,
  ICMP_RECORD_BYTES,
  type IcmpBinding,
  type IcmpHandle,
  loadIcmpBinding,
} from './icmp-binding.js';

/** Lifecycle states; transitions only go forward. */
export const IcmpSocketState = { UNOPENED: 'UNOPENED', OPEN: 'OPEN', CLOSED: 'CLOSED' } as const;
/** One of {@link IcmpSocketState}. */
export type IcmpSocketState = (typeof IcmpSocketState)[keyof typeof IcmpSocketState];

/** Which socket to open: a ping socket, a raw socket, or the ping socket with raw as fallback. */
export type IcmpSocketKind = 'dgram' | 'raw';

/** Outcome of one echo: a reply with its round-trip time, or why there was none. */
export type PingOutcome =
  | { readonly ok: true; readonly rttMs: number }
  | {
      readonly ok: false;
      /** Stable code: 'ETIMEDOUT', an errno name from sendto or an ICMP error, or an ERR_* code. */
      readonly code: string;
      /** Human-readable reason ("EHOSTUNREACH: ICMP type 3 code 1 from 192.0.2.2"). */
      readonly reason: string;
    };

/** Options of {@link IcmpSocket}. */
export interface IcmpSocketOptions {
  /** Address family: 4 (ICMP) or 6 (ICMPv6). */
  family: 4 | 6;
  /** 'auto' (default) tries a ping socket, then a raw socket. */
  kind?: IcmpSocketKind | 'auto';
  /** Echo payload bytes (default 16, ping's 56 is not needed to prove liveness). */
  payloadBytes?: number;
  /** Test seam (like dgram's `lookup`): the native binding to use instead of the addon. */
  binding?: IcmpBinding;
}

interface Pending {
  readonly addr: Uint8Array;
  readonly sentMs: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (o: PingOutcome) => void;
}

interface SocketState {
  state: IcmpSocketState;
  readonly binding: IcmpBinding;
  readonly family: 4 | 6;
  readonly want: IcmpSocketKind | 'auto';
  kind: IcmpSocketKind | undefined;
  handle: IcmpHandle | undefined;
  ident: number;
  nextSeq: number;
  readonly pending: Map<number, Pending>;
  readonly payload: Uint8Array;
  readonly records: Uint8Array;
}

const kState = Symbol('kState');
/** Records per receive callback; more stay queued in the kernel for the next round. */
const RECORDS = 256;

/** Milliseconds on CLOCK_MONOTONIC, the clock the addon stamps replies with. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** An ICMP echo socket of one family serving many concurrent pings. */
export class IcmpSocket extends EventEmitter {
  private readonly [kState]: SocketState;

  constructor(options: IcmpSocketOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw argType('options', 'an object', options);
    if (options.family !== 4 && options.family !== 6) throw argValue('family', '4 or 6', options.family);
    const want = options.kind ?? 'auto';
    if (want !== 'auto' && want !== 'dgram' && want !== 'raw')
      throw argValue('kind', "'auto', 'dgram' or 'raw'", want);
    const payloadBytes = options.payloadBytes ?? 16;
    if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > 2048) {
      throw argValue('payloadBytes', 'an integer from 0 to 2048', payloadBytes);
    }
    const payload = new Uint8Array(payloadBytes);
    for (let i = 0; i < payloadBytes; i++) payload[i] = 0x20 + (i % 64);
    this[kState] = {
      state: IcmpSocketState.UNOPENED,
      // Loaded here, not at import: a missing addon only fails the code that needs it.
      binding: options.binding ?? loadIcmpBinding(),
      family: options.family,
      want,
      kind: undefined,
      handle: undefined,
      ident: 0,
      nextSeq: randomInt(0x10000),
      pending: new Map(),
      payload,
      // Float64 backing keeps the records 8-byte aligned, as the addon requires.
      records: new Uint8Array(new Float64Array((RECORDS * ICMP_RECORD_BYTES) / 8).buffer),
    };
  }

  /** Current lifecycle state. */
  get state(): IcmpSocketState {
    return this[kState].state;
  }

  /** The kind actually opened (undefined before open). */
  get kind(): IcmpSocketKind | undefined {
    return this[kState].kind;
  }

  /** The echo identifier in use (kernel-chosen for ping sockets). */
  get ident(): number {
    return this[kState].ident;
  }

  /** Echoes awaiting a reply. */
  get pendingCount(): number {
    return this[kState].pending.size;
  }

  /**
   * Opens the socket. With kind 'auto' a ping socket is tried first (no privilege when the gid
   * is in net.ipv4.ping_group_range), then a raw one (CAP_NET_RAW). When nothing opens this
   * throws ERR_ICMP_SOCKET_UNAVAILABLE naming both errnos; an explicit kind throws its
   * IcmpSystemError.
   */
  open(): this {
    const s = this[kState];
    if (s.state === IcmpSocketState.CLOSED) throw closed();
    if (s.state === IcmpSocketState.OPEN) {
      throw new IcmpSocketError('ERR_ICMP_SOCKET_ALREADY_OPEN', 'ICMP socket is already open');
    }
    const kinds: IcmpSocketKind[] = s.want === 'auto' ? ['dgram', 'raw'] : [s.want];
    const failures: IcmpSystemError[] = [];
    for (const kind of kinds) {
      const h = s.binding.icmpCreateHandle();
      const ident = randomInt(0x10000);
      const r = s.binding.icmpOpen(h, s.family, kind === 'raw' ? ICMP_KIND_RAW : ICMP_KIND_DGRAM, ident);
      if (r < 0) {
        s.binding.icmpClose(h);
        failures.push(new IcmpSystemError(r, 'socket', `${kind} ICMPv${s.family === 4 ? '4' : '6'}`));
        continue;
      }
      const rs = s.binding.icmpReadStart(h, s.records, (count) => this.onRecords(count));
      if (rs < 0) {
        s.binding.icmpClose(h);
        throw new IcmpSystemError(rs, 'poll');
      }
      s.handle = h;
      s.kind = kind;
      s.ident = s.binding.icmpIdent(h);
      s.state = IcmpSocketState.OPEN;
      return this;
    }
    if (s.want !== 'auto') throw failures[0]!;
    throw new IcmpSocketError(
      'ERR_ICMP_SOCKET_UNAVAILABLE',
      `no ICMPv${s.family === 4 ? '4' : '6'} socket: ping socket ${failures[0]?.code} ` +
        `(is the gid in net.ipv4.ping_group_range?), raw socket ${failures[1]?.code} (needs CAP_NET_RAW)`,
    );
  }

  /**
   * Sends one echo request to `addr` (an IP literal of this socket's family) and resolves with
   * the reply's RTT or the reason there was none within `timeoutMs`. Never rejects; bad
   * arguments and a socket that is not open throw synchronously, as dgram's send() does.
   */
  ping(addr: string, timeoutMs: number): Promise<PingOutcome> {
    const s = this[kState];
    if (typeof addr !== 'string') throw argType('addr', 'a string', addr);
    const bytes = ipBytes(addr);
    if (!bytes || bytes.length !== (s.family === 4 ? 4 : 16)) {
      throw argValue('addr', `an IPv${s.family} address`, addr);
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw argValue('timeoutMs', 'a positive number', timeoutMs);
    if (s.state === IcmpSocketState.CLOSED) throw closed();
    if (s.state !== IcmpSocketState.OPEN) {
      throw new IcmpSocketError('ERR_ICMP_SOCKET_NOT_OPEN', 'ICMP socket is not open');
    }
    const seq = this.allocSeq();
    if (seq < 0) return Promise.resolve(fail('ENOBUFS', 'ENOBUFS: 65536 echoes already outstanding'));
    const sentMs = monotonicMs();
    const r = s.binding.icmpSend(s.handle!, bytes, seq, s.payload);
    if (r < 0) {
      const code = errnoName(r);
      return Promise.resolve(fail(code, `${code} sending the echo request`));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        s.pending.delete(seq);
        resolve(fail('ETIMEDOUT', `no echo reply within ${timeoutMs} ms`));
      }, timeoutMs);
      s.pending.set(seq, { addr: bytes, sentMs, timer, resolve });
    });
  }

  /** Closes the socket; echoes still waiting resolve with ERR_ICMP_SOCKET_CLOSED. Idempotent. */
  close(): void {
    const s = this[kState];
    if (s.state === IcmpSocketState.CLOSED) return;
    if (s.handle) s.binding.icmpClose(s.handle);
    s.handle = undefined;
    s.state = IcmpSocketState.CLOSED;
    for (const p of s.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(fail('ERR_ICMP_SOCKET_CLOSED', 'ICMP socket closed before a reply'));
    }
    s.pending.clear();
    this.emit('close');
  }

  private allocSeq(): number {
    const s = this[kState];
    if (s.pending.size >= 0x10000) return -1;
    // Skip sequence numbers still in flight after a wrap-around.
    while (s.pending.has(s.nextSeq)) s.nextSeq = (s.nextSeq + 1) & 0xffff;
    const seq = s.nextSeq;
    s.nextSeq = (seq + 1) & 0xffff;
    return seq;
  }

  /** Matches received records to pending echoes by (identifier, sequence, peer address). */
  private onRecords(count: number): void {
    const s = this[kState];
    const rec = s.records;
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    for (let i = 0; i < count; i++) {
      const o = i * ICMP_RECORD_BYTES;
      if (dv.getUint16(o + 4, true) !== s.ident) continue;
      const seq = dv.getUint16(o + 6, true);
      const p = s.pending.get(seq);
      if (!p || !sameAddr(rec, o + 24, p.addr)) continue;
      s.pending.delete(seq);
      clearTimeout(p.timer);
      const kind = rec[o];
      if (kind === ICMP_REC_REPLY) {
        p.resolve({ ok: true, rttMs: Math.max(0, dv.getFloat64(o + 16, true) - p.sentMs) });
      } else if (kind === ICMP_REC_ERROR) {
        const code = errnoName(-dv.getInt32(o + 8, true));
        const from = rec.subarray(o + 40, o + 40 + p.addr.length);
        p.resolve(
          fail(code, `${code}: ICMP type ${rec[o + 2]} code ${rec[o + 3]} from ${formatIpBytes(from)}`),
        );
      }
    }
  }
}

function sameAddr(rec: Uint8Array, off: number, addr: Uint8Array): boolean {
  for (let i = 0; i < addr.length; i++) if (rec[off + i] !== addr[i]) return false;
  return true;
}

function fail(code: string, reason: string): PingOutcome {
  return { ok: false, code, reason };
}

function closed(): IcmpSocketError {
  return new IcmpSocketError('ERR_ICMP_SOCKET_CLOSED', 'ICMP socket is closed');
}

function argType(name: string, what: string, v: unknown): IcmpSocketError {
  return new IcmpSocketError('ERR_INVALID_ARG_TYPE', `${name} must be ${what}, got ${typeof v}`);
}

function argValue(name: string, what: string, v: unknown): IcmpSocketError {
  return new IcmpSocketError('ERR_INVALID_ARG_VALUE', `${name} must be ${what}, got ${String(v)}`);
}
