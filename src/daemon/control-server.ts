/**
 * The control socket: a Unix stream socket speaking newline-delimited JSON (control/protocol.ts).
 * This file does the I/O only: it refuses to take over a live daemon's socket, binds with mode
 * 0600 so only the owner (root, as with the kernel's CAP_NET_ADMIN) can drive the table, frames
 * lines, and hands each to a handler that never throws, with backpressure both ways and a turn
 * of the event loop between slices of answers, so no client can stall traffic or fill memory.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  encodeResponse,
  errorResponse,
  LineDecoder,
  MAX_REQUEST_BYTES,
  ProtocolError,
  toWireError,
} from '../control/protocol.js';
import { LvsError } from '../core/errors.js';
import { pathStat, socketDirProblem } from './socket-path.js';

function euid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/** Errors starting the control socket, with stable codes. */
export class ControlSocketError extends LvsError {
  constructor(code: 'ERR_LVSD_ALREADY_RUNNING' | 'ERR_LVSD_SOCKET_PATH', message: string) {
    super(code, message);
    this.name = 'ControlSocketError';
  }
}

/**
 * Most concurrent control connections. At the limit a new client evicts the longest-idle one
 * (a client with no request in progress); when every connection is busy the newcomer is told
 * ERR_LVSD_BUSY, so idle clients cannot lock an operator out.
 */
export const MAX_CONNECTIONS = 64;
/** A control connection idle this long between requests is closed. */
export const IDLE_TIMEOUT_MS = 60_000;
/** A connection that has sent nothing this long after connecting is closed (lvsadm sends at once). */
export const FIRST_REQUEST_TIMEOUT_MS = 5_000;
/**
 * Request bytes queued per connection before it stops being read: a client pipelining requests
 * waits in its own socket buffer, not in lvsd's memory.
 */
export const MAX_QUEUED_REQUEST_BYTES = 1024 * 1024;
/**
 * Answer bytes buffered for a client before lvsd stops answering it until it reads: one large
 * answer at most, never an unbounded pile of them.
 */
export const MAX_BUFFERED_ANSWER_BYTES = 1024 * 1024;
/** Requests are answered for at most this long per turn of the event loop, then traffic runs. */
const SLICE_MS = 5;

/** Answers `true` when something accepts connections on `path` within `timeoutMs`. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (alive: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(alive);
    };
    // A daemon that accepts but is wedged still owns the socket: treat a timeout as alive.
    const t = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Makes `path` free for binding: refuses a directory another user owns or may write
 * (socket-path.ts socketDirProblem), refuses when a live daemon answers there or when it is not
 * a socket (never delete an operator's regular file), and removes a stale socket. `uid` is this
 * process's effective uid (a test seam).
 */
export async function claimSocketPath(path: string, uid: number | undefined = euid()): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const dirProblem = socketDirProblem(dirname(path), pathStat(lstatSync(dirname(path))), uid);
  if (dirProblem)
    throw new ControlSocketError('ERR_LVSD_SOCKET_PATH', `unsafe socket directory: ${dirProblem}`);
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) {
    throw new ControlSocketError('ERR_LVSD_SOCKET_PATH', `${path} exists and is not a socket`);
  }
  if (await probeSocket(path)) {
    throw new ControlSocketError('ERR_LVSD_ALREADY_RUNNING', `another lvsd is already listening on ${path}`);
  }
  unlinkSync(path);
}

/** A running control server. */
export interface ControlServer {
  readonly path: string;
  /** Stops accepting, closes client connections and removes the socket file. */
  close(): Promise<void>;
}

/** Handles a line; must not throw (daemon/control-handler.ts handleLine). */
export type LineHandler = (line: string) => string;

/**
 * One client: lines are queued as they arrive and answered in slices of SLICE_MS on later turns
 * of the event loop; reading stops while MAX_QUEUED_REQUEST_BYTES wait, answering stops while
 * the client has not drained MAX_BUFFERED_ANSWER_BYTES, and the work of a closed client is
 * dropped.
 */
class ControlConnection {
  // A FIFO as an array and a head index: shift() on a long array copies it every time.
  #queue: string[] = [];
  #head = 0;
  #queuedBytes = 0;
  #scheduled = false;
  #waitingDrain = false;
  #ended = false;
  /** When the last request arrived or the last answer was written (for eviction). */
  lastActive = Date.now();
  readonly #text = new StringDecoder('utf8');
  readonly #lines = new LineDecoder(MAX_REQUEST_BYTES);

  constructor(
    readonly sock: Socket,
    private readonly handle: LineHandler,
  ) {
    sock.setTimeout(FIRST_REQUEST_TIMEOUT_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.#clear());
    sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    sock.on('end', () => {
      // A final request without a newline is still answered before the half-close completes.
      const last = (this.#lines.rest() + this.#text.end()).trim();
      if (last !== '') this.#enqueue(last);
      this.#ended = true;
      this.#schedule();
    });
  }

  /** True when nothing is queued or being answered: the connection may be evicted. */
  get idle(): boolean {
    return this.#pending() === 0 && !this.#scheduled && !this.#waitingDrain;
  }

  #pending(): number {
    return this.#queue.length - this.#head;
  }

  #clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #onData(chunk: Buffer): void {
    this.sock.setTimeout(IDLE_TIMEOUT_MS);
    this.lastActive = Date.now();
    const got = this.#lines.push(this.#text.write(chunk));
    if (got === null) {
      const err = new ProtocolError('ERR_LVS_PROTO_TOO_LARGE', `request exceeds ${MAX_REQUEST_BYTES} bytes`);
      this.#clear();
      this.sock.removeAllListeners('data');
      this.sock.end(encodeResponse(errorResponse(null, toWireError(err))));
      return;
    }
    for (const line of got) if (line.trim() !== '') this.#enqueue(line);
    if (this.#queuedBytes > MAX_QUEUED_REQUEST_BYTES) this.sock.pause();
    this.#schedule();
  }

  #enqueue(line: string): void {
    this.#queue.push(line);
    this.#queuedBytes += line.length;
  }

  #schedule(): void {
    if (this.#scheduled || this.#waitingDrain || this.sock.destroyed) return;
    if (this.#pending() === 0) {
      if (this.#ended) this.sock.end();
      return;
    }
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    const t0 = performance.now();
    while (this.#pending() > 0 && !this.sock.destroyed) {
      const line = this.#queue[this.#head] as string;
      this.#queue[this.#head++] = '';
      this.#queuedBytes -= line.length;
      let out: string;
      try {
        out = this.handle(line);
      } catch (e) {
        // The handler is written not to throw; this is the last line of defence.
        out = encodeResponse(errorResponse(null, toWireError(e)));
      }
      this.sock.write(out);
      this.lastActive = Date.now();
      if (this.sock.writableLength > MAX_BUFFERED_ANSWER_BYTES) {
        this.#waitingDrain = true;
        this.sock.once('drain', () => {
          this.#waitingDrain = false;
          this.#schedule();
        });
        break;
      }
      if (performance.now() - t0 > SLICE_MS) break;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.sock.isPaused() && this.#queuedBytes <= MAX_QUEUED_REQUEST_BYTES / 2) this.sock.resume();
    this.#schedule();
  }
}

// Closes the connection idle the longest; false when every one is busy.
function evictIdle(conns: Set<ControlConnection>): boolean {
  let oldest: ControlConnection | undefined;
  for (const c of conns) if (c.idle && (!oldest || c.lastActive < oldest.lastActive)) oldest = c;
  if (!oldest) return false;
  oldest.sock.destroy();
  conns.delete(oldest);
  return true;
}

/** Claims `path`, listens there with mode 0600 and serves requests with `handle`. */
export async function startControlServer(path: string, handle: LineHandler): Promise<ControlServer> {
  await claimSocketPath(path);
  const conns = new Set<ControlConnection>();
  const refused = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (sock) => {
    if (conns.size >= MAX_CONNECTIONS && !evictIdle(conns)) {
      const err = new LvsError(
        'ERR_LVSD_BUSY',
        `lvsd is busy: ${conns.size} control clients are being served`,
      );
      refused.add(sock);
      sock.on('close', () => refused.delete(sock));
      sock.setTimeout(FIRST_REQUEST_TIMEOUT_MS, () => sock.destroy());
      sock.on('error', () => sock.destroy());
      sock.end(encodeResponse(errorResponse(null, toWireError(err))));
      return;
    }
    const c = new ControlConnection(sock, handle);
    conns.add(c);
    sock.on('close', () => conns.delete(c));
  });
  // umask covers the window between bind() and chmod(); chmod makes the mode explicit.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  let closed = false;
  return {
    path,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const c of conns) c.sock.destroy();
      for (const r of refused) r.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => {
          try {
            unlinkSync(path);
          } catch {
            // Already gone (Node removes the socket file on close on some platforms).
          }
          resolve();
        });
      });
    },
  };
}
