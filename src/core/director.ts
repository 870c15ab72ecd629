/**
 * The director core: the pure ip_vs_in / ip_vs_out decisions both data planes call per packet
 * (net/netfilter/ipvs/ip_vs_core.c). It owns the service table, the connection table, settings
 * and global stats. Nothing here allocates per packet: packets arrive in a caller-owned
 * {@link PacketInfo}, conns are integer indexes, verdicts are negative numbers.
 */
import type { Af } from './addr.js';
import { CONN_F, ConnTable, type ConnTableOptions, CTPL_S, KIND } from './conn-table.js';
import { Defense, PAGE_KIB } from './defense.js';
import type { Dest } from './dest.js';
import { DropEntry } from './drop-entry.js';
import {
  bytesToWords,
  countKind,
  destConnFlags,
  destWords,
  findOrCreateTemplate,
  type PersistContext,
} from './persistence.js';
import { SCTP_CHUNK, SCTP_S, SCTP_STATE_COUNT, sctpEvent, sctpNextState } from './proto/sctp.js';
import { DIR, TCP_FLAG, TCP_S, TCP_STATE_ACTIVE, tcpEvent, tcpNextState } from './proto/tcp.js';
import type { SchedPacket, SchedulerOptions } from './schedulers/scheduler.js';
import type { Service } from './service.js';
import { type SchedulerLookup, ServiceTable } from './service-table.js';
import { Settings } from './settings.js';
import { EST_PERIOD_MS, Stats } from './stats.js';
import { FWD, PROTO } from './types.js';

/** Negative results of inPacket/outPacket (a conn index is ≥ 0). */
export const VERDICT = {
  /** Not ours (no service, not a conn-starting segment, unknown protocol): let the packet pass to the local stack. */
  ACCEPT: -1,
  /** Service found but no dest (or port-0 misuse): drop and send ICMP port unreachable (ip_vs_leave). */
  NO_DEST: -2,
  /** Drop silently (conn whose dest was deleted while expire_nodest_conn = 0). */
  DROP: -3,
  /** Old conn expired for rescheduling but the packet belongs to a confirmed conntrack: drop, the client retransmits. */
  DROP_RESCHED: -4,
  /** A new conn dropped by the drop_packet defense (ip_vs_todrop(): NF_DROP, the client retransmits). */
  DROP_DEFENSE: -5,
  /**
   * A new conn refused because the table holds conn_max entries (LVS.ts's bound; the kernel drops
   * the packet likewise when ip_vs_conn_new() cannot allocate).
   */
  CONN_LIMIT: -6,
} as const;

/**
 * Result of {@link Director.inPacket4} / {@link Director.outPacket4} when the packet needs the
 * general {@link Director.inPacket} / {@link Director.outPacket} (nothing has been changed then).
 */
export const FAST_MISS = -16;

/** Random entries conn_max's early drop looks at before refusing (nf_conntrack_core.c NF_CT_EVICTION_RANGE). */
export const EARLY_DROP_TRIES = 8;

/** How long a half-open entry must have been idle to be evicted at conn_max: TCP's initial RTO (RFC 6298 section 2.1). */
export const EARLY_DROP_IDLE_MS = 1000;

/** Synthetic events for the proxy data plane, which sees sockets rather than segments. */
export const CONN_EVENT = {
  /** Handshake completed with both sides (server SYN-ACK then client ACK). */
  ESTABLISHED: 1,
  CLIENT_FIN: 2,
  SERVER_FIN: 3,
  CLIENT_RST: 4,
  SERVER_RST: 5,
  CLIENT_DATA: 6,
  SERVER_DATA: 7,
} as const;

/** A packet as the director needs it; the caller owns one and refills it per packet. */
export class PacketInfo implements SchedPacket {
  af: Af = 4;
  protocol = 6;
  /** Source address bytes (4 or 16); may be a view into the frame. */
  srcAddr: Uint8Array = new Uint8Array(4);
  srcPort = 0;
  dstAddr: Uint8Array = new Uint8Array(4);
  dstPort = 0;
  /** skb->mark equivalent (0 = none). */
  fwmark = 0;
  /** TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10). */
  tcpFlags = 0;
  /** SCTP: type of the first chunk, and of the chunk after it (-1 when none). */
  sctpChunk = -1;
  sctpNextChunk = -1;
  /** Full IP packet length in bytes, for byte counters. */
  length = 0;
  /** A non-first fragment: it may use an existing conn but never starts one. */
  fragment = false;
  /** The packet belongs to a confirmed netfilter conntrack (kernel's "old conntrack"); false in our planes. */
  oldConntrack = false;
}

/** Options of a director. */
export interface DirectorOptions extends ConnTableOptions {
  schedulers: SchedulerLookup;
  schedulerOptions?: SchedulerOptions;
}

/** The director core. */
export class Director implements PersistContext {
  readonly table: ServiceTable;
  readonly conns: ConnTable;
  readonly settings = new Settings();
  /** Global counters (the kernel's tot_stats). */
  readonly stats = new Stats();
  /** The connection-table defenses (drop_entry, drop_packet, secure_tcp, conn_max) and their counters. */
  readonly defense = new Defense();
  /**
   * Whether a new conn at conn_max may evict a half-open entry (fullTable()). The packet plane's
   * engine turns it on; the proxy plane keeps it off, because its half-open entries are
   * connections in progress whose sockets it holds (a connect to the real server under way).
   */
  earlyDrop = false;
  private readonly dropper = new DropEntry();
  /** Scheduler options shared with the service table; sysctl changes update them in place. */
  readonly schedulerOptions: SchedulerOptions;
  private readonly c = new Uint32Array(4);
  private readonly v = new Uint32Array(4);
  private readonly snet = new Uint32Array(4);
  private readonly tv = new Uint32Array(4);
  private readonly synth = new PacketInfo();
  // Carries the TCP flags of inPacket4/outPacket4 into transition().
  private readonly fast = new PacketInfo();
  private fastNow = Number.NaN;
  private opsPending = -1;
  // openConn's synthetic SYN drives scheduling and state but is not a real packet to count.
  private synthetic = false;
  private lastEst = -1;
  private lastGen = -1;
  private pickSvc: Service | null = null;
  private pickPkt: PacketInfo = this.synth;
  private pickNow = 0;
  private expireHook: ((idx: number) => void) | null = null;
  private readonly pick = (): Dest | null => {
    const s = this.pickSvc as Service;
    return s.sched ? s.sched.schedule(s, this.pickPkt, this.pickNow) : null;
  };

  constructor(opts: DirectorOptions) {
    this.schedulerOptions = { ...(opts.schedulerOptions ?? {}) };
    this.table = new ServiceTable({ schedulers: opts.schedulers, schedulerOptions: this.schedulerOptions });
    this.conns = new ConnTable({ ...opts, onFree: (i) => this.release(i) });
  }

  /** `--set tcp tcpfin udp` in seconds, 0 keeping a value; with setSysctl this makes a Director a control target. */
  setTimeouts(tcp: number, tcpfin: number, udp: number): void {
    this.settings.setTimeouts(tcp, tcpfin, udp);
  }

  /** Zeroes the global counters, as `-Z` without a service does (ip_vs_zero_all). */
  zeroGlobal(): void {
    this.stats.zero();
  }

  /** The dest with this id (linked or trashed). */
  destById(id: number): Dest | undefined {
    return id >= 0 ? this.table.destById(id) : undefined;
  }

  /** The dest of conn `idx`, if any. */
  destOf(idx: number): Dest | undefined {
    return this.destById(this.conns.destOf(idx));
  }

  /** Sets a sysctl (validated) and passes lblc expirations on to schedulers created later. */
  setSysctl(name: Parameters<Settings['set']>[0], value: number): void {
    this.settings.set(name, value);
    if (name === 'lblc_expiration' || name === 'lblcr_expiration') {
      this.schedulerOptions.lblcExpirationMs = value * 1000;
    }
    // proc_do_defense_mode(): a mode written takes effect at once, against the last measurement.
    if (name === 'drop_entry' || name === 'drop_packet' || name === 'secure_tcp') {
      this.defense.update(this.settings);
    }
  }

  /**
   * defense_work_handler(), for the daemon to call once a second with the host's available memory
   * in KiB (undefined: unreadable, the last measurement stands): update_defense_level() and,
   * while drop_entry is on, ip_vs_random_dropentry(). Returns the DEFENSE bits in force, so the
   * caller can say when one engages or disengages.
   */
  defenseTick(now: number, availableMemoryKiB: number | undefined): number {
    const d = this.defense;
    d.update(this.settings, availableMemoryKiB === undefined ? undefined : availableMemoryKiB / PAGE_KIB);
    if (d.dropEntry) {
      this.flushOps();
      d.droppedEntries += this.dropper.run(this, now);
    }
    return d.active;
  }

  /** For drop_entry: whether entry `idx` belongs to a one-packet service (ip_vs_conn_ops_mode()). */
  onePacketConn(idx: number): boolean {
    const d = this.destOf(idx);
    return d !== undefined && (d.svc as Service).onePacket;
  }

  /**
   * ip_vs_in: handles a client→virtual-service packet. Returns the conn index to forward with, or
   * a VERDICT. A one-packet conn's index stays valid until the next call into the director.
   */
  inPacket(p: PacketInfo, now: number): number {
    if (this.opsPending >= 0) this.flushOps();
    this.conns.expire(now);
    const proto = p.protocol;
    if (proto !== PROTO.TCP && proto !== PROTO.UDP && proto !== PROTO.SCTP) return VERDICT.ACCEPT;
    const conns = this.conns;
    const s = this.settings;
    bytesToWords(p.srcAddr, this.c);
    bytesToWords(p.dstAddr, this.v);
    let idx = conns.findIn(p.af, proto, this.c, p.srcPort, this.v, p.dstPort);
    // ip_vs_conn_in_get(): while conns without a client port exist (FTP data conns a 227/229 reply
    // announced), a miss is retried with cport 0; the conn found takes this client port
    // (ip_vs_conn_fill_cport(), which the kernel calls at transmit).
    if (idx < 0 && conns.noCport > 0) {
      idx = conns.findIn(p.af, proto, this.c, 0, this.v, p.dstPort);
      if (idx >= 0) conns.fillCport(idx, p.srcPort);
    }
    if (idx >= 0 && !p.fragment && isNewConn(p)) {
      const dest = this.destOf(idx);
      let resched = false;
      if (s.expireNodestConn && dest && dest.weight === 0) resched = true;
      else if (s.connReuseMode !== 0 && this.newConnExpected(idx)) resched = true;
      if (resched) {
        conns.kill(idx);
        if (p.oldConntrack) return VERDICT.DROP_RESCHED;
        idx = -1;
      }
    }
    if (idx >= 0) {
      const dest = this.destOf(idx);
      if (dest && !dest.available) {
        if (!s.expireNodestConn) return VERDICT.DROP;
        conns.kill(idx);
        if (p.oldConntrack) return VERDICT.DROP;
        idx = -1;
      }
    }
    if (idx < 0) {
      if (p.fragment || !this.mayStart(p)) return VERDICT.ACCEPT;
      const svc = this.table.lookup(p.af, proto, p.dstAddr, p.dstPort, p.fwmark);
      if (!svc) return VERDICT.ACCEPT;
      // tcp/udp/sctp_conn_schedule(): "It seems that we are very loaded."
      if (this.defense.dropRate !== 0 && this.defense.todrop()) return VERDICT.DROP_DEFENSE;
      idx = this.schedule(svc, p, now);
      if (idx < 0) return idx;
    }
    if (!this.synthetic) this.countIn(idx, p.length, 1);
    this.transition(idx, DIR.INPUT, p);
    const f = conns.flagsOf(idx);
    if (f & CONN_F.ONE_PACKET) {
      const ct = conns.ctl[idx] as number;
      if (ct >= 0) conns.setInPkts(ct, conns.inPktsOf(ct) + 1);
      this.opsPending = idx;
    } else {
      conns.setInPkts(idx, conns.inPktsOf(idx) + 1);
      conns.touch(idx, now);
    }
    return idx;
  }

  /**
   * ip_vs_out: handles a real-server→client reply. Looks the conn up by the reply tuple (RS
   * daddr:dport and client, or a FULLNAT local address), counts out-stats and runs the OUTPUT
   * transition. Returns the conn index or VERDICT.ACCEPT when the packet is not ours.
   */
  outPacket(p: PacketInfo, now: number): number {
    if (this.opsPending >= 0) this.flushOps();
    this.conns.expire(now);
    const proto = p.protocol;
    if (proto !== PROTO.TCP && proto !== PROTO.UDP && proto !== PROTO.SCTP) return VERDICT.ACCEPT;
    bytesToWords(p.srcAddr, this.v); // real server
    bytesToWords(p.dstAddr, this.c); // client (or FULLNAT local address)
    let idx = this.conns.findOut(p.af, proto, this.v, p.srcPort, this.c, p.dstPort);
    if (idx < 0) idx = this.conns.findOutLocal(proto, this.v, p.srcPort, this.c, p.dstPort);
    if (idx < 0) return VERDICT.ACCEPT;
    this.countOut(idx, p.length, 1);
    this.transition(idx, DIR.OUTPUT, p);
    this.conns.touch(idx, now);
    return idx;
  }

  /**
   * ip_vs_in's fast path for an IPv4 TCP/UDP packet of an existing conn, as the kernel's path for
   * established conns is lookup → transition → counters: the tuple arrives as host-order
   * addresses (u32, or the same bits as int32, which callers prefer: they stay small integers),
   * not a PacketInfo. Returns the conn index, or FAST_MISS when the packet needs
   * {@link inPacket} (no conn yet, a SYN that may reschedule, a dest no longer available, SCTP).
   */
  inPacket4(
    proto: number,
    caddr: number,
    cport: number,
    vaddr: number,
    vport: number,
    tcpFlags: number,
    length: number,
    now: number,
  ): number {
    if (proto !== PROTO.TCP && proto !== PROTO.UDP) return FAST_MISS;
    if (proto === PROTO.TCP && (tcpFlags & TCP_FLAG.SYN) !== 0) return FAST_MISS;
    if (this.opsPending >= 0) this.flushOps();
    const conns = this.conns;
    // A receive batch shares one `now`: expiring once per distinct time is enough.
    if (now !== this.fastNow) {
      this.fastNow = now;
      conns.expire(now);
    }
    const idx = conns.findIn4(proto, caddr, cport, vaddr, vport);
    if (idx < 0) return FAST_MISS;
    const d = this.table.destById(conns.destOf(idx));
    if (d !== undefined) {
      if (!d.available) return FAST_MISS;
      if (!this.synthetic) {
        d.stats.inpkts++;
        d.stats.inbytes += length;
        d.svc.stats.inpkts++;
        d.svc.stats.inbytes += length;
        this.stats.inpkts++;
        this.stats.inbytes += length;
      }
    }
    if (proto === PROTO.TCP) {
      // Most segments leave the state as it is; then all transition() would do is re-set the timeout.
      const old = conns.stateOf(idx);
      const s = this.settings;
      if (
        old === TCP_S.ESTABLISHED &&
        (tcpFlags & (TCP_FLAG.ACK | TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) === TCP_FLAG.ACK
      ) {
        // The common segment: an ACK without SYN, FIN or RST keeps ESTABLISHED in all four tables
        // (normal and secure_tcp, INPUT and INPUT_ONLY), so no table lookup.
        conns.setTimeoutSecs(idx, s.tcpTimeouts[TCP_S.ESTABLISHED] as number);
      } else if (
        tcpNextState(
          s.secureTcp,
          conns.flagsOf(idx) & CONN_F.NOOUTPUT ? DIR.INPUT_ONLY : DIR.INPUT,
          tcpEvent(tcpFlags),
          old,
        ) === old
      ) {
        conns.setTimeoutSecs(idx, s.tcpTimeouts[old] as number);
      } else {
        this.fastTransition(idx, proto, tcpFlags);
      }
    } else {
      this.fastTransition(idx, proto, tcpFlags);
    }
    // Hashed conns are never ONE_PACKET (those are not in the index), so no OPS handling here;
    // and an entry the index found is LIVE, so the timer is re-armed without asking.
    conns.setInPkts(idx, conns.inPktsOf(idx) + 1);
    conns.touchLive(idx, now);
    return idx;
  }

  // transition() for an input packet of the fast path, its TCP flags carried in a PacketInfo.
  private fastTransition(idx: number, proto: number, tcpFlags: number): void {
    const p = this.fast;
    p.protocol = proto;
    p.tcpFlags = tcpFlags;
    this.transition(idx, DIR.INPUT, p);
  }

  /**
   * {@link outPacket} for an IPv4 TCP/UDP reply given as host-order u32 addresses (real server or
   * FULLNAT peer `saddr:sport` → client or local address `daddr:dport`). Returns the conn index,
   * VERDICT.ACCEPT when it is not ours, or FAST_MISS for other protocols.
   */
  outPacket4(
    proto: number,
    saddr: number,
    sport: number,
    daddr: number,
    dport: number,
    tcpFlags: number,
    length: number,
    now: number,
  ): number {
    if (proto !== PROTO.TCP && proto !== PROTO.UDP) return FAST_MISS;
    if (this.opsPending >= 0) this.flushOps();
    const conns = this.conns;
    if (now !== this.fastNow) {
      this.fastNow = now;
      conns.expire(now);
    }
    setWord4(this.v, saddr);
    setWord4(this.c, daddr);
    let idx = conns.findOut(4, proto, this.v, sport, this.c, dport);
    if (idx < 0) idx = conns.findOutLocal(proto, this.v, sport, this.c, dport);
    if (idx < 0) return VERDICT.ACCEPT;
    this.countOut(idx, length, 1);
    const p = this.fast;
    p.protocol = proto;
    p.tcpFlags = tcpFlags;
    this.transition(idx, DIR.OUTPUT, p);
    conns.touch(idx, now);
    return idx;
  }

  /**
   * ip_vs_leave() with cache_bypass set, for a first packet `p` that {@link inPacket} answered
   * VERDICT.NO_DEST: when its service is a fwmark one and the caller has found its destination
   * to be a non-local unicast address (ip_vs_addr_is_unicast()), a bypass conn is created
   * (IP_VS_CONN_F_BYPASS, real server 0.0.0.0:0, no dest, ONE_PACKET for a one-packet UDP
   * service) and given the packet's state transition, so this packet and the flow's next ones are
   * forwarded to their original destination (ip_vs_bypass_xmit()). No counters move: a conn
   * without a dest counts nothing (ip_vs_in_stats()). Returns the conn, or VERDICT.NO_DEST when
   * the sysctl is 0 or the service is not a fwmark one.
   */
  bypass(p: PacketInfo, now: number): number {
    if (!this.settings.cacheBypass || p.fragment) return VERDICT.NO_DEST;
    const svc = this.table.lookup(p.af, p.protocol, p.dstAddr, p.dstPort, p.fwmark);
    if (!svc || svc.fwmark === 0) return VERDICT.NO_DEST;
    const conns = this.conns;
    bytesToWords(p.srcAddr, this.c);
    bytesToWords(p.dstAddr, this.v);
    this.tv.fill(0);
    const one = svc.onePacket && p.protocol === PROTO.UDP ? CONN_F.ONE_PACKET : 0;
    const idx = conns.create(
      p.af,
      p.protocol,
      this.c,
      p.srcPort,
      this.v,
      p.dstPort,
      p.af,
      this.tv,
      0,
      FWD.BYPASS | one,
      p.fwmark,
      -1,
      svc.id,
      now,
    );
    this.transition(idx, DIR.INPUT, p);
    if (one) this.opsPending = idx;
    else {
      conns.setInPkts(idx, conns.inPktsOf(idx) + 1);
      conns.touch(idx, now);
    }
    return idx;
  }

  /**
   * ip_vs_in_icmp() with schedule_icmp set, when an ICMP error about a packet from a virtual
   * service matched no conn: ip_vs_try_to_schedule() with the quoted header read inverted. `p`
   * carries that tuple the right way round (client = the quoted destination, VIP:vport = the
   * quoted source), its protocol, the ICMP packet's length and mark. The service is found and a
   * dest scheduled as for a first packet, with no SYN/INIT check (tcp_conn_schedule() skips it for
   * ICMP), no state transition (the conn keeps state NONE and its 3 s first timeout) and the in
   * counters counted (ip_vs_in_stats()). Returns the conn index, VERDICT.ACCEPT when no service
   * matches, or another VERDICT when none can be scheduled: then ip_vs_leave() only drops, since it
   * never answers an ICMP error with one (nor bypasses it).
   */
  scheduleIcmp(p: PacketInfo, now: number): number {
    if (this.opsPending >= 0) this.flushOps();
    this.conns.expire(now);
    const proto = p.protocol;
    if (proto !== PROTO.TCP && proto !== PROTO.UDP && proto !== PROTO.SCTP) return VERDICT.ACCEPT;
    bytesToWords(p.srcAddr, this.c);
    bytesToWords(p.dstAddr, this.v);
    const svc = this.table.lookup(p.af, proto, p.dstAddr, p.dstPort, p.fwmark);
    if (!svc) return VERDICT.ACCEPT;
    const idx = this.schedule(svc, p, now);
    if (idx < 0) return idx;
    this.countIn(idx, p.length, 1);
    // A one-packet conn goes after this ICMP packet, as after a datagram (ip_vs_conn_put()).
    if (this.conns.flagsOf(idx) & CONN_F.ONE_PACKET) this.opsPending = idx;
    return idx;
  }

  /**
   * ip_vs_schedule: creates a conn for a packet that may start one. Persistent services go through
   * a template; non-persistent port-0 services are refused; dport = dest.port or the packet's vport.
   */
  schedule(svc: Service, p: PacketInfo, now: number): number {
    // Never schedule active-FTP data connections (source port 20).
    if (p.srcPort === 20) return VERDICT.ACCEPT;
    this.pickSvc = svc;
    this.pickPkt = p;
    this.pickNow = now;
    const conns = this.conns;
    const af = p.af;
    const oneFlag = svc.onePacket && p.protocol === PROTO.UDP ? CONN_F.ONE_PACKET : 0;
    const max = this.settings.connMax;
    if (max > 0 && this.fullTable(now)) return this.refuseConnMax();
    if (svc.persistent) {
      const t = findOrCreateTemplate(
        this,
        svc,
        af,
        p.protocol,
        this.c,
        this.v,
        p.dstPort,
        p.fwmark,
        this.snet,
        this.tv,
        this.pick,
        now,
      );
      if (t < 0) return VERDICT.NO_DEST;
      // A new template took the last place: refused like a failed ip_vs_conn_new(), the template
      // left to its timer as ip_vs_sched_persist() leaves it.
      if (max > 0 && this.fullTable(now)) return this.refuseConnMax();
      const dest = this.destOf(t) as Dest;
      const dport = p.dstPort === svc.port && dest.port !== 0 ? dest.port : p.dstPort;
      const idx = this.newConn(svc, p, dest, dport, oneFlag, now);
      conns.setControl(idx, t);
      conns.touch(t, now);
      return idx;
    }
    // Non-persistent port-0 services are a configuration error ("port zero only supported in persistent services").
    if (svc.fwmark === 0 && p.dstPort !== svc.port) return VERDICT.NO_DEST;
    const dest = this.pick();
    if (!dest) return VERDICT.NO_DEST;
    return this.newConn(svc, p, dest, dest.port !== 0 ? dest.port : p.dstPort, oneFlag, now);
  }

  /**
   * ip_vs_conn_new() for an application helper's expected conn (ip_vs_ftp's data conns): client
   * `c:cport` (cport 0 with NO_CPORT in `flags` when not known yet), virtual `v:vport`, real server
   * `d:dport`, on conn `ctl`'s dest, service and mark; then ip_vs_control_add() (controlled by
   * `ctl`) and ip_vs_tcp_conn_listen() (state LISTEN with its timeout). No scheduler runs and no
   * conn counter moves, as in the kernel. Returns the conn, or < 0 when conn_max is reached or
   * `ctl` has no dest.
   */
  expectConn(
    ctl: number,
    c: Uint32Array,
    cport: number,
    v: Uint32Array,
    vport: number,
    d: Uint32Array,
    dport: number,
    flags: number,
    now: number,
  ): number {
    const conns = this.conns;
    const max = this.settings.connMax;
    if (max > 0 && conns.count >= max) return this.refuseConnMax();
    const dest = this.destOf(ctl);
    if (!dest) return VERDICT.DROP;
    const fl = flags | destConnFlags(dest);
    const af = conns.af(ctl);
    const idx = conns.create(
      af,
      PROTO.TCP,
      c,
      cport,
      v,
      vport,
      dest.af,
      d,
      dport,
      fl,
      conns.fwmark[ctl] as number,
      dest.id,
      conns.svc[ctl] as number,
      now,
    );
    dest.bind(countKind(fl));
    conns.setControl(idx, ctl);
    conns.setState(idx, TCP_S.LISTEN);
    conns.setTimeoutSecs(idx, this.settings.tcpTimeouts[TCP_S.LISTEN] as number);
    conns.touch(idx, now);
    return idx;
  }

  // The table holds conn_max entries: room for the new conn by evicting a half-open one (early
  // drop, drop-entry.ts evictHalfOpen), else refused and counted.
  private fullTable(now: number): boolean {
    const conns = this.conns;
    if (conns.count < this.settings.connMax) return false;
    if (
      this.earlyDrop &&
      conns.count === this.settings.connMax &&
      this.dropper.evictHalfOpen(this, EARLY_DROP_TRIES, now, EARLY_DROP_IDLE_MS)
    ) {
      this.defense.evictedConnMax++;
      return false;
    }
    return true;
  }

  private refuseConnMax(): number {
    this.defense.refusedConnMax++;
    return VERDICT.CONN_LIMIT;
  }

  private newConn(
    svc: Service,
    p: PacketInfo,
    dest: Dest,
    dport: number,
    extra: number,
    now: number,
  ): number {
    const idx = this.conns.create(
      p.af,
      p.protocol,
      this.c,
      p.srcPort,
      this.v,
      p.dstPort,
      dest.af,
      destWords(dest),
      dport,
      extra | destConnFlags(dest),
      p.fwmark,
      dest.id,
      svc.id,
      now,
    );
    dest.bind(1);
    // ip_vs_conn_stats: conns are counted on every scheduled conn.
    dest.stats.conns++;
    svc.stats.conns++;
    this.stats.conns++;
    return idx;
  }

  /**
   * Proxy plane: takes back the conn newConn counted on `dest`, its service and globally, when
   * that scheduling did not stand (the client was retried on another real server, or the
   * director could not open a socket for it): one client, one conn, as ip_vs_conn_stats counts.
   */
  uncountConn(dest: Dest): void {
    dest.stats.uncountConn();
    dest.svc.stats.uncountConn();
    this.stats.uncountConn();
  }

  /** Counts `pkts` client→server packets totalling `bytes` on the conn's dest, service and globally (only while the dest is AVAILABLE). */
  countIn(idx: number, bytes: number, pkts: number): void {
    const d = this.destOf(idx);
    if (!d?.available) return;
    d.stats.inpkts += pkts;
    d.stats.inbytes += bytes;
    d.svc.stats.inpkts += pkts;
    d.svc.stats.inbytes += bytes;
    this.stats.inpkts += pkts;
    this.stats.inbytes += bytes;
  }

  /** Counts server→client packets like {@link countIn}. */
  countOut(idx: number, bytes: number, pkts: number): void {
    const d = this.destOf(idx);
    if (!d?.available) return;
    d.stats.outpkts += pkts;
    d.stats.outbytes += bytes;
    d.svc.stats.outpkts += pkts;
    d.svc.stats.outbytes += bytes;
    this.stats.outpkts += pkts;
    this.stats.outbytes += bytes;
  }

  /**
   * Proxy plane: counts bytes of an accepted connection in direction DIR.INPUT or DIR.OUTPUT.
   * With `now`, traffic also re-arms the entry's timer with its state's timeout, as every packet
   * does in inPacket/outPacket (ip_vs_conn_put), so a busy proxied connection never idles out.
   */
  countBytes(idx: number, dir: number, bytes: number, pkts: number, now?: number): void {
    if (dir === DIR.OUTPUT) this.countOut(idx, bytes, pkts);
    else this.countIn(idx, bytes, pkts);
    if (now !== undefined) this.conns.touch(idx, now);
  }

  /**
   * Proxy plane: registers the one function told, synchronously, about every entry the table
   * frees: timer expiry, the expire_nodest_conn flush, a one-packet flush, a conn killed for
   * rescheduling, or any kill(). A socket plane holds sockets per entry and must close them when
   * the entry goes; being told at the moment of freeing means an index is never mistaken for the
   * next connection that reuses its slot. The handler runs while the entry is being freed (it is
   * still readable), so it must not call back into the Director or its table; null unregisters.
   */
  onConnExpire(fn: ((idx: number) => void) | null): void {
    this.expireHook = fn;
  }

  /**
   * Proxy plane: a client connected to `svc` (optionally at a specific vaddr/vport for fwmark or
   * port-0 services). Schedules exactly as a SYN would, including persistence and port reuse,
   * and marks the conn as seeing replies. Packets and bytes are left to {@link countBytes}.
   * Returns the conn index or a VERDICT.
   */
  openConn(
    svc: Service,
    client: Uint8Array,
    cport: number,
    now: number,
    vaddr?: Uint8Array,
    vport?: number,
  ): number {
    const p = this.synth;
    p.af = svc.af;
    p.protocol = svc.protocol;
    p.srcAddr = client;
    p.srcPort = cport;
    p.dstAddr = vaddr ?? svc.addrBytes ?? client;
    p.dstPort = vport ?? svc.port;
    p.fwmark = svc.fwmark;
    p.tcpFlags = TCP_FLAG.SYN;
    p.sctpChunk = SCTP_CHUNK.INIT;
    p.sctpNextChunk = -1;
    p.length = 0;
    p.fragment = false;
    p.oldConntrack = false;
    this.synthetic = true;
    const idx = this.inPacket(p, now);
    this.synthetic = false;
    if (idx >= 0) this.conns.setFlags(idx, this.conns.flagsOf(idx) & ~CONN_F.NOOUTPUT);
    return idx;
  }

  /** Proxy plane: drives the conn's state machine with a synthetic event (CONN_EVENT) and re-arms it. */
  connEvent(idx: number, ev: number, now: number): void {
    if (this.conns.kind(idx) !== KIND.LIVE && this.conns.kind(idx) !== KIND.OPS) return;
    const p = this.synth;
    const proto = this.conns.proto[idx] as number;
    const step = (dir: number, tcp: number, chunk: number) => {
      p.tcpFlags = tcp;
      p.sctpChunk = chunk;
      p.sctpNextChunk = -1;
      this.transition(idx, dir, p);
    };
    const A = TCP_FLAG.ACK;
    const C = SCTP_CHUNK;
    switch (ev) {
      case CONN_EVENT.ESTABLISHED:
        if (proto === PROTO.SCTP) {
          step(DIR.OUTPUT, 0, C.INIT_ACK);
          step(DIR.INPUT, 0, C.COOKIE_ECHO);
          step(DIR.OUTPUT, 0, C.COOKIE_ACK);
        } else {
          step(DIR.OUTPUT, TCP_FLAG.SYN | A, C.DATA);
          step(DIR.INPUT, A, C.DATA);
        }
        break;
      case CONN_EVENT.CLIENT_FIN:
        step(DIR.INPUT, TCP_FLAG.FIN | A, C.SHUTDOWN);
        break;
      case CONN_EVENT.SERVER_FIN:
        step(
          DIR.OUTPUT,
          TCP_FLAG.FIN | A,
          this.conns.stateOf(idx) === SCTP_S.SHUTDOWN_RECEIVED ? C.SHUTDOWN_ACK : C.SHUTDOWN,
        );
        break;
      case CONN_EVENT.CLIENT_RST:
        step(DIR.INPUT, TCP_FLAG.RST, C.ABORT);
        break;
      case CONN_EVENT.SERVER_RST:
        step(DIR.OUTPUT, TCP_FLAG.RST, C.ABORT);
        break;
      case CONN_EVENT.CLIENT_DATA:
        step(DIR.INPUT, A, C.DATA);
        break;
      case CONN_EVENT.SERVER_DATA:
        step(DIR.OUTPUT, A, C.DATA);
        break;
    }
    this.conns.touch(idx, now);
  }

  /**
   * Runs the protocol state machine for one packet (ip_vs_set_state): NOOUTPUT conns use the
   * INPUT_ONLY table until the first OUTPUT packet, timeouts follow the new state, and the dest's
   * active/inactive counts move on every activity change (ip_vs_proto_tcp.c `set_tcp_state`).
   */
  transition(idx: number, dir: number, p: PacketInfo): void {
    const conns = this.conns;
    const f = conns.flagsOf(idx);
    if (f & CONN_F.TEMPLATE) return;
    const proto = conns.proto[idx] as number;
    const s = this.settings;
    if (proto === PROTO.UDP) {
      conns.setTimeoutSecs(idx, s.udpTimeouts[0] as number);
      if (dir === DIR.OUTPUT) this.assure(idx);
      return;
    }
    let d = dir;
    if (f & CONN_F.NOOUTPUT) {
      if (dir === DIR.OUTPUT) conns.setFlags(idx, f & ~CONN_F.NOOUTPUT);
      else d = DIR.INPUT_ONLY;
    }
    const old = conns.stateOf(idx);
    let next: number;
    let active: boolean;
    if (proto === PROTO.TCP) {
      next = tcpNextState(s.secureTcp, d, tcpEvent(p.tcpFlags), old);
      active = TCP_STATE_ACTIVE[next] === true;
      conns.setTimeoutSecs(idx, s.tcpTimeouts[next] as number);
    } else {
      next = old < SCTP_STATE_COUNT ? sctpNextState(d, sctpEvent(p.sctpChunk, p.sctpNextChunk), old) : old;
      active = next === SCTP_S.ESTABLISHED;
      conns.setTimeoutSecs(idx, s.sctpTimeouts[next] as number);
    }
    if (next !== old) {
      const dest = this.destOf(idx);
      if (dest) {
        const fl = conns.flagsOf(idx);
        const wasActive = (fl & CONN_F.INACTIVE) === 0;
        if (wasActive && !active) {
          conns.setFlags(idx, fl | CONN_F.INACTIVE);
          dest.setActivity(true, false);
        } else if (!wasActive && active) {
          conns.setFlags(idx, fl & ~CONN_F.INACTIVE);
          dest.setActivity(false, true);
        }
      }
      if (next === (proto === PROTO.TCP ? TCP_S.ESTABLISHED : SCTP_S.ESTABLISHED)) this.assure(idx);
      conns.setState(idx, next);
    }
  }

  // ip_vs_control_assure_ct: the controlling template becomes ASSURED.
  private assure(idx: number): void {
    const ct = this.conns.ctl[idx] as number;
    if (ct >= 0 && (this.conns.flagsOf(ct) & CONN_F.TEMPLATE) !== 0) {
      this.conns.setState(ct, CTPL_S.ASSURED);
    }
  }

  // is_new_conn_expected: an uncontrolled conn in TIME_WAIT/CLOSE (or FIN_WAIT+NOOUTPUT with bit 2), or SCTP CLOSED.
  private newConnExpected(idx: number): boolean {
    const conns = this.conns;
    if ((conns.ctl[idx] as number) >= 0) return false;
    const st = conns.stateOf(idx);
    const proto = conns.proto[idx] as number;
    if (proto === PROTO.TCP) {
      return (
        st === TCP_S.TIME_WAIT ||
        st === TCP_S.CLOSE ||
        ((this.settings.connReuseMode & 2) !== 0 &&
          st === TCP_S.FIN_WAIT &&
          (conns.flagsOf(idx) & CONN_F.NOOUTPUT) !== 0)
      );
    }
    if (proto === PROTO.SCTP) return st === SCTP_S.CLOSED;
    return false;
  }

  // tcp/udp/sctp_conn_schedule: which packets may create a conn.
  private mayStart(p: PacketInfo): boolean {
    if (p.protocol === PROTO.TCP) {
      if (p.tcpFlags & TCP_FLAG.RST) return false;
      return (p.tcpFlags & TCP_FLAG.SYN) !== 0 || this.settings.sloppyTcp;
    }
    if (p.protocol === PROTO.SCTP) {
      if (p.sctpChunk === SCTP_CHUNK.ABORT) return false;
      return p.sctpChunk === SCTP_CHUNK.INIT || this.settings.sloppySctp;
    }
    return true;
  }

  // Called by the conn table before an entry is freed: uncount it on its dest (ip_vs_unbind_dest),
  // then tell the proxy plane (onConnExpire).
  private release(idx: number): void {
    const d = this.destOf(idx);
    if (d) d.unbind(countKind(this.conns.flagsOf(idx)));
    const h = this.expireHook;
    if (h !== null) h(idx);
  }

  /** Frees the pending one-packet conn (OPS conns live only for their packet). */
  flushOps(): void {
    const i = this.opsPending;
    this.opsPending = -1;
    if (i >= 0 && this.conns.kind(i) === KIND.OPS) this.conns.kill(i);
  }

  /**
   * Periodic work: conn expiry, the 2 s rate estimator on every stats object, the trash,
   * scheduler housekeeping, and the expire_nodest_conn flush after dest deletions.
   */
  tick(now: number): void {
    this.flushOps();
    this.conns.expire(now);
    const gen = this.table.generation;
    if (gen !== this.lastGen) {
      this.lastGen = gen;
      if (this.settings.expireNodestConn && this.table.trashed().length > 0) this.flushNodest();
    }
    if (this.lastEst < 0) this.lastEst = now;
    let rounds = 0;
    while (now - this.lastEst >= EST_PERIOD_MS) {
      this.lastEst += EST_PERIOD_MS;
      if (this.settings.runEstimation && rounds++ < 64) this.estimate();
    }
    this.table.expireTrash(now);
    for (const svc of this.table.list()) svc.sched?.tick?.(svc, now);
  }

  private estimate(): void {
    this.stats.estimate();
    for (const svc of this.table.list()) {
      svc.stats.estimate();
      for (const d of svc.dests) d.stats.estimate();
    }
  }

  /** ip_vs_expire_nodest_conn_flush: expires every conn (and then-idle template) whose dest is no longer AVAILABLE. */
  flushNodest(): void {
    const conns = this.conns;
    for (let i = 0; i < conns.limit; i++) {
      if (conns.kind(i) !== KIND.LIVE) continue;
      const d = this.destOf(i);
      if (!d || d.available) continue;
      const f = conns.flagsOf(i);
      if (f & CONN_F.TEMPLATE) {
        if ((conns.ctl[i] as number) > 0) continue;
        conns.kill(i);
        continue;
      }
      const ct = conns.ctl[i] as number;
      conns.kill(i);
      if (
        ct >= 0 &&
        conns.kind(ct) === KIND.LIVE &&
        (conns.flagsOf(ct) & CONN_F.TEMPLATE) !== 0 &&
        (conns.ctl[ct] as number) === 0
      )
        conns.kill(ct);
    }
  }
}

// An IPv4 address in the 4-word form the conn table compares (words 1..3 zero, as bytesToWords).
function setWord4(w: Uint32Array, a: number): void {
  w[0] = a;
  w[1] = 0;
  w[2] = 0;
  w[3] = 0;
}

// is_new_conn: a TCP SYN or an SCTP INIT.
function isNewConn(p: PacketInfo): boolean {
  if (p.protocol === PROTO.TCP) return (p.tcpFlags & TCP_FLAG.SYN) !== 0;
  if (p.protocol === PROTO.SCTP) return p.sctpChunk === SCTP_CHUNK.INIT;
  return false;
}
