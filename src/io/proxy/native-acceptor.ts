/**
 * Native accept (native/tcp_acceptor.c) seen from JS. C accepts clients in batches on the relay's
 * own epoll set and connects the real servers itself; JS is called once per batch, with the
 * clients' addresses in a preallocated Int32Array, and answers per client in the same array: the
 * slot to relay in, the real server and the PROXY header, or a refusal. So JS keeps every
 * decision (fd budget, scheduling with persistence and conn_max, retries after a failed connect,
 * local_error accounting, the PROXY header contents) while a new connection costs no libuv
 * handle, no JS object and no dup hand-over. Decisions are TcpRelay's (tcp-relay.ts), shared
 * with its JS accept path so both count alike.
 */
import type { Dest } from '../../core/dest.js';
import type { Service } from '../../core/service.js';
import { proxyHeader } from '../../forward/proxy-protocol.js';
import {
  EV_CONNECT_FAILED,
  EV_ESTABLISHED,
  EV_GONE,
  type NativeRelay,
  type RelayBinding,
} from './native-relay.js';

/** What the acceptor asks of the TCP relay (tcp-relay.ts): its decisions and its counters. */
export interface AcceptDecisions {
  /** Whether a new client fits the fd budget (a refusal is counted there). */
  admit(): boolean;
  /** Counts and schedules a new client; the conn index, or negative when refused/no server. */
  schedule(svc: Service, caddr: Uint8Array, cport: number, now: number): number;
  /** Schedules a client once more after `failed` failed it; the new index or negative. */
  reschedule(svc: Service, caddr: Uint8Array, cport: number, failed: Dest, now: number): number;
  /** Counts (and reports) a real server's failed connect; status 0 is a timeout. */
  connectFailure(failed: Dest | undefined, status: number): void;
  /** Whether `status` is the director's own failure (EMFILE, ENOBUFS, ...), not the server's. */
  isLocal(status: number): boolean;
  /** Counts a client the director could not open a socket for. */
  localFailure(status: number, now: number): void;
  /** The core connection is established (counts a native relay). */
  established(idx: number, now: number): void;
  /** Takes back a conn counted on `dest` and removes entry `idx`. */
  uncount(dest: Dest): void;
  dropConn(idx: number, now: number): void;
  connDest(idx: number): Dest | undefined;
}

/** A listening socket's target: the plane's listener record, whose service may be replaced. */
export interface AcceptTarget {
  readonly svc: Service;
}

/** Clients taken per wakeup at most (the rest wait in the accept queue, in order). */
export const ACCEPT_BATCH = 64;
/** Relay events C queues before handing them to JS (it hands them over early when full). */
const EVENT_QUEUE = 1024;
/** Byte offsets in a record (native/tcp_acceptor.c). */
const ADDR = 32;
const DADDR = 48;
const HDR = 64;
const HDR_MAX = 128;

/** The native acceptor of one process. */
export class NativeAcceptor {
  /** Wakeups that accepted clients (one JS call each), and the clients they carried. */
  readonly stats = { batches: 0, clients: 0 };
  private readonly words: number;
  private readonly batch: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly targets: (AcceptTarget | undefined)[] = [];
  private readonly c4 = new Uint8Array(4);
  private readonly c6 = new Uint8Array(16);
  // Per slot: what a retry needs (service, client, the server that failed) and the deadline.
  private svcOf: (Service | undefined)[] = [];
  private destOf: (Dest | undefined)[] = [];
  private caddr = new Uint8Array(0);
  private cport = new Int32Array(0);
  private caf = new Uint8Array(0);
  private retried = new Uint8Array(0);
  private deadline = new Float64Array(0);

  constructor(
    private readonly b: RelayBinding,
    private readonly relay: NativeRelay,
    private readonly d: AcceptDecisions,
    private readonly connectTimeoutMs: number,
  ) {
    this.words = b.acceptRecWords;
    this.batch = new Int32Array(ACCEPT_BATCH * this.words);
    this.bytes = new Uint8Array(this.batch.buffer);
    this.grow(relay.capacity);
    relay.onGrow = (cap) => this.grow(cap);
    relay.connectEvent = (slot, ev) => this.connectEvent(slot, ev);
    // C's relay events, queued and handed over once per epoll round (native/tcp_relay.c emit).
    const evq = new Int32Array(2 * EVENT_QUEUE);
    const err = b.acceptInit(
      this.batch,
      (lid, n) => this.onAccept(lid, n),
      evq,
      (n) => relay.events(evq, n),
    );
    if (err !== 0) throw new Error(`acceptInit failed: ${err}`);
  }

  /** Listens on the bound socket `fd` (the caller closes its own handle); lid or -errno. */
  listen(fd: number, backlog: number, target: AcceptTarget): number {
    const lid = this.b.acceptListen(fd, backlog);
    if (lid >= 0) this.targets[lid] = target;
    return lid;
  }

  /** Stops listener `lid`; its accepted connections run on. */
  close(lid: number): void {
    this.b.acceptClose(lid);
    this.targets[lid] = undefined;
  }

  /** Fails connects that have waited longer than the connect timeout. */
  sweep(now: number): void {
    const r = this.relay;
    if (r.connecting === 0) return;
    for (let s = 0; s < r.capacity; s++) {
      if (!r.isConnecting(s) || (this.deadline[s] as number) > now) continue;
      if (this.b.relayConnectAbort(s) === 0) this.failed(s, 0, false, now);
    }
  }

  // One wakeup's clients: the only JS call per batch.
  private onAccept(lid: number, n: number): void {
    const t = this.targets[lid];
    if (!t) return; // every record stays refused
    const svc = t.svc;
    const now = Date.now();
    this.stats.batches++;
    this.stats.clients += n;
    const w = this.words;
    const b = this.batch;
    for (let i = 0; i < n; i++) b[i * w + 3] = this.decide(svc, i * w, now);
  }

  // Answers record at word offset o: the slot, with the server and header filled in, or -1.
  private decide(svc: Service, o: number, now: number): number {
    const d = this.d;
    if (!d.admit()) return -1;
    const b = this.batch;
    const af = b[o + 1] as number;
    const cport = b[o + 2] as number;
    const ca = af === 6 ? this.c6 : this.c4;
    const at = o * 4 + ADDR;
    ca.set(this.bytes.subarray(at, at + ca.length));
    const idx = d.schedule(svc, ca, cport, now);
    if (idx < 0) return -1;
    const dest = d.connDest(idx);
    const slot = this.relay.claim(idx);
    if (!dest) {
      this.relay.drop(slot, false);
      return -1;
    }
    this.svcOf[slot] = svc;
    this.destOf[slot] = dest;
    this.caddr.set(ca, slot * 16);
    this.caf[slot] = af;
    this.cport[slot] = cport;
    this.retried[slot] = 0;
    this.deadline[slot] = now + this.connectTimeoutMs;
    b[o + 4] = dest.af;
    b[o + 5] = dest.port;
    this.bytes.set(dest.addrBytes, o * 4 + DADDR);
    const hdr = this.header(slot, dest);
    if (hdr && hdr.length > HDR_MAX) {
      this.relay.drop(slot, false);
      return -1;
    }
    b[o + 6] = hdr ? hdr.length : 0;
    if (hdr) this.bytes.set(hdr, o * 4 + HDR);
    return slot;
  }

  /** The PROXY protocol header `dest` wants for slot's client, if any. */
  private header(slot: number, dest: Dest): Uint8Array | undefined {
    const pp = dest.proxyProtocol ?? 0;
    if (pp === 0) return undefined;
    const svc = this.svcOf[slot] as Service;
    return proxyHeader(pp, {
      protocol: 6,
      srcAddr: this.client(slot),
      srcPort: this.cport[slot] as number,
      dstAddr: svc.addrBytes as Uint8Array,
      dstPort: svc.port,
    });
  }

  private client(slot: number): Uint8Array {
    const ca = this.caf[slot] === 6 ? this.c6 : this.c4;
    ca.set(this.caddr.subarray(slot * 16, slot * 16 + ca.length));
    return ca;
  }

  private connectEvent(slot: number, ev: number): void {
    const now = Date.now();
    if ((ev & EV_ESTABLISHED) !== 0) {
      this.destOf[slot] = undefined;
      this.svcOf[slot] = undefined;
      this.d.established(this.relay.idxAt(slot), now);
      return;
    }
    if ((ev & EV_CONNECT_FAILED) !== 0) this.failed(slot, -(ev >>> 8), (ev & EV_GONE) !== 0, now);
  }

  // Slot's connect failed with `status` (-errno; 0: timed out): retry once, as the JS path does.
  private failed(slot: number, status: number, gone: boolean, now: number): void {
    const d = this.d;
    const idx = this.relay.idxAt(slot);
    const failed = this.destOf[slot];
    const svc = this.svcOf[slot];
    if (gone || d.isLocal(status)) {
      // The director's failure: no retry, the conn taken back from the server's count.
      d.localFailure(status, now);
      if (failed) d.uncount(failed);
      if (idx >= 0) d.dropConn(idx, now);
      this.end(slot, !gone);
      return;
    }
    d.connectFailure(failed, status);
    if (idx >= 0) d.dropConn(idx, now);
    this.relay.rebind(slot, -1);
    if (this.retried[slot] !== 0 || !failed || !svc) {
      this.end(slot, true);
      return;
    }
    this.retried[slot] = 1;
    const next = d.reschedule(svc, this.client(slot), this.cport[slot] as number, failed, now);
    const dest = next >= 0 ? d.connDest(next) : undefined;
    if (!dest) {
      this.end(slot, true);
      return;
    }
    this.relay.rebind(slot, next);
    this.destOf[slot] = dest;
    this.deadline[slot] = now + this.connectTimeoutMs;
    const err = this.b.relayConnect(slot, dest.af, dest.addrBytes, dest.port, this.header(slot, dest));
    if (err < 0) this.failed(slot, err, false, now);
  }

  private end(slot: number, inC: boolean): void {
    this.destOf[slot] = undefined;
    this.svcOf[slot] = undefined;
    this.relay.drop(slot, inC);
  }

  private grow(cap: number): void {
    const g = <T extends Uint8Array | Int32Array | Float64Array>(
      old: T,
      n: number,
      make: (n: number) => T,
    ) => {
      const a = make(n);
      a.set(old);
      return a;
    };
    this.caddr = g(this.caddr, cap * 16, (n) => new Uint8Array(n));
    this.cport = g(this.cport, cap, (n) => new Int32Array(n));
    this.caf = g(this.caf, cap, (n) => new Uint8Array(n));
    this.retried = g(this.retried, cap, (n) => new Uint8Array(n));
    this.deadline = g(this.deadline, cap, (n) => new Float64Array(n));
  }
}
