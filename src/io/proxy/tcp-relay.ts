/**
 * The TCP relay: one small record per proxied connection joining the accepted client handle and
 * the handle connected to the real server chosen by the core. Engineering choices, measured in
 * bench/proxy.ts:
 * - libuv handles directly (raw.ts), not net.Socket: no stream state machines, no per-chunk
 *   events or closures; callbacks are shared functions that find their record through `rec`.
 * - Reads land in one process-wide buffer. A small chunk is copied into one process-wide staging
 *   buffer and written from a cached view of it, so a request/response relay allocates nothing
 *   per read; the shared read buffer is never referenced by a pending write. The rare small write
 *   libuv has to queue keeps its staging buffer, and a fresh one takes its place. A side that
 *   reads big chunks (bulk transfer) gets a private read buffer and is written without a copy;
 *   it returns to the shared one when traffic gets small again, so idle connections own no
 *   buffer at all.
 * - Traffic re-arms the core's timer with a clock read by the 250 ms sweep (plus one sweep
 *   period, so an entry never expires before its timeout), not Date.now() per read.
 * - Backpressure both ways: a write libuv had to queue stops reading on the other side until it
 *   completes, so at most one chunk per direction is ever buffered in the proxy.
 * - Half-close: an EOF becomes a shutdown() of the other side, queued behind pending writes;
 *   the connection closes once both sides are done. A reset (or a failed write) resets the peer.
 * - Native relay (default when the addon loads; `LVS_PROXY_RELAY=js` keeps everything here):
 *   native/tcp_relay.c (native-relay.ts) relays without JS per read. With native accept (the
 *   default with the native relay; `LVS_PROXY_ACCEPT=js` keeps accept here) C also accepts in
 *   batches and connects (native-acceptor.ts), and asks this file's decisions once per batch;
 *   otherwise accept, scheduling, connect, retry and the PROXY header run here and the two
 *   sockets are then handed to C.
 * - File descriptors: with a budget (fd-budget.ts) a client that would take the plane past it
 *   is reset at accept, before it is scheduled, and counted. A socket the director cannot open
 *   (EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL) is the director's failure, not the real
 *   server's: it is counted as a local error, the conn is taken back from the server's Conns,
 *   the client is not retried elsewhere (it would fail the same way), and one line per 10 s says
 *   so instead of a "connect to real server failed" line per client naming a healthy server.
 * - A client retried on a second server after a failed connect counts one conn, on the server
 *   that took it (ip_vs_conn_stats counts one per scheduled client), not one on each.
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { type DataplaneFaultCode, dataplaneFaultChannel } from '../../control/channels.js';
import type { Dest } from '../../core/dest.js';
import type { Service } from '../../core/service.js';
import { DEST_F } from '../../core/types.js';
import { proxyHeader } from '../../forward/proxy-protocol.js';
import { CONN_EV, DIR_IN, DIR_OUT, OPEN_REFUSED, type ProxyCore } from './core.js';
import { CountNotice } from './count-notice.js';
import type { FdBudget } from './fd-budget.js';
import { type AcceptDecisions, type AcceptTarget, NativeAcceptor } from './native-acceptor.js';
import {
  loadRelayBinding,
  NativeRelay,
  type NativeRelayInfo,
  type RelayBinding,
  relayStartError,
} from './native-relay.js';
import {
  K_ASYNC,
  K_READ,
  newConnectReq,
  newShutdownReq,
  newSocketHandle,
  newWriteReq,
  type RawConnectReq,
  type RawTcp,
  type RawWriteReq,
  streamState,
  UV_EOF,
} from './raw.js';

/** Size of the shared read buffer and of a bulk side's private buffer. */
const READ_BUF = 64 * 1024;
/** A read at least this big moves its side to a private, zero-copy buffer. */
const BULK_AT = 16 * 1024;
/** Packet counts are estimated as segments of one loopback/Ethernet MSS (documented in README). */
const MSS = 1448;

const F_CONNECTING = 1;
const F_C_EOF = 2;
const F_S_EOF = 4;
const F_C_SHUT = 8;
const F_S_SHUT = 16;
const F_CLOSED = 32;
const F_BLOCK_IN = 64; // a write to the server is pending: client reads stopped
const F_BLOCK_OUT = 128; // a write to the client is pending: server reads stopped
const F_RETRIED = 256;

/** Chunks up to this size are written from the staging buffer through a cached view. */
const STAGE = 4096;
/** How stale the relay's clock may be: the plane sweeps (and refreshes it) this often. */
export const CLOCK_STEP_MS = 250;

// Plain Uint8Arrays, not Buffers: TypedArray set() between them is a straight memcpy, and the
// binding's writeBuffer/useUserBuffer take any Uint8Array.
const shared = new Uint8Array(READ_BUF);
// sharedViews[n] = shared[0, n), stageViews[n] = stage[0, n): made once per length, so a
// request/response relay writes without creating a view per read.
const sharedViews: (Uint8Array | undefined)[] = [];
let stage = new Uint8Array(STAGE);
let stageViews: (Uint8Array | undefined)[] = [];

/** Copies shared[0, n) (n ≤ STAGE) into the staging buffer and returns the view to write. */
function staged(n: number): Uint8Array {
  let src = sharedViews[n];
  if (src === undefined) {
    src = shared.subarray(0, n);
    sharedViews[n] = src;
  }
  let dst = stageViews[n];
  if (dst === undefined) {
    dst = stage.subarray(0, n);
    stageViews[n] = dst;
  }
  dst.set(src);
  return dst;
}

/** One proxied TCP connection. */
class Conn {
  s: RawTcp | null = null;
  idx = -1;
  dest: Dest | null = null;
  flags = F_CONNECTING;
  deadline = 0;
  cBuf: Uint8Array | null = null;
  sBuf: Uint8Array | null = null;
  constructor(
    readonly relay: TcpRelay,
    readonly c: RawTcp,
    readonly svc: Service,
    readonly caddr: Uint8Array,
    readonly cport: number,
  ) {}
}

/** Counters of the relay (shown by the data plane's status). */
export interface TcpRelayCounters {
  accepted: number;
  noDest: number;
  /** Refused by a connection-table defense (drop_packet, conn_max). */
  refused: number;
  /** Connects a real server failed (refused, reset, timed out, unreachable). */
  connectFailures: number;
  retries: number;
  expired: number;
  /** Connections handed to the native relay (natively accepted ones once connected). */
  native: number;
  /** Clients (TCP, and UDP flows the UDP relays report) dropped: the director could not open a socket (EMFILE, ENOBUFS, ...). */
  localErrors: number;
}

const E = osConstants.errno;
/**
 * Errnos (negative, as libuv returns them) that say the director ran out of something, not
 * that the real server failed: socket(2) EMFILE/ENFILE/ENOBUFS/ENOMEM, connect(2) EADDRNOTAVAIL
 * (no free local port).
 */
const LOCAL_ERRNOS: ReadonlySet<number> = new Set(
  [E.EMFILE, E.ENFILE, E.ENOBUFS, E.ENOMEM, E.EADDRNOTAVAIL].map((e) => -e),
);

/** Whether a libuv status (negative errno) is a director-side resource error. */
export function isLocalError(status: number): boolean {
  return LOCAL_ERRNOS.has(status);
}

/** Which relay moves the bytes: `native` (tcp_relay.c) or `js` (this file). */
export type RelayKind = 'native' | 'js';

/** Options of {@link TcpRelay}. */
export interface TcpRelayOptions {
  /** `auto` (default, from LVS_PROXY_RELAY when set): native when the addon loads, else js. */
  relay?: RelayKind | 'auto';
  /** The plane's descriptor budget: clients past it are reset at accept (none: no bound). */
  budget?: FdBudget;
  /**
   * `auto` (default, from LVS_PROXY_ACCEPT when set): accept and connect natively when the
   * native relay is in use, else in JS.
   */
  accept?: RelayKind | 'auto';
}

/** Relays accepted client connections to real servers. */
export class TcpRelay {
  readonly counters: TcpRelayCounters = {
    accepted: 0,
    noDest: 0,
    refused: 0,
    connectFailures: 0,
    retries: 0,
    expired: 0,
    native: 0,
    localErrors: 0,
  };
  private readonly budget: FdBudget | undefined;
  private readonly localNotice = new CountNotice();
  private lastLocalErrno = 0;
  /** The relay in use for new connections. */
  readonly relayKind: RelayKind;
  /** Why the native relay is not used, when it is not. */
  readonly nativeUnavailable: string | undefined;
  private readonly native: NativeRelay | null = null;
  private readonly acceptor: NativeAcceptor | null = null;
  /** Who accepts and connects new clients: C (native-acceptor.ts) or libuv handles here. */
  readonly acceptKind: RelayKind;
  /** Live records by core connection index, so core expiry can find them. */
  private readonly byIdx: (Conn | undefined)[] = [];
  private readonly connecting = new Set<Conn>();
  private spareReq: RawWriteReq | null = null;
  // The time traffic re-arms entries with: refreshed by sweep() and connection events, and one
  // sweep period ahead, so a re-armed entry never expires before its timeout.
  private clock = Date.now() + CLOCK_STEP_MS;
  private live = 0;

  constructor(
    readonly core: ProxyCore,
    private readonly connectTimeoutMs: number,
    /** Reports a fault (the owner publishes it on `lvs:dataplane:fault`). */
    private readonly fault: (code: DataplaneFaultCode, detail: Record<string, unknown>) => void = () => {},
    opts: TcpRelayOptions = {},
  ) {
    const env = process.env.LVS_PROXY_RELAY;
    const want = opts.relay ?? (env === 'js' || env === 'native' ? env : 'auto');
    let why: string | undefined = 'LVS_PROXY_RELAY=js';
    if (want !== 'js') {
      const b = loadRelayBinding();
      if (b instanceof Error) {
        why = b.message;
        this.fault('native-relay-unavailable', { code: b.code, reason: why });
      } else {
        this.native = new NativeRelay(b, core);
        why = undefined;
        const aenv = process.env.LVS_PROXY_ACCEPT;
        const accept = opts.accept ?? (aenv === 'js' || aenv === 'native' ? aenv : 'auto');
        if (accept !== 'js') this.acceptor = this.newAcceptor(b, this.native);
      }
    }
    this.budget = opts.budget;
    this.relayKind = this.native ? 'native' : 'js';
    this.acceptKind = this.acceptor ? 'native' : 'js';
    this.nativeUnavailable = why;
  }

  /**
   * Listens natively on the bound socket `fd` for `target`'s service (the caller closes its
   * handle, which never listened): the listener id, -errno, or undefined when this relay
   * accepts in JS.
   */
  listenNative(fd: number, backlog: number, target: AcceptTarget): number | undefined {
    return this.acceptor?.listen(fd, backlog, target);
  }

  /** Native accept's batches and the clients they carried (undefined when JS accepts). */
  acceptStats(): { batches: number; clients: number } | undefined {
    return this.acceptor ? { ...this.acceptor.stats } : undefined;
  }

  /** Closes native listener `lid`; its connections run on. */
  unlisten(lid: number): void {
    this.acceptor?.close(lid);
  }

  // The decisions native accept asks for: the same code as the JS path's below.
  private newAcceptor(b: RelayBinding, n: NativeRelay): NativeAcceptor {
    const core = this.core;
    const d: AcceptDecisions = {
      admit: () => !this.budget || this.budget.admitTcp(),
      schedule: (svc, caddr, cport, now) => {
        this.clock = now + CLOCK_STEP_MS;
        this.counters.accepted++;
        return this.schedule(svc, caddr, cport, now);
      },
      reschedule: (svc, caddr, cport, failed, now) => this.reschedule(svc, caddr, cport, failed, now),
      connectFailure: (failed, status) => this.noteConnectFailure(failed, status),
      isLocal: isLocalError,
      localFailure: (status, now) => this.noteLocalFailure(status, now),
      established: (idx, now) => {
        this.counters.native++;
        core.connEvent(idx, CONN_EV.ESTABLISHED, now);
      },
      uncount: (dest) => core.uncount(dest),
      dropConn: (idx, now) => core.dropConn(idx, now),
      connDest: (idx) => core.connDest(idx),
    };
    return new NativeAcceptor(b, n, d, this.connectTimeoutMs);
  }

  /** Schedules a client as a SYN would; the conn index, or negative (counted) when none. */
  private schedule(svc: Service, caddr: Uint8Array, cport: number, now: number): number {
    const idx = this.core.openConn(svc, caddr, cport, svc.addrBytes as Uint8Array, svc.port, now);
    if (idx === OPEN_REFUSED) this.counters.refused++;
    else if (idx < 0) this.counters.noDest++;
    return idx;
  }

  /** Connections currently relayed (or connecting). */
  get liveConnections(): number {
    return this.live + (this.native?.liveConnections ?? 0);
  }

  /** The native relay's buffer accounting (undefined with the JS relay), for tests and status. */
  nativeInfo(): NativeRelayInfo | undefined {
    return this.native?.info();
  }

  /** Takes an accepted client handle for `svc`; the VIP is the service's own address. */
  accept(c: RawTcp, svc: Service, caddr: Uint8Array, cport: number, now: number): void {
    this.clock = now + CLOCK_STEP_MS;
    if (this.budget && !this.budget.admitTcp()) {
      // Refused before scheduling: no conn, nothing counted on a server (the plane logs it).
      closeHandle(c, true);
      return;
    }
    this.counters.accepted++;
    const r = new Conn(this, c, svc, caddr, cport);
    c.rec = r;
    this.live++;
    const idx = this.schedule(svc, caddr, cport, now);
    if (idx < 0) {
      this.abort(r, true);
      return;
    }
    this.bindIdx(r, idx);
    this.startConnect(r, now);
  }

  /** The core expired connection `idx` (idle timeout or expire_nodest_conn): reset both sides. */
  expire(idx: number): void {
    if (this.native?.expire(idx)) {
      this.counters.expired++;
      return;
    }
    const r = this.byIdx[idx];
    if (!r || r.idx !== idx) return;
    this.counters.expired++;
    this.byIdx[idx] = undefined;
    r.idx = -1;
    this.abort(r, true);
  }

  /** Fails connects that have waited longer than the connect timeout; call every CLOCK_STEP_MS. */
  sweep(now: number): void {
    this.clock = now + CLOCK_STEP_MS;
    this.native?.sweep(now);
    this.acceptor?.sweep(now);
    this.noteLocalErrors(now);
    for (const r of this.connecting) {
      if (r.deadline > now) continue;
      const s = r.s;
      r.s = null;
      s?.close();
      this.connectFailed(r, now);
    }
  }

  private bindIdx(r: Conn, idx: number): void {
    r.idx = idx;
    r.dest = this.core.connDest(idx) ?? null;
    this.byIdx[idx] = r;
  }

  private unbindIdx(r: Conn): void {
    if (r.idx >= 0 && this.byIdx[r.idx] === r) this.byIdx[r.idx] = undefined;
    r.idx = -1;
  }

  private startConnect(r: Conn, now: number): void {
    const d = r.dest;
    if (!d) {
      this.abort(r, true);
      return;
    }
    const s = newSocketHandle();
    s.rec = r;
    r.s = s;
    r.flags |= F_CONNECTING;
    r.deadline = now + this.connectTimeoutMs;
    this.connecting.add(r);
    const req = newConnectReq();
    req.oncomplete = onConnect;
    req.address = d.addr;
    req.port = d.port;
    const err = d.af === 6 ? s.connect6(req, d.addr, d.port) : s.connect(req, d.addr, d.port);
    if (err !== 0) {
      r.s = null;
      s.close();
      this.connectFailed(r, now, err);
    }
  }

  /** @internal Connect completed (called from the shared oncomplete). */
  connected(r: Conn, s: RawTcp, status: number): void {
    if (r.s !== s || (r.flags & F_CLOSED) !== 0) {
      s.close();
      return;
    }
    this.connecting.delete(r);
    const now = Date.now();
    if (status < 0) {
      r.s = null;
      s.close();
      this.connectFailed(r, now, status);
      return;
    }
    r.flags &= ~F_CONNECTING;
    this.core.connEvent(r.idx, CONN_EV.ESTABLISHED, now);
    const c = r.c;
    const pp = r.dest?.proxyProtocol ?? 0;
    let hdr: Uint8Array | undefined;
    if (pp !== 0) {
      const svc = r.svc;
      hdr = proxyHeader(pp, {
        protocol: 6,
        srcAddr: r.caddr,
        srcPort: r.cport,
        dstAddr: svc.addrBytes as Uint8Array,
        dstPort: svc.port,
      });
    }
    if (this.native && this.handOver(r, s, hdr)) return;
    c.setNoDelay(true);
    s.setNoDelay(true);
    c.useUserBuffer(shared);
    s.useUserBuffer(shared);
    c.onread = onClientRead;
    s.onread = onServerRead;
    if (hdr && this.write(r, s, hdr, DIR_IN)) r.flags |= F_BLOCK_IN;
    if ((r.flags & F_BLOCK_IN) === 0) c.readStart();
    s.readStart();
  }

  /**
   * Gives a connected pair to the native relay: C relays between dups of the two fds, so the
   * handles close here without a FIN (the dups keep the sockets open). False when C could not
   * take it (fd limit, memory): the connection then stays with the JS relay.
   */
  private handOver(r: Conn, s: RawTcp, hdr: Uint8Array | undefined): boolean {
    const n = this.native as NativeRelay;
    const slot = n.start(r.idx, r.c.fd, s.fd, hdr);
    if (slot < 0) {
      const e = relayStartError(slot);
      if (dataplaneFaultChannel.hasSubscribers) this.fault('native-relay-refused', { code: e.syscallError });
      return false;
    }
    this.counters.native++;
    r.flags |= F_CLOSED;
    this.unbindIdx(r);
    this.live--;
    closeHandle(r.c, false);
    closeHandle(s, false);
    r.s = null;
    return true;
  }

  /** The director could not open a socket for `r`: its failure, not the server's. */
  private localFailed(r: Conn, now: number, status: number): void {
    this.connecting.delete(r);
    if (r.dest) this.core.uncount(r.dest);
    if (r.idx >= 0) this.core.dropConn(r.idx, now);
    this.unbindIdx(r);
    this.abort(r, true);
    this.noteLocalFailure(status, now);
  }

  /** Counts a client the director could not open a socket for (status: -errno). */
  private noteLocalFailure(status: number, now: number): void {
    this.counters.localErrors++;
    this.lastLocalErrno = status;
    this.localNotice.add();
    this.noteLocalErrors(now);
  }

  /**
   * Counts a client (a UDP flow's, from the UDP relay) the director could not open a socket
   * for: the plane's one `local_error` count and its one rate-limited line.
   */
  localError(errno: string, now: number): void {
    this.counters.localErrors++;
    this.lastLocalErrno = -(osConstants.errno[errno as keyof typeof osConstants.errno] ?? 0);
    this.localNotice.add();
    this.noteLocalErrors(now);
  }

  // One line per 10 s at most, with how many clients the director failed since the last one.
  private noteLocalErrors(now: number): void {
    const n = this.localNotice.due(now);
    if (n > 0)
      this.fault('proxy-local-error', { errno: getSystemErrorName(this.lastLocalErrno), clients: n });
  }

  private connectFailed(r: Conn, now: number, status = 0): void {
    if (isLocalError(status)) {
      this.localFailed(r, now, status);
      return;
    }
    this.connecting.delete(r);
    const failed = r.dest;
    this.noteConnectFailure(failed ?? undefined, status);
    if (r.idx >= 0) this.core.dropConn(r.idx, now);
    this.unbindIdx(r);
    if ((r.flags & F_RETRIED) !== 0 || (r.flags & F_CLOSED) !== 0 || !failed) {
      this.abort(r, true);
      return;
    }
    r.flags |= F_RETRIED;
    const idx = this.reschedule(r.svc, r.caddr, r.cport, failed, now);
    if (idx < 0) {
      this.abort(r, true);
      return;
    }
    this.bindIdx(r, idx);
    this.startConnect(r, now);
  }

  /** Counts a real server's failed connect (status -errno, 0 for a timeout) and reports it. */
  private noteConnectFailure(failed: Dest | undefined, status: number): void {
    this.counters.connectFailures++;
    // Per connection: build the detail only when someone listens.
    if (dataplaneFaultChannel.hasSubscribers)
      // keepalived's notation for a real server in logs (`[198.51.100.12]:8081`).
      this.fault('rs-connect-failed', {
        dest: failed ? `[${failed.addr}]:${failed.port}` : '?',
        ...(status < 0 ? { errno: getSystemErrorName(status) } : { errno: 'ETIMEDOUT' }),
      });
  }

  /**
   * Schedules a client once more after `failed` failed its connect: the new conn index, or
   * negative (counted) when no server took it.
   */
  private reschedule(svc: Service, caddr: Uint8Array, cport: number, failed: Dest, now: number): number {
    this.counters.retries++;
    // Schedule once more, to another server: every scheduler skips OVERLOAD dests, so the failed
    // one is marked overloaded for this one decision (persistence still pins to it, as it should).
    const was = failed.flags & DEST_F.OVERLOAD;
    failed.flags |= DEST_F.OVERLOAD;
    failed.svc.sched?.loadChanged?.(failed);
    const idx = this.schedule(svc, caddr, cport, now);
    if (!was) {
      failed.flags &= ~DEST_F.OVERLOAD;
      failed.svc.sched?.loadChanged?.(failed);
    }
    if (idx < 0) return idx;
    // The client now counts on the server that took it, not also on the one that failed.
    this.core.uncount(failed);
    return idx;
  }

  /** Writes `buf` to `dst`; returns true when libuv queued it (the caller must stop reading). */
  write(r: Conn, dst: RawTcp, buf: Uint8Array, dir: number): boolean {
    // Most writes complete synchronously, and then the binding never looks at the request
    // object: one spare is reused, and it is dressed for completion only when libuv queued it.
    const req = this.spareReq ?? newWriteReq();
    const err = dst.writeBuffer(req, buf);
    if (err !== 0) {
      this.spareReq = null; // the binding may have attached state to it: never reuse
      this.peerFailed(r, dir === DIR_IN ? CONN_EV.SERVER_RST : CONN_EV.CLIENT_RST);
      return false;
    }
    if (streamState[K_ASYNC] === 0) {
      this.spareReq = req;
      return false;
    }
    this.spareReq = null;
    req.handle = dst;
    req.oncomplete = onWriteDone;
    req.async = true;
    req.buffer = buf;
    req.rec = r;
    req.dir = dir;
    if (buf.buffer === stage.buffer) {
      // libuv still points into the staging buffer: it now belongs to this write.
      stage = new Uint8Array(STAGE);
      stageViews = [];
    }
    return true;
  }

  /** @internal Data or EOF/error arrived on one side. Returns the next read buffer, if it changes. */
  onRead(r: Conn, fromClient: boolean): Uint8Array | undefined {
    const n = streamState[K_READ] as number;
    if (n > 0) {
      const dst = fromClient ? r.s : r.c;
      if (!dst || (r.flags & F_CLOSED) !== 0) return undefined;
      const priv = fromClient ? r.cBuf : r.sBuf;
      let next: Uint8Array | null = priv;
      let out: Uint8Array;
      if (priv) {
        out = priv.subarray(0, n);
      } else if (n <= STAGE) {
        out = staged(n);
      } else {
        // Copy out of the shared buffer: it must never be referenced by a pending write.
        out = shared.slice(0, n);
        if (n >= BULK_AT) next = Buffer.allocUnsafeSlow(READ_BUF);
      }
      const dir = fromClient ? DIR_IN : DIR_OUT;
      this.core.countBytes(r.idx, dir, n, n <= MSS ? 1 : ((n + MSS - 1) / MSS) | 0, this.clock);
      const queued = this.write(r, dst, out, dir);
      if (queued) {
        r.flags |= fromClient ? F_BLOCK_IN : F_BLOCK_OUT;
        (fromClient ? r.c : (r.s as RawTcp)).readStop();
        // The private buffer now belongs to the pending write; read into a fresh one.
        if (priv) next = Buffer.allocUnsafeSlow(READ_BUF);
      }
      if (next && n < BULK_AT && !queued) next = null; // traffic got small: back to shared
      if (next === priv) return undefined;
      if (fromClient) r.cBuf = next;
      else r.sBuf = next;
      return next ?? shared;
    }
    if (n === 0) return undefined;
    if (n === UV_EOF) this.eof(r, fromClient);
    else this.peerFailed(r, fromClient ? CONN_EV.CLIENT_RST : CONN_EV.SERVER_RST);
    return undefined;
  }

  /** @internal A queued write finished. */
  writeDone(req: RawWriteReq, status: number): void {
    const r = req.rec as Conn;
    const dir = req.dir;
    req.buffer = null;
    req.rec = null;
    if (!r || (r.flags & F_CLOSED) !== 0) return;
    if (status < 0) {
      this.peerFailed(r, dir === DIR_IN ? CONN_EV.SERVER_RST : CONN_EV.CLIENT_RST);
      return;
    }
    if (dir === DIR_IN) {
      r.flags &= ~F_BLOCK_IN;
      if ((r.flags & F_C_EOF) === 0) r.c.readStart();
    } else {
      r.flags &= ~F_BLOCK_OUT;
      if ((r.flags & F_S_EOF) === 0) r.s?.readStart();
    }
  }

  private eof(r: Conn, fromClient: boolean): void {
    const now = Date.now();
    const dst = fromClient ? r.s : r.c;
    r.flags |= fromClient ? F_C_EOF : F_S_EOF;
    this.core.connEvent(r.idx, fromClient ? CONN_EV.CLIENT_FIN : CONN_EV.SERVER_FIN, now);
    if (!dst) {
      this.abort(r, false);
      return;
    }
    // libuv runs the shutdown after every queued write, so no data is lost behind the FIN.
    const req = newShutdownReq();
    req.handle = dst;
    req.rec = r;
    req.dir = fromClient ? DIR_IN : DIR_OUT;
    req.oncomplete = onShutdownDone;
    if (dst.shutdown(req) !== 0) this.shutDone(r, req.dir);
  }

  /** @internal A half-close toward one side completed. */
  shutDone(r: Conn, dir: number): void {
    r.flags |= dir === DIR_IN ? F_S_SHUT : F_C_SHUT;
    const all = F_C_EOF | F_S_EOF | F_C_SHUT | F_S_SHUT;
    if ((r.flags & all) === all) this.abort(r, false);
  }

  private peerFailed(r: Conn, ev: number): void {
    if ((r.flags & F_CLOSED) !== 0) return;
    if (r.idx >= 0) this.core.connEvent(r.idx, ev as 3 | 4, Date.now());
    this.abort(r, true);
  }

  /** Closes both sides, with a reset when `rst`, and forgets the record. */
  private abort(r: Conn, rst: boolean): void {
    if ((r.flags & F_CLOSED) !== 0) return;
    r.flags |= F_CLOSED;
    this.connecting.delete(r);
    this.unbindIdx(r);
    this.live--;
    closeHandle(r.c, rst);
    if (r.s) closeHandle(r.s, rst);
    r.cBuf = null;
    r.sBuf = null;
  }
}

function closeHandle(h: RawTcp, rst: boolean): void {
  h.onread = noRead; // the binding insists on a function here
  h.rec = null;
  if (rst && h.reset() === 0) return;
  h.close();
}

function noRead(): undefined {
  return undefined;
}

function onConnect(status: number, handle: RawTcp, _req: RawConnectReq): void {
  const r = handle.rec as Conn | null;
  if (!r) {
    handle.close();
    return;
  }
  r.relay.connected(r, handle, status);
}

function onClientRead(this: RawTcp): Uint8Array | undefined {
  const r = this.rec as Conn | null;
  return r ? r.relay.onRead(r, true) : undefined;
}

function onServerRead(this: RawTcp): Uint8Array | undefined {
  const r = this.rec as Conn | null;
  return r ? r.relay.onRead(r, false) : undefined;
}

function onWriteDone(this: RawWriteReq, status: number): void {
  const r = this.rec as Conn | null;
  if (r) r.relay.writeDone(this, status);
}

function onShutdownDone(this: { rec: unknown; dir: number }, _status: number): void {
  const r = this.rec as Conn | null;
  if (r && (r.flags & F_CLOSED) === 0) r.relay.shutDone(r, this.dir);
}
