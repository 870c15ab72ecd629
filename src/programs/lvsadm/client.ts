/**
 * lvsadm's side of the control socket: one connection per invocation, requests sent one at a
 * time and matched to responses by id. `ControlClient` is the narrow interface the runner uses;
 * `loopbackClient` is its in-memory twin for tests (feeds lines straight to a handler).
 */
import { lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Command, Query } from '../../control/commands.js';
import {
  decodeResponse,
  encodeRequest,
  LineDecoder,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  type Request,
  type Response,
} from '../../control/protocol.js';
import { LvsError } from '../../core/errors.js';
import { pathStat, socketDirProblem, socketFileProblem } from '../../daemon/socket-path.js';

/** The body of a request: one command or one query. */
export type RequestBody = { readonly command: Command } | { readonly query: Query };

/** What the runner needs from a connection to lvsd. */
export interface ControlClient {
  /** Sends one request and resolves with its response (rejects on transport failure). */
  request(body: RequestBody): Promise<Response>;
  /** Closes the connection. */
  close(): void;
}

/** Transport failures, with stable codes the runner maps to its one-line messages. */
export class ClientError extends LvsError {
  /** The socket path involved. */
  readonly path: string;
  constructor(
    code:
      | 'ERR_LVSADM_NO_DAEMON'
      | 'ERR_LVSADM_ACCESS'
      | 'ERR_LVSADM_DISCONNECTED'
      | 'ERR_LVSADM_UNSAFE_SOCKET'
      | 'ERR_LVSADM_BUSY',
    message: string,
    path: string,
  ) {
    super(code, message);
    this.name = 'ClientError';
    this.path = path;
  }
}

/** How long to wait for the daemon to accept and answer before giving up. */
export const CLIENT_TIMEOUT_MS = 10_000;

/**
 * Connects to lvsd at `path`. Rejects with ClientError when no daemon answers there, or when the
 * socket or its directory belongs to another user (`euid`: this process's, by default).
 */
export function connectClient(
  path: string,
  timeoutMs = CLIENT_TIMEOUT_MS,
  euid: number | undefined = typeof process.geteuid === 'function' ? process.geteuid() : undefined,
): Promise<ControlClient> {
  const unsafe = unsafeSocket(path, euid);
  if (unsafe) return Promise.reject(new ClientError('ERR_LVSADM_UNSAFE_SOCKET', unsafe, path));
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(path);
    sock.once('error', (e: NodeJS.ErrnoException) => {
      sock.destroy();
      const code = e.code === 'EACCES' || e.code === 'EPERM' ? 'ERR_LVSADM_ACCESS' : 'ERR_LVSADM_NO_DAEMON';
      reject(new ClientError(code, e.message, path));
    });
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(socketClient(sock, path, timeoutMs));
    });
  });
}

// The socket and its directory must belong to this user or root (socket-path.ts): commands sent
// to a socket another user planted would reach that user's process. A path that is not there
// is left to connect(), which reports it.
function unsafeSocket(path: string, euid: number | undefined): string | undefined {
  try {
    const dir = dirname(path);
    return (
      socketDirProblem(dir, pathStat(lstatSync(dir)), euid) ??
      socketFileProblem(path, pathStat(lstatSync(path)), euid)
    );
  } catch {
    return undefined;
  }
}

function socketClient(sock: Socket, path: string, timeoutMs: number): ControlClient {
  const text = new StringDecoder('utf8');
  const lines = new LineDecoder(MAX_LINE_BYTES);
  const pending = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;

  const failAll = (e: Error) => {
    dead ??= e;
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };
  sock.setTimeout(timeoutMs, () => {
    failAll(new ClientError('ERR_LVSADM_DISCONNECTED', `lvsd at ${path} did not answer`, path));
    sock.destroy();
  });
  sock.on('error', (e) => failAll(new ClientError('ERR_LVSADM_DISCONNECTED', e.message, path)));
  sock.on('close', () =>
    failAll(new ClientError('ERR_LVSADM_DISCONNECTED', 'lvsd closed the connection', path)),
  );
  sock.on('data', (chunk: Buffer) => {
    const got = lines.push(text.write(chunk));
    if (got === null) {
      failAll(new ProtocolError('ERR_LVS_PROTO_TOO_LARGE', 'response line too large'));
      sock.destroy();
      return;
    }
    for (const line of got) {
      let r: Response;
      try {
        r = decodeResponse(line);
      } catch (e) {
        failAll(e as Error);
        sock.destroy();
        return;
      }
      const id = typeof r.id === 'number' ? r.id : -1;
      const p = pending.get(id);
      if (p) {
        pending.delete(id);
        p.resolve(r);
      } else if (r.id === null && !r.ok && r.error.code === 'ERR_LVSD_BUSY') {
        // Every control connection is busy (control-server.ts): say so, not "lost connection".
        failAll(new ClientError('ERR_LVSADM_BUSY', r.error.message, path));
      } else if (r.id === null && !r.ok) {
        // An envelope-level error the daemon could not tie to a request.
        failAll(new ProtocolError('ERR_LVS_PROTO_RESPONSE', r.error.message));
      }
    }
  });

  return {
    request(body) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      const req = { v: PROTOCOL_VERSION, id, ...body } as Request;
      return new Promise<Response>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        sock.write(encodeRequest(req));
      });
    },
    close() {
      sock.end();
      sock.destroy();
    },
  };
}

/** An in-memory client that hands each encoded request line to `handle` (tests, embedding). */
export function loopbackClient(handle: (line: string) => string): ControlClient {
  let nextId = 1;
  return {
    async request(body) {
      const req = { v: PROTOCOL_VERSION, id: nextId++, ...body } as Request;
      return decodeResponse(handle(encodeRequest(req).trimEnd()).trimEnd());
    },
    close() {},
  };
}
