/**
 * The packet engine: `handleFrame(buf, off, len, ifindex, flags, now)` turns one received frame
 * into actions (actions.ts: the driver performs them) with no I/O and no allocation per packet.
 * It parses once (packet/flow.ts), answers ARP for the VIPs and LIPs the director's kernel does
 * not hold, learns neighbours from ARP, answers echo requests to its addresses, completes partial
 * checksums, and hands IPv4 packets to the IPVS path (ip-path.ts). Every frame that goes nowhere
 * is counted by reason (drops.ts). `handleBatch` does the same for a whole receive batch, and
 * `announce` emits the gratuitous ARP (or unsolicited advert) for a new VIP or LIP as actions.
 *
 * GSO super-frames: AF_PACKET on veth (and for locally generated traffic) delivers TCP frames up
 * to ~64 KB with partial checksums. A packet socket cannot send a frame above the egress MTU, so
 * when the driver flags a frame as GSO (FRAME_F.GSO) the engine completes its checksum, rewrites
 * it once, and cuts it into MSS-sized segments in software (forward/tso.ts) for every method,
 * tunnels included (segments are sized so the encapsulated packet fits). Without the flag, an
 * oversized DF packet gets ICMP fragmentation-needed as in the kernel.
 *
 * IPv6 frames take the same way through their own halves: neighbour discovery (ndp.ts) in place
 * of ARP and the IPv6 IPVS path (ip6-path.ts), with routes from the optional `routes6` table.
 */
import { pcodeOf } from '../core/conn-table.js';
import type { Director } from '../core/director.js';
import { ETH_LEN, writeEth } from '../forward/frame.js';
import { ARP_OP, writeArp } from '../packet/arp.js';
import { IPPROTO } from '../packet/checksum.js';
import { ETHERTYPE } from '../packet/ethernet.js';
import { Flow, frameView, PARSE, parseFlow } from '../packet/flow.js';
import { completeChecksum } from '../packet/rewrite.js';
import type { ActionList } from './actions.js';
import { DROP, DROP_COUNT, DROP_NAME } from './drops.js';
import type { FlowOffload } from './flow-offload.js';
import { IpPath, type IpPathOptions } from './ip-path.js';

/** Driver headroom (EngineOptions.headroom) from which every IPv4 tunnel is built in place. */
export { TUN_HEADROOM } from './ip-path.js';

import type { SyncMaster } from '../sync/sync-master.js';
import { Ip6Path } from './ip6-path.js';
import { LocalAddrs } from './local-addrs.js';
import { LocalAddrs6 } from './local-addrs6.js';
import type { MarkTable } from './mark-table.js';
import { Output6 } from './ndp.js';
import { type EngineInterface, Output, type OutputOptions } from './output.js';
import type { RouteTable } from './routes.js';
import type { RouteTable6 } from './routes6.js';

/**
 * Frames warmed at a time by {@link Engine.handleBatch}: enough independent loads to overlap their
 * misses, and few enough that the lines warmed (index slot, hot record, FULLNAT record: up to
 * three per frame) are still in L1 when the frames reach them. Measured against 256 with
 * bench:engine, interleaved, best of 4: 0-9 ns less per packet at 64 k and 1 M flows in creation
 * order, and 9-43 ns less in random order.
 */
export const WARM_CHUNK = 64;

/** Per-frame flags from the driver. */
export const FRAME_F = {
  /** The L4 checksum is CHECKSUM_PARTIAL (TP_STATUS_CSUMNOTREADY): complete it before anything else. */
  PARTIAL_CSUM: 1,
  /** A TCP GSO super-frame (TP_STATUS_GSO_TCP): segment it instead of applying the MTU check. */
  GSO: 2,
} as const;

/** Engine configuration. */
export interface EngineOptions extends OutputOptions, IpPathOptions {
  readonly director: Director;
  readonly routes: RouteTable;
  /** IPv6 routes; without them IPv6 packets that need a route are dropped as NO_ROUTE. */
  readonly routes6?: RouteTable6;
  readonly interfaces: readonly EngineInterface[];
  /**
   * Take the established-conn fast path (IpPath.fastRequest). Default true; false sends every
   * packet through the general path, which tests use as the reference the fast path must match.
   */
  fastPath?: boolean;
}

/** A snapshot of the engine's counters (allocates; for summaries and metrics, not per packet). */
export interface EngineCounters {
  rxFrames: number;
  txFrames: number;
  /** Frames handed to the director's own stack: requests for a local real server (ACT.LOCAL). */
  localFrames: number;
  arpReplies: number;
  arpRequests: number;
  echoReplies: number;
  icmpErrors: number;
  /** Neighbour adverts sent for IPv6 VIPs. */
  ndpAdverts: number;
  /** Neighbour solicitations sent to resolve IPv6 next hops. */
  ndpSolicits: number;
  /** Non-zero drop counters by name. */
  drops: Record<string, number>;
}

/** The packet engine. */
export class Engine {
  readonly director: Director;
  readonly out: Output;
  readonly ip: IpPath;
  readonly local = new LocalAddrs();
  readonly local6 = new LocalAddrs6();
  /** IPv6 output and neighbour discovery. */
  readonly out6: Output6;
  readonly ip6: Ip6Path;
  /** Frames handed to handleFrame. */
  rxFrames = 0;
  /** ARP replies sent for VIPs and LIPs. */
  arpReplies = 0;
  private readonly flow = new Flow();
  private readonly fast: boolean;

  constructor(o: EngineOptions) {
    this.director = o.director;
    // At conn_max a new conn may replace a half-open one (core/director.ts fullTable()): a packet
    // plane's half-open entries hold nothing but the entry.
    this.director.earlyDrop = true;
    this.out = new Output(o.routes, o.interfaces, o);
    this.ip = new IpPath(o.director, this.out, this.local, o);
    this.out6 = new Output6(this.out, o.routes6, o.interfaces, o.neighbours);
    this.ip6 = new Ip6Path(o.director, this.out, this.out6, this.local6, o);
    this.fast = o.fastPath ?? true;
  }

  /**
   * Classifies packets by `marks` from now on (firewall-mark services, engine/mark-table.ts),
   * replacing the previous rules whole; built by the caller off the hot path. The rules' single
   * destinations become VIPs of the fwmark services their marks select, at once.
   */
  setMarks(marks: MarkTable): void {
    this.ip.marks = marks;
    this.ip6.marks = marks;
    this.local.marks = marks;
    this.local6.marks = marks;
    this.local.rebuild(this.director.table);
    this.local6.rebuild(this.director.table);
  }

  /**
   * Hands established DR and NAT conns to an XDP flow map from now on (flow-offload.ts; none
   * while a sync master runs, see setSyncMaster), or stops with
   * null (the old controller's entries are folded and removed first). The controller is told of
   * every entry the conn table frees through the director's free hook, which the packet plane
   * does not otherwise use.
   */
  setOffload(off: FlowOffload | null): void {
    const old = this.ip.offload;
    if (old !== null && old !== off) old.clear();
    this.ip.offload = off;
    this.director.onConnExpire(off === null ? null : (idx) => off.onFree(idx));
  }

  /**
   * End of a receive batch (the plane loop calls it after sending the batch's output): installs
   * the conns the batch offered to the flow offload, off the per-packet path.
   */
  afterBatch(now: number): void {
    const off = this.ip.offload;
    if (off !== null) off.flush(now);
  }

  /** The mark rules in force. */
  get marks(): MarkTable {
    return this.ip.marks;
  }

  /** The actions produced since the last {@link flush}. */
  get actions(): ActionList {
    return this.out.actions;
  }

  /**
   * Handles the frame `buf[off, off + len)` received on `ifindex` with FRAME_F `flags` at time
   * `now` (ms), appending its actions. Never throws on frame contents. The frame may be rewritten
   * in place and sent from where it lies, so `buf` must stay untouched until {@link flush}.
   */
  handleFrame(buf: Uint8Array, off: number, len: number, ifindex: number, flags: number, now: number): void {
    this.rxFrames++;
    const out = this.out;
    const flow = this.flow;
    const v = parseFlow(buf, len, flow, off);
    if (v !== PARSE.OK) {
      out.drop(v);
      return;
    }
    if (this.local.generation !== this.director.table.generation) this.local.rebuild(this.director.table);
    const et = flow.etherType;
    if (et === ETHERTYPE.IPV4) {
      if (flags & FRAME_F.PARTIAL_CSUM) completeChecksum(buf, flow);
      this.ip.rxIf = ifindex;
      // GSO super-frames need segmenting: the general path only.
      if ((flags & FRAME_F.GSO) === 0 && this.fast && this.ip.fastRequest(buf, flow, now)) return;
      this.ip.handle(buf, flow, (flags & FRAME_F.GSO) !== 0, now);
      return;
    }
    if (et === ETHERTYPE.ARP) {
      this.arp(buf, flow, ifindex, now);
      return;
    }
    if (et === ETHERTYPE.IPV6) {
      this.ipv6(buf, flow, ifindex, flags, now);
      return;
    }
    out.drop(DROP.UNSUPPORTED);
  }

  // IPv6: neighbour discovery for our addresses, else the IPVS path.
  private ipv6(buf: Uint8Array, flow: Flow, ifindex: number, flags: number, now: number): void {
    if (this.local6.generation !== this.director.table.generation) this.local6.rebuild(this.director.table);
    if (flags & FRAME_F.PARTIAL_CSUM) completeChecksum(buf, flow);
    const t = flow.icmpType;
    if (flow.proto === IPPROTO.ICMPV6 && t >= 133 && t <= 137) {
      // Router solicitations/adverts and redirects are the host kernel's business.
      if (t === 135 || t === 136) this.out6.handle(buf, flow, ifindex, this.isLocal6, now);
      else this.out.drop(DROP.NDP_IGNORED);
      return;
    }
    this.ip6.rxIf = ifindex;
    this.ip6.handle(buf, flow, (flags & FRAME_F.GSO) !== 0, now);
  }

  private readonly isLocal6 = (b: Uint8Array, off: number): boolean => this.local6.kind(b, off) !== 0;

  /**
   * Handles `count` frames of one receive batch with the same result as {@link handleFrame} on
   * each in order; the packet plane hands every frame in this way. In chunks of
   * {@link WARM_CHUNK} frames, while the conn index is too large to stay in cache, the chunk's
   * conn-index slots are loaded at once (warmBatch) and each frame's lookup starts from its warmed
   * slot (ConnTable.hintIn4); GSO super-frames take the general path as in handleFrame. Frame i
   * lies at `buf[meta[i * stride + offIndex], + meta[i * stride + lenIndex])`, so the driver's
   * meta words (RxFrameBatch.meta, FRAME_META_WORDS, META_OFFSET, META_CAPLEN) can be passed as
   * they are. `flags` is the FRAME_F value of every frame, or one value per frame (`flags[i]`);
   * the caller flushes when done (the action list must have room).
   */
  handleBatch(
    buf: Uint8Array,
    meta: ArrayLike<number>,
    count: number,
    stride: number,
    offIndex: number,
    lenIndex: number,
    ifindex: number,
    flags: number | ArrayLike<number>,
    now: number,
  ): void {
    const conns = this.director.conns;
    const perFrame = typeof flags !== 'number';
    for (let first = 0; first < count; first += WARM_CHUNK) {
      const n = Math.min(WARM_CHUNK, count - first);
      const mo = first * stride;
      const warm = this.warmBatch(buf, meta, n, stride, mo + offIndex);
      const fk = this.frameKey;
      for (let i = 0; i < n; i++) {
        const w = mo + i * stride;
        if (warm) conns.hintIn4(fk[i] as number);
        this.handleFrame(
          buf,
          meta[w + offIndex] as number,
          meta[w + lenIndex] as number,
          ifindex,
          perFrame ? (flags[first + i] as number) : flags,
          now,
        );
      }
    }
  }

  /**
   * Prepares frames before they go through {@link handleFrame}: reads the IPv4 TCP/UDP tuple of
   * each of `count` frames and loads the conn-index slots their lookups will probe, all at once,
   * so their cache misses overlap (ConnTable.warmIn4) instead of costing one stall per packet.
   * It changes no state and parses nothing that counts: a frame it misreads (tagged, options,
   * not IPv4) is simply not warmed. `meta` is laid out as for {@link handleBatch}. Returns false,
   * doing nothing, while the conn index is small enough to stay in cache (ConnTable.warmWorthwhile).
   */
  private warmBatch(
    buf: Uint8Array,
    meta: ArrayLike<number>,
    count: number,
    stride: number,
    offIndex: number,
  ): boolean {
    const conns = this.director.conns;
    if (!conns.warmWorthwhile) return false;
    if (this.warmKeys.length < count * 2) {
      this.warmKeys = new Int32Array(count * 2);
      this.frameKey = new Int32Array(count);
    }
    const keys = this.warmKeys;
    const fk = this.frameKey;
    const v = frameView(buf);
    const end = buf.length - 38;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const o = meta[i * stride + offIndex] as number;
      fk[i] = -1;
      // Untagged, option-less IPv4 TCP or UDP: the frames the fast path takes.
      if (o > end || v.getInt32(o + 12) >> 8 !== 0x080045) continue;
      const proto = buf[o + 23] as number;
      if (proto !== IPPROTO.TCP && proto !== IPPROTO.UDP) continue;
      keys[2 * k] = v.getInt32(o + 26);
      keys[2 * k + 1] = (v.getUint16(o + 34) << 2) | pcodeOf(proto);
      fk[i] = k;
      k++;
    }
    conns.warmIn4(keys, k);
    return true;
  }

  private warmKeys = new Int32Array(2 * WARM_CHUNK);
  // Per frame of the last warmBatch: its key's position in warmKeys, or -1 when not warmed.
  private frameKey = new Int32Array(WARM_CHUNK);

  // ARP: answer requests for VIPs/LIPs (arp_process for addresses the kernel would own), learn senders.
  private arp(buf: Uint8Array, flow: Flow, ifindex: number, now: number): void {
    const out = this.out;
    const sha = flow.l3Off + 8;
    const sip = flow.arpSenderIp;
    // A sender claiming one of our own addresses is a martian to arp_process (ip_route_input()
    // refuses a local source): no reply and no neighbour entry, so nobody can claim the VIP.
    if (sip !== 0 && (this.local.kind(sip) !== 0 || out.ownsAddr4(sip))) {
      out.drop(DROP.ARP_IGNORED);
      return;
    }
    const forUs = this.local.kind(flow.arpTargetIp) !== 0;
    // Like arp_process: update an existing entry from any ARP on its interface, create one when
    // the request is for us and the sender's route leaves by this interface (Output.routesVia).
    if (sip !== 0)
      out.learn(sip, buf, sha, ifindex, now, forUs && flow.arpOp === 1 && out.routesVia(sip, ifindex));
    if (flow.arpOp !== 1 || !forUs) {
      out.drop(DROP.ARP_IGNORED);
      return;
    }
    const slot = out.slotOf(ifindex);
    if (slot < 0) {
      out.drop(DROP.ARP_IGNORED);
      return;
    }
    const o = out.reserve(42);
    if (o < 0) {
      out.drop(DROP.TX_FULL);
      return;
    }
    const a = out.arena;
    writeEth(a, o, buf, sha, out.ifMac, slot * 6, ETHERTYPE.ARP);
    writeArp(a, o + ETH_LEN, ARP_OP.REPLY, out.ifMac, slot * 6, flow.arpTargetIp, buf, sha, flow.arpSenderIp);
    this.arpReplies++;
    out.tx(a, o, 42, ifindex);
  }

  /**
   * Announces that address `ip` (IPv4, host-order u32) now lives behind interface `ifindex`: a
   * gratuitous ARP appended as a tx action like an ARP reply (Output.announceArp), for the caller
   * to send and {@link flush}. Used when a VIP or LIP first appears. False when `ifindex` is not
   * one of the engine's interfaces or there is no room.
   */
  announce(ifindex: number, ip: number): boolean {
    return this.out.announceArp(ifindex, ip);
  }

  /**
   * Holds back the IPv4 addresses `v4` (host-order u32) and IPv6 addresses `v6` (16 bytes each),
   * replacing the previous lists: the VRRP VIPs of instances this director is not MASTER for. Until
   * released, the engine answers no ARP, neighbour solicitation or echo for them and forwards none
   * of their traffic, as a Backup router must (RFC 5798 §6.4.2); everything else is unaffected.
   * The address sets are rebuilt here, whole, off the hot path.
   */
  withhold(v4: Iterable<number>, v6: Iterable<Uint8Array>): void {
    this.local.withhold(v4, this.director.table);
    this.local6.withhold(v6, this.director.table);
  }

  /**
   * Answers ARP, neighbour solicitations and echo for the IPv4 addresses `v4` (host-order u32)
   * and IPv6 addresses `v6` (16 bytes each), replacing the previous lists: the VRRP addresses of
   * the instances this director is MASTER for. Those that are VIPs or LIPs are answered anyway;
   * the others (a NAT pair's inside gateway) would otherwise be answered by nobody, since the
   * director's kernel holds none of them (LOCAL.ADDR). Nothing is forwarded for them.
   */
  own(v4: Iterable<number>, v6: Iterable<Uint8Array>): void {
    this.local.own(v4, this.director.table);
    this.local6.own(v6, this.director.table);
  }

  /** {@link announce} for an IPv6 address (16 bytes): an unsolicited neighbour advert (Output6.announce). */
  announce6(ifindex: number, ip: Uint8Array): boolean {
    return this.out6.announce(ifindex, ip);
  }

  /** Adds a permanent IPv6 neighbour: `ip` is 16 bytes, `mac` 6. */
  addNeighbour6(ip: Uint8Array, mac: Uint8Array, ifindex: number, now: number): void {
    this.out6.learn(ip, 0, mac, 0, ifindex, now, true, true);
  }

  /** Adds a permanent neighbour (e.g. from `--neighbours`): `mac` is 6 bytes. */
  addNeighbour(ip: number, mac: Uint8Array, ifindex: number, now: number): void {
    this.out.learn(ip >>> 0, mac, 0, ifindex, now, true, true);
  }

  /**
   * Timer work: re-sends ARP probes every second for unresolved next hops and, after the third,
   * drops their queued frames (NEIGH_FAILED). Appends actions like handleFrame.
   */
  tick(now: number): void {
    this.out.tickNeighbours(this.out.neigh, now, this.arpProbe);
    this.out6.tick(now);
  }

  private readonly arpProbe = (i: number, slot: number, now: number): void =>
    this.out.arpRequest(i, slot, now);

  /**
   * Feeds `m` (or nobody, with null) from now on: every inbound packet of a conn, IPv4 and IPv6,
   * calls m.onPacket (net/netfilter/ipvs/ip_vs_core.c ip_vs_in() syncs while IP_VS_STATE_MASTER
   * is set), and a template the conn table re-arms because it still controls conns calls
   * m.onRearm (ip_vs_conn_expire()). Off the hot path: called when a master daemon starts or stops.
   */
  setSyncMaster(m: SyncMaster | null): void {
    // Offloaded segments never reach the engine, so the master could not resend their conns
    // every sync_period packets as ip_vs_sync_conn() does, and a backup would let a long flow
    // expire: the flow offload pauses (entries handed back, no new ones) while a master runs.
    if (m !== null) this.ip.offload?.clear();
    this.ip.syncMaster = m;
    this.ip6.syncMaster = m;
    this.director.conns.onRearm = m === null ? null : (idx, now) => m.onRearm(idx, now);
  }

  /** The sync master {@link setSyncMaster} attached, or null. */
  get syncMaster(): SyncMaster | null {
    return this.ip.syncMaster;
  }

  /**
   * Clears the engine's own per-conn state for `idx`, which a sync backup has just created
   * (applySyncEntry): an index is reused, and a FULLNAT conn must not inherit the previous
   * conn's TOA state.
   */
  syncCreated(idx: number): void {
    this.ip.fnat.resetConn(idx);
    this.ip6.fnat.resetConn(idx);
  }

  /**
   * Frames waiting in the IPv4 and IPv6 neighbour queues, released-but-unflushed ones included:
   * the most tx actions a batch's ARP replies and adverts can add (PlaneLoop's action budget).
   */
  get queuedFrames(): number {
    return this.out.neigh.queued + this.out6.neigh.queued;
  }

  /** Releases the batch: clears the actions and reuses the arena and queue memory. */
  flush(): void {
    this.out.flush();
    this.out6.flush();
  }

  /** The counters by name (allocates). */
  counters(): EngineCounters {
    const drops: Record<string, number> = {};
    const d = this.out.drops;
    for (let i = 0; i < DROP_COUNT; i++) {
      if (d[i]! > 0) drops[DROP_NAME[i] || `drop_${i}`] = d[i]!;
    }
    return {
      rxFrames: this.rxFrames,
      txFrames: this.out.txFrames,
      localFrames: this.out.localFrames,
      arpReplies: this.arpReplies,
      arpRequests: this.out.arpRequests,
      echoReplies: this.ip.echoReplies + this.ip6.echoReplies,
      icmpErrors: this.ip.icmpSent + this.ip6.icmpSent,
      ndpAdverts: this.out6.naSent,
      ndpSolicits: this.out6.nsSent,
      drops,
    };
  }
}
