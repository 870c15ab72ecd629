/**
 * The control socket: a Unix stream socket speaking newline-delimited JSON (control/protocol.ts).
 * This file does the I/O only: it refuses to take over a live daemon's socket, binds with mode
 * 0600 so only the owner (root, as with the kernel's CAP_NET_ADMIN) can drive the table, frames
 * lines, and hands each to a handler that never throws.
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

/** Most concurrent control connections; more are closed at once (lvsadm uses one each). */
export const MAX_CONNECTIONS = 64;
/** A control connection idle this long is closed, so stuck clients cannot pin resources. */
export const IDLE_TIMEOUT_MS = 60_000;

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

function serveConnection(sock: Socket, handle: LineHandler): void {
  const text = new StringDecoder('utf8');
  const lines = new LineDecoder(MAX_REQUEST_BYTES);
  sock.setTimeout(IDLE_TIMEOUT_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    const got = lines.push(text.write(chunk));
    if (got === null) {
      const err = new ProtocolError('ERR_LVS_PROTO_TOO_LARGE', `request exceeds ${MAX_REQUEST_BYTES} bytes`);
      sock.end(encodeResponse(errorResponse(null, toWireError(err))));
      sock.removeAllListeners('data');
      return;
    }
    for (const line of got) {
      if (line.trim() === '') continue;
      let out: string;
      try {
        out = handle(line);
      } catch (e) {
        // The handler is written not to throw; this is the last line of defence.
        out = encodeResponse(errorResponse(null, toWireError(e)));
      }
      if (!sock.destroyed) sock.write(out);
    }
  });
  sock.on('end', () => {
    // A final request without a newline is still answered before the half-close completes.
    const last = (lines.rest() + text.end()).trim();
    if (last !== '' && !sock.destroyed) sock.write(handle(last));
    sock.end();
  });
}

/** Claims `path`, listens there with mode 0600 and serves requests with `handle`. */
export async function startControlServer(path: string, handle: LineHandler): Promise<ControlServer> {
  await claimSocketPath(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    serveConnection(sock, handle);
  });
  // Node closes connections beyond this at accept time.
  server.maxConnections = MAX_CONNECTIONS;
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
      for (const s of sockets) s.destroy();
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
