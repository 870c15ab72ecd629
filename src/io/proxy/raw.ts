/**
 * Typed access to Node's libuv TCP handles (the `tcp_wrap` and `stream_wrap` bindings that
 * `net.Socket` itself sits on). The relay talks to these directly because a `net.Socket` costs two
 * stream state machines, an EventEmitter and several closures per connection: that overhead is what
 * holds a naive `pipe()` proxy to 41% of HAProxy's new-connection rate and 3× its memory (wrk
 * against HAProxy 2.6, one thread each, on a 2-vCPU VM). `process.binding` is deprecated (DEP0111,
 * documentation-only) but stable in Node 20; `rawTcpAvailable` lets callers fall back if a future
 * Node removes it.
 */

/** A libuv TCP handle as the binding exposes it (methods return 0 or a negative errno). */
export interface RawTcp {
  bind(addr: string, port: number): number;
  bind6(addr: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: RawConnectReq, addr: string, port: number): number;
  connect6(req: RawConnectReq, addr: string, port: number): number;
  getpeername(out: { address?: string; port?: number; family?: string }): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  writeBuffer(req: RawWriteReq, buf: Uint8Array): number;
  shutdown(req: RawShutdownReq): number;
  reset(cb?: () => void): number;
  close(cb?: () => void): void;
  onread: (this: RawTcp, ab: ArrayBuffer | undefined) => Uint8Array | undefined;
  onconnection: (err: number, client: RawTcp | undefined) => void;
  readonly writeQueueSize: number;
  /** The OS file descriptor (-1 before open); the native relay dups it. */
  readonly fd: number;
  /** Our back-pointer from a handle to the relay record that owns it. */
  rec: unknown;
}

/** A pending connect request. */
export interface RawConnectReq {
  oncomplete: (status: number, handle: RawTcp, req: RawConnectReq) => void;
  address: string;
  port: number;
  rec: unknown;
}

/** A pending write request. */
export interface RawWriteReq {
  handle: RawTcp | null;
  oncomplete: ((this: RawWriteReq, status: number) => void) | null;
  async: boolean;
  /** Keeps the written memory alive while the write is pending. */
  buffer: Uint8Array | null;
  rec: unknown;
  dir: number;
}

/** A pending shutdown (half-close) request. */
export interface RawShutdownReq {
  handle: RawTcp | null;
  oncomplete: ((this: RawShutdownReq, status: number) => void) | null;
  rec: unknown;
  dir: number;
}

interface TcpWrapBinding {
  TCP: new (type: number) => RawTcp;
  TCPConnectWrap: new () => RawConnectReq;
  constants: { SOCKET: number; SERVER: number; UV_TCP_IPV6ONLY: number };
}
interface StreamWrapBinding {
  WriteWrap: new () => RawWriteReq;
  ShutdownWrap: new () => RawShutdownReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

function load(): { tcp: TcpWrapBinding; stream: StreamWrapBinding } | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const tcp = binding('tcp_wrap') as TcpWrapBinding;
    const stream = binding('stream_wrap') as StreamWrapBinding;
    if (typeof tcp.TCP !== 'function' || !(stream.streamBaseState instanceof Int32Array)) return undefined;
    return { tcp, stream };
  } catch {
    return undefined;
  }
}

const b = load();

/** True when this Node exposes the handle bindings the relay needs. */
export const rawTcpAvailable = b !== undefined;

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('tcp_wrap binding unavailable');
  return v;
}

/** Creates a TCP socket handle (for connect). */
export function newSocketHandle(): RawTcp {
  const t = need(b).tcp;
  return new t.TCP(t.constants.SOCKET);
}

/** Creates a TCP server handle (for listen). */
export function newServerHandle(): RawTcp {
  const t = need(b).tcp;
  return new t.TCP(t.constants.SERVER);
}

/** Creates a connect request. */
export function newConnectReq(): RawConnectReq {
  return new (need(b).tcp.TCPConnectWrap)();
}

/** Creates a write request. */
export function newWriteReq(): RawWriteReq {
  return new (need(b).stream.WriteWrap)();
}

/** Creates a shutdown request. */
export function newShutdownReq(): RawShutdownReq {
  return new (need(b).stream.ShutdownWrap)();
}

/** The binding's shared state words: bytes read (or -errno) by the last read callback, etc. */
export const streamState: Int32Array = b ? b.stream.streamBaseState : new Int32Array(8);
/** Index in {@link streamState} of the last read's byte count or -errno. */
export const K_READ = b ? b.stream.kReadBytesOrError : 0;
/** Index in {@link streamState} that is 1 when the last write was queued (async). */
export const K_ASYNC = b ? b.stream.kLastWriteWasAsync : 0;
/** bind6 flag for an IPv6-only socket. */
export const IPV6ONLY = b ? b.tcp.constants.UV_TCP_IPV6ONLY : 1;
/** libuv's UV_EOF. */
export const UV_EOF = -4095;
