/**
 * The lvsd control protocol: newline-delimited JSON over a Unix socket. Every request and every
 * response carries the protocol version `v`, so a client and a daemon of different releases
 * fail with a coded error instead of misreading each other. Commands are the one `Command`
 * union (control/commands.ts) that config files and the HTTP API reuse; queries return views.
 * Pure: framing, validation and encoding only; the sockets live in daemon/ and programs/lvsadm/.
 */

import type { Errno } from '../core/errors.js';
import { LvsError } from '../core/errors.js';
import type { Change } from './apply.js';
import type { BgpView } from './bgp-views.js';
import type { Command, Query, SysctlName } from './commands.js';
import type { AvailabilityView, HealthView } from './health-views.js';
import { validateCommand, validateQuery } from './validate.js';
import type { DaemonView, Snapshot, StatsView, TimeoutsView } from './views.js';
import type { VrrpView } from './vrrp-views.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Largest accepted line (request or response) in bytes, newline excluded; a full listing fits. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Largest accepted request line: requests are small, so a lower cap limits a misbehaving peer. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** A request id: echoed back so a client can match responses to pipelined requests. */
export type RequestId = number | string;

/** A request as it crosses the socket. */
export type Request =
  | { readonly v: 1; readonly id: RequestId; readonly command: Command }
  | { readonly v: 1; readonly id: RequestId; readonly query: Query };

/** Whether the data plane sends new connections to one real server of a service, and why not. */
export interface DestStatus {
  /** `198.51.100.1:80` or `[2001:db8::1]:80`. */
  readonly dest: string;
  readonly serving: boolean;
  /** Why it gets no new connections, e.g. `direct routing (-g) needs the packet data plane`. */
  readonly reason?: string;
}

/** How the data plane is doing with one virtual service (reported, never a command failure). */
export interface VipStatus {
  /** `TCP 10.0.0.1:80` style text (serviceKeyText). */
  readonly service: string;
  /** true when the data plane is serving the VIP. */
  readonly serving: boolean;
  /** Why it is not served, e.g. `EADDRNOTAVAIL` or `UDP is not proxied`. */
  readonly reason?: string;
  /** Each real server, in table order (absent from daemons that do not report them). */
  readonly dests?: readonly DestStatus[];
}

/** Daemon-level status for `{q:'status'}`. */
export interface StatusView {
  readonly version: string;
  readonly pid: number;
  readonly uptimeMs: number;
  readonly dataplane: string;
  readonly connTabSize: number;
  readonly services: number;
  readonly vips: readonly VipStatus[];
  /** Global counters since start (the kernel's tot_stats, /proc/net/ip_vs_stats). */
  readonly totals?: StatsView;
  /** The data plane's own counters, when it keeps any. */
  readonly plane?: DataPlaneCounters;
  /** Counters of each running sync daemon role. */
  readonly sync?: readonly SyncRoleStatus[];
  /** The connection-table defenses: what is in force and what they refused. */
  readonly defense?: DefenseStatus;
}

/** The connection-table defenses of a running director (core/defense.ts). */
export interface DefenseStatus {
  /** Defenses in force now: drop_entry, drop_packet, secure_tcp. */
  readonly active: readonly string[];
  /** Free + buffer memory at the last measurement, KiB (absent before the first or when unreadable). */
  readonly availableKiB?: number;
  /** Entries in the connection table now. */
  readonly conns: number;
  /** The conn_max bound (0 = none). */
  readonly connMax: number;
  /** New connections dropped by drop_packet. */
  readonly droppedPackets: number;
  /** Entries removed by drop_entry. */
  readonly droppedEntries: number;
  /** New connections refused at conn_max. */
  readonly refusedConnMax: number;
  /** Half-open entries evicted to admit a new connection at conn_max (absent from older daemons). */
  readonly evictedConnMax?: number;
}

/** Cumulative counters of a data plane, by stable name (for status and metrics). */
export interface DataPlaneCounters {
  /** Packets dropped, by reason (engine/drops.ts DROP_NAME for the packet plane); zeros omitted. */
  readonly drops: Readonly<Record<string, number>>;
  /** Proxy plane: TCP relay events (accepted, noDest, connectFailures, retries, expired, native, localErrors). */
  readonly relay?: Readonly<Record<string, number>>;
  /** Packet plane: frames and bytes per interface. */
  readonly interfaces?: readonly InterfaceCounters[];
  /** Packet plane with AF_XDP: each socket's ring counters (cumulative, from XDP_STATISTICS). */
  readonly xdp?: ReadonlyArray<{
    readonly name: string;
    readonly counters: Readonly<Record<string, number>>;
  }>;
  /** Packet plane with XDP flow offload: entries installed now, installs, refusals, removals, folded packets and bytes. */
  readonly offload?: Readonly<Record<string, number>>;
}

/** Frame counters of one interface of the packet plane. */
export interface InterfaceCounters {
  readonly name: string;
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly txFrames: number;
  readonly txBytes: number;
  readonly txDropped: number;
}

/** Counters of one running sync daemon role (daemon/sync/sync-service.ts SyncRoleCounters). */
export interface SyncRoleStatus {
  readonly state: 'master' | 'backup';
  /** Master: datagrams sent; backup: datagrams received. */
  readonly datagrams: number;
  /** Master: messages dropped because the send queue was full (sync_qlen_max). */
  readonly queueDrops: number;
  readonly errors: number;
}

/** The answer to a query, tagged by the query kind. */
export type QueryResult =
  | { readonly q: 'list'; readonly snapshot: Snapshot }
  | { readonly q: 'timeouts'; readonly timeouts: TimeoutsView }
  | { readonly q: 'daemons'; readonly daemons: readonly DaemonView[] }
  | { readonly q: 'laddrs'; readonly snapshot: Snapshot }
  | { readonly q: 'status'; readonly status: StatusView }
  /** Built by src/health (views.ts); NaN values cross the socket as JSON null. */
  | { readonly q: 'health'; readonly health: HealthView }
  | { readonly q: 'availability'; readonly availability: AvailabilityView }
  /** Built by the daemon's VRRP runner (src/daemon/vrrp). */
  | { readonly q: 'vrrp'; readonly vrrp: VrrpView }
  | { readonly q: 'sysctls'; readonly sysctls: Readonly<Record<SysctlName, number>> }
  /** Built by the daemon's BGP announcer (src/daemon/bgp). */
  | { readonly q: 'bgp'; readonly bgp: BgpView };

/** Code of the answer to a health query when lvsd runs no health checks (no `--config`). */
export const NO_HEALTH_CODE = 'ERR_LVS_NO_HEALTH';

/** Code of the answer to a VRRP query when lvsd runs no VRRP instances. */
export const NO_VRRP_CODE = 'ERR_LVS_NO_VRRP';

/**
 * A coded failure as it crosses the socket. `errno` is set for table errors (libipvs.c
 * `ipvs_strerror` maps them).
 */
export interface WireError {
  readonly code: string;
  readonly errno?: Errno;
  readonly message: string;
}

/** A response as it crosses the socket. */
export type Response =
  | { readonly v: 1; readonly id: RequestId | null; readonly ok: true; readonly changes: readonly Change[] }
  | { readonly v: 1; readonly id: RequestId | null; readonly ok: true; readonly result: QueryResult }
  | { readonly v: 1; readonly id: RequestId | null; readonly ok: false; readonly error: WireError };

/** A protocol-level failure (framing, JSON, version, envelope) with a stable code. */
export class ProtocolError extends LvsError {
  constructor(code: ProtocolErrorCode, message: string) {
    super(code, message);
    this.name = 'ProtocolError';
  }
}

/** Stable codes of {@link ProtocolError}. */
export type ProtocolErrorCode =
  | 'ERR_LVS_PROTO_TOO_LARGE'
  | 'ERR_LVS_PROTO_JSON'
  | 'ERR_LVS_PROTO_VERSION'
  | 'ERR_LVS_PROTO_ENVELOPE'
  | 'ERR_LVS_PROTO_RESPONSE';

/** The outcome of decoding one request line: a request, or the error to answer with. */
export type DecodedRequest =
  | { readonly ok: true; readonly request: Request }
  | { readonly ok: false; readonly id: RequestId | null; readonly error: WireError };

function isId(x: unknown): x is RequestId {
  return (typeof x === 'number' && Number.isFinite(x)) || (typeof x === 'string' && x.length <= 128);
}

/** Turns any thrown value into a wire error; unknown throwables become ERR_LVS_INTERNAL. */
export function toWireError(e: unknown): WireError {
  if (e instanceof LvsError) {
    return e.errno !== undefined
      ? { code: e.code, errno: e.errno, message: e.message }
      : { code: e.code, message: e.message };
  }
  return { code: 'ERR_LVS_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Decodes and validates one request line (without its newline). Never throws: every malformed
 * input becomes a coded error, echoing the request id when one could be read.
 */
export function decodeRequest(line: string): DecodedRequest {
  let id: RequestId | null = null;
  try {
    if (Buffer.byteLength(line, 'utf8') > MAX_REQUEST_BYTES) {
      throw new ProtocolError('ERR_LVS_PROTO_TOO_LARGE', `request exceeds ${MAX_REQUEST_BYTES} bytes`);
    }
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      throw new ProtocolError('ERR_LVS_PROTO_JSON', 'request is not valid JSON');
    }
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      throw new ProtocolError('ERR_LVS_PROTO_ENVELOPE', 'request must be a JSON object');
    }
    const o = x as Record<string, unknown>;
    if (isId(o.id)) id = o.id;
    if (o.v !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        'ERR_LVS_PROTO_VERSION',
        `unsupported protocol version ${JSON.stringify(o.v) ?? 'undefined'} (this lvsd speaks ${PROTOCOL_VERSION})`,
      );
    }
    if (id === null)
      throw new ProtocolError('ERR_LVS_PROTO_ENVELOPE', 'request id must be a number or string');
    const hasCmd = o.command !== undefined;
    const hasQuery = o.query !== undefined;
    if (hasCmd === hasQuery) {
      throw new ProtocolError('ERR_LVS_PROTO_ENVELOPE', 'request needs exactly one of "command" or "query"');
    }
    const request: Request = hasCmd
      ? { v: 1, id, command: validateCommand(o.command) }
      : { v: 1, id, query: validateQuery(o.query) };
    return { ok: true, request };
  } catch (e) {
    return { ok: false, id, error: toWireError(e) };
  }
}

/** Encodes a request as one line (with its newline). */
export function encodeRequest(r: Request): string {
  return `${JSON.stringify(r)}\n`;
}

/** Encodes a response as one line (with its newline). */
export function encodeResponse(r: Response): string {
  return `${JSON.stringify(r)}\n`;
}

/** An error response for request `id`. */
export function errorResponse(id: RequestId | null, error: WireError): Response {
  return { v: 1, id, ok: false, error };
}

/**
 * Decodes a response line on the client side. Checks the envelope only: the daemon is trusted
 * to send well-formed views, but a wrong version or garbage must not be misread.
 */
export function decodeResponse(line: string): Response {
  let x: unknown;
  try {
    x = JSON.parse(line);
  } catch {
    throw new ProtocolError('ERR_LVS_PROTO_RESPONSE', 'response is not valid JSON');
  }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new ProtocolError('ERR_LVS_PROTO_RESPONSE', 'response must be a JSON object');
  }
  const o = x as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('ERR_LVS_PROTO_VERSION', `daemon answered with protocol version ${String(o.v)}`);
  }
  if (o.ok === true && (Array.isArray(o.changes) || (typeof o.result === 'object' && o.result !== null))) {
    return o as unknown as Response;
  }
  if (o.ok === false && typeof o.error === 'object' && o.error !== null) {
    const e = o.error as Record<string, unknown>;
    if (typeof e.code === 'string' && typeof e.message === 'string') return o as unknown as Response;
  }
  throw new ProtocolError('ERR_LVS_PROTO_RESPONSE', 'malformed response envelope');
}

/**
 * Splits a byte stream into lines, enforcing a maximum line size so a peer that never sends a
 * newline cannot grow our buffer without bound. Works on decoded text; UTF-8 sequences split
 * across chunks are handled by the caller's StringDecoder.
 */
export class LineDecoder {
  private buf = '';
  private overflowed = false;
  constructor(private readonly maxBytes: number) {}

  /**
   * Feeds text; returns complete lines. Returns `null` once the pending partial line exceeds
   * the limit: the stream is then unusable and the caller answers with ERR_LVS_PROTO_TOO_LARGE.
   */
  push(text: string): string[] | null {
    if (this.overflowed) return null;
    this.buf += text;
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.buf.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > this.maxBytes) {
        this.overflowed = true;
        return null;
      }
      lines.push(line);
      start = nl + 1;
    }
    this.buf = this.buf.slice(start);
    // String length bounds UTF-8 bytes from below; a char-count check is cheap and sufficient
    // as a memory guard, and decodeRequest re-checks the exact byte size.
    if (this.buf.length > this.maxBytes) {
      this.overflowed = true;
      return null;
    }
    return lines;
  }

  /** Text received after the last newline (an unterminated final line). */
  rest(): string {
    return this.buf;
  }
}
