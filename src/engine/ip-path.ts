/**
 * The IPVS part of the engine for IPv4 packets: ip_vs_in / ip_vs_out / ip_vs_in_icmp /
 * ip_vs_out_icmp (net/netfilter/ipvs/ip_vs_core.c) over a parsed Flow, with the forwarding methods
 * of src/forward and the kernel's transmit checks (__ip_vs_get_out_rt): route, MTU (ICMP
 * frag-needed when DF is set and the packet is not a GSO super-frame, sized for tunnel overhead),
 * TTL (ICMP time-exceeded), then the rewrite and the send. Order matters as in the kernel: the
 * route and MTU are checked before the packet is mangled, so an ICMP error quotes the packet as the
 * client sent it.
 */
import { tryBindDest } from '../core/conn-bind.js';
import { CONN_F, KIND } from '../core/conn-table.js';
import type { Dest } from '../core/dest.js';
import { type Director, PacketInfo, VERDICT } from '../core/director.js';
import { DIR, TCP_S } from '../core/proto/tcp.js';
import { FWD, TUN_TYPE } from '../core/types.js';
import { fragCount4, writeFragment4 } from '../forward/frag4.js';
import { ETH_LEN, moveFrame } from '../forward/frame.js';
import {
  adjustSynAckMss,
  fnatIcmpIn4,
  fnatIcmpOut4,
  fnatIn4,
  fnatOut4,
  insertToa4,
  toaFits,
} from '../forward/fullnat.js';
import { FNAT_FAIL, FNAT_S, FullnatPorts } from '../forward/fullnat-ports.js';
import { echoReplyInPlace, writeIcmpError4 } from '../forward/icmp-reply.js';
import { natIcmpIn4, natIcmpOut4, natIn4, natOut4 } from '../forward/nat.js';
import { ipipEncap4, TunParams, tunEncap, tunOverhead } from '../forward/tun.js';
import { IPPROTO } from '../packet/checksum.js';
import { ETHERTYPE } from '../packet/ethernet.js';
import { type Flow, frameView } from '../packet/flow.js';
import { decrementTtl, decrementTtl4, translate4 } from '../packet/rewrite.js';
import type { SyncMaster } from '../sync/sync-master.js';
import { DROP, verdictDrop } from './drops.js';
import type { FlowOffload } from './flow-offload.js';
import { FRAG_DIR, FragTable } from './frag-table.js';
import { FtpHelper } from './ftp-helper.js';
import { LOCAL, type LocalAddrs } from './local-addrs.js';
import { MarkTable } from './mark-table.js';
import type { Output } from './output.js';
import { RealServices } from './real-services.js';

const SYN = 0x02;
const RST = 0x04;
const FIN = 0x01;
const ACK = 0x10;

/** Options of the IP path. */
export interface IpPathOptions {
  /** Insert TOA into FULLNAT TCP requests (DPVS always does). Default true. */
  toa?: boolean;
  /** FULLNAT local port range. */
  lportMin?: number;
  lportMax?: number;
  /**
   * Bytes the driver guarantees writable in front of every received frame (its headroom: e.g.
   * AF_PACKET's PACKET_RESERVE, AF_XDP's UMEM headroom). Default 0. From {@link TUN_HEADROOM} on,
   * TUN writes the outer headers in front of the received packet and sends it from there instead
   * of copying it into the arena behind them.
   */
  headroom?: number;
}

/**
 * Headroom that lets every IPv4 tunnel be built in place: the largest IPv4 outer header, GUE's
 * 20 (IP) + 8 (UDP) + 4 (GUE), in front of the received frame's Ethernet header (the Ethernet
 * header moves down by the outer header's length). IPIP alone needs 20.
 */
export const TUN_HEADROOM = 32;

/** IPv4 forwarding through the director core. */
export class IpPath {
  readonly fnat: FullnatPorts;
  /** ICMP errors and echo replies the engine originated. */
  icmpSent = 0;
  echoReplies = 0;
  private readonly pkt = new PacketInfo();
  /** NAT real services by address and port, for nat_icmp_send. */
  private readonly realServices = new RealServices();
  /** Later fragments find their datagram's conn here. */
  readonly frags = new FragTable();
  private readonly tun = new TunParams();
  /** ip_vs_ftp for the NAT conns the helper is bound to (conns with CONN_F.APP). */
  readonly ftp: FtpHelper;
  private readonly w1 = new Uint32Array(4);
  private readonly w2 = new Uint32Array(4);
  private readonly toa: boolean;
  /** See {@link IpPathOptions.headroom}; may be changed between frames. */
  headroom: number;
  /**
   * The sync master told of every inbound packet of a conn while a master sync daemon runs
   * (ip_vs_in()'s ip_vs_sync_conn() call); null otherwise, so the check costs one load per packet.
   */
  syncMaster: SyncMaster | null = null;
  /**
   * The XDP flow offload (flow-offload.ts; Engine.setOffload): offered DR conns after their
   * fast-path send, and told of every conn packet so a FIN or RST takes the entry back; null
   * (the default) costs one load per packet.
   */
  offload: FlowOffload | null = null;
  /** The mark rules (Engine.setMarks swaps them whole); a packet's mark is set before the service lookup. */
  marks = new MarkTable([]);
  /** The ifindex the current frame arrived on (set by the engine per frame), for `iif` rules. */
  rxIf = 0;
  // Per dest id, the tunnel's (type << 8 | overhead) + 1 (0: not known yet), valid for the
  // service table generation `tunGen` (tunnel settings change only with it): the fast path then
  // reads one int instead of the Dest object.
  private tunInfo = new Int32Array(0);
  private tunGen = -1;

  constructor(
    private readonly director: Director,
    private readonly out: Output,
    private readonly local: LocalAddrs,
    o: IpPathOptions = {},
  ) {
    this.toa = o.toa ?? true;
    this.headroom = o.headroom ?? 0;
    this.fnat = new FullnatPorts(o.lportMin, o.lportMax);
    this.ftp = new FtpHelper(director, out);
    this.pkt.srcAddr = new Uint8Array(4);
    this.pkt.dstAddr = new Uint8Array(4);
  }

  /** Handles a parsed IPv4 packet whose checksums are complete; `gso` marks a TCP super-frame. */
  handle(buf: Uint8Array, flow: Flow, gso: boolean, now: number): void {
    if (flow.fragment) {
      // A first fragment goes on like any packet and is remembered (forward, reply); a later one
      // takes its datagram's conn (frag-table.ts). ICMP fragments are dropped as before.
      if (flow.proto === IPPROTO.ICMP) {
        this.out.drop(DROP.FRAGMENT);
        return;
      }
      if (!flow.hasL4) {
        this.laterFragment(buf, flow, gso, now);
        return;
      }
    }
    const kind = this.local.kind(flow.dst4);
    if (flow.proto === IPPROTO.ICMP) {
      this.icmp(buf, flow, kind, gso, now);
      return;
    }
    if (flow.proto !== IPPROTO.TCP && flow.proto !== IPPROTO.UDP && flow.proto !== IPPROTO.SCTP) {
      this.out.drop(kind !== 0 ? DROP.UNSUPPORTED : DROP.NOT_OURS);
      return;
    }
    // TCP and UDP take the director's u32 entry points; SCTP (chunk types) the PacketInfo ones.
    const sctp = flow.proto === IPPROTO.SCTP;
    const len = flow.ipEnd - flow.l3Off;
    const tf = flow.tcpFlags & 0xff;
    if (sctp) this.fillPkt(buf, flow);
    // The kernel runs ip_vs_out before ip_vs_in at LOCAL_IN, so replies to a LIP that is also a VIP win.
    if (kind & LOCAL.LIP || (kind & LOCAL.VIP) === 0) {
      const idx = sctp
        ? this.director.outPacket(this.pkt, now)
        : this.director.outPacket4(
            flow.proto,
            flow.src4 | 0,
            flow.sport,
            flow.dst4 | 0,
            flow.dport,
            tf,
            len,
            now,
          );
      if (idx >= 0) {
        this.reply(buf, flow, idx, (kind & LOCAL.LIP) !== 0, gso, now);
        return;
      }
    }
    if (this.director.settings.natIcmpSend && this.natStray(buf, flow, now)) return;
    if ((kind & LOCAL.VIP) === 0) {
      this.out.drop(DROP.NOT_OURS);
      return;
    }
    if (!sctp) {
      const idx = this.director.inPacket4(
        flow.proto,
        flow.src4 | 0,
        flow.sport,
        flow.dst4 | 0,
        flow.dport,
        tf,
        len,
        now,
      );
      if (idx >= 0) {
        const sm = this.syncMaster;
        if (sm !== null) sm.onPacket(idx, now);
        this.forward(buf, flow, idx, gso, now);
        return;
      }
      this.fillPkt(buf, flow);
    }
    this.request(buf, flow, gso, now);
  }

  /**
   * ip_vs_out()'s last step with nat_icmp_send set: a TCP, UDP or SCTP packet that matched no conn
   * but comes from the address and port of a NAT real server (ip_vs_has_real_service()) is
   * answered with ICMP port unreachable to that server and dropped, unless it is a TCP RST or an
   * SCTP ABORT. True when it was. The engine asks only after its reply lookup missed, as ip_vs_out
   * does; every other packet goes on as before.
   */
  private natStray(buf: Uint8Array, flow: Flow, now: number): boolean {
    const proto = flow.proto;
    if (!this.realServices.has4(this.director.table, proto, flow.src4, flow.sport)) return false;
    if (proto === IPPROTO.TCP && (flow.tcpFlags & RST) !== 0) return false;
    // is_sctp_abort(): the first chunk after the 12-byte common header is an ABORT (type 6).
    if (proto === IPPROTO.SCTP && flow.l4Off + 12 < flow.ipEnd && buf[flow.l4Off + 12] === 6) return false;
    this.icmpError(buf, flow, 3, 3, 0, now);
    this.out.drop(DROP.NAT_NO_CONN);
    return true;
  }

  /**
   * ip_vs_addr_is_unicast() for cache_bypass: `dst` is a unicast address that is not local.
   * lvsd's VIPs are not host addresses, so "local" here is what the kernel's director would hold:
   * its interface addresses, the VIPs of address (non-fwmark) services, LIPs and owned VRRP
   * addresses; a destination that is a VIP only because a mark rule names it (the transparent
   * cache's origin server) is not. Multicast, broadcast and 0.0.0.0 are not unicast.
   */
  private nonLocal4(dst: number): boolean {
    const a = dst >>> 0;
    if (a === 0 || a >>> 28 >= 14) return false;
    const ifs = this.out.ifAddr4;
    for (let i = 0; i < ifs.length; i++) if (ifs[i] === a) return false;
    if ((this.local.kind(a) & (LOCAL.LIP | LOCAL.ADDR)) !== 0) return false;
    const table = this.director.table;
    if (this.svcAddrGen !== table.generation) {
      this.svcAddrs = new Set();
      for (const s of table.list()) {
        const b = s.addrBytes;
        if (s.af === 4 && s.fwmark === 0 && b)
          this.svcAddrs.add(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
      }
      this.svcAddrGen = table.generation;
    }
    return !this.svcAddrs.has(a);
  }

  // Addresses of IPv4 address services, for nonLocal4, valid for table generation svcAddrGen.
  private svcAddrs = new Set<number>();
  private svcAddrGen = -1;

  /**
   * The fast path for an IPv4 TCP/UDP packet to a VIP of an established conn (the kernel's
   * lookup → transition → counters → xmit): the director's u32 entry point, then, when the real
   * server's path is cached and no ICMP, TOA or tunnel work applies, a one-pass rewrite and the
   * send. Returns false, having changed nothing, when the packet needs {@link handle}; once the
   * director has taken the packet it is always finished here (by the general transmit if need be).
   * The caller has checked that the frame is IPv4 with complete checksums and not a GSO frame.
   */
  fastRequest(buf: Uint8Array, flow: Flow, now: number): boolean {
    // Addresses cross calls as int32 (`| 0`): a u32 above 2^31 would be boxed as a heap number per call.
    const proto = flow.proto;
    if ((proto !== IPPROTO.TCP && proto !== IPPROTO.UDP) || flow.fragment) return false;
    if (this.local.kind(flow.dst4 | 0) !== LOCAL.VIP) return false;
    const ipLen = flow.ipEnd - flow.l3Off;
    const idx = this.director.inPacket4(
      proto,
      flow.src4 | 0,
      flow.sport,
      flow.dst4 | 0,
      flow.dport,
      flow.tcpFlags & 0xff,
      ipLen,
      now,
    );
    if (idx < 0) return false;
    const sm = this.syncMaster;
    if (sm !== null) sm.onPacket(idx, now);
    const off = this.offload;
    if (off !== null) off.afterPacket(idx);
    const conns = this.director.conns;
    const out = this.out;
    const flags = conns.flagsOf(idx);
    const fwd = flags & CONN_F.FWD_MASK;
    const key = conns.destOf(idx);
    const rip = conns.daddr4(idx);
    if (
      key < 0 ||
      (flags & CONN_F.APP) !== 0 ||
      flow.ttl <= 1 ||
      conns.daf(idx) !== 4 ||
      !out.cached(key, rip, now) ||
      ipLen > (out.xcMtu[key] as number)
    ) {
      this.forward(buf, flow, idx, false, now);
      return true;
    }
    if (fwd === FWD.DROUTE) {
      // ip_vs_dr_xmit changes no IP or L4 field: only the TTL here, and the MACs on send.
      decrementTtl4(frameView(buf), flow);
    } else if (fwd === FWD.MASQ) {
      translate4(buf, flow, flow.src4 | 0, flow.sport, rip, conns.dportOf(idx));
    } else if (fwd === FWD.TUNNEL) {
      this.fastTunnel(buf, flow, idx, key, rip, now);
      return true;
    } else if (fwd === FWD.FULLNAT) {
      const lport = conns.localPort(idx);
      if (lport < 0 || (this.toa && proto === IPPROTO.TCP && this.wantsToa(buf, flow, idx))) {
        this.forward(buf, flow, idx, false, now);
        return true;
      }
      translate4(buf, flow, conns.localAddr4(idx), lport, rip, conns.dportOf(idx));
    } else {
      this.forward(buf, flow, idx, false, now);
      return true;
    }
    out.sendCached(buf, flow.l3Off, ipLen, key);
    // An ACK-only segment of an ESTABLISHED DR or NAT conn just took the path the XDP program can
    // take for it (same TTL, MAC and, for NAT, destination rewrite): offer the conn; installs
    // happen after the batch.
    if (
      off !== null &&
      sm === null &&
      (fwd === FWD.DROUTE || fwd === FWD.MASQ) &&
      proto === IPPROTO.TCP &&
      (flow.tcpFlags & 0x17) === 0x10 &&
      conns.stateOf(idx) === TCP_S.ESTABLISHED
    )
      off.want(idx);
    return true;
  }

  // TUN on a cached path. With enough driver headroom, the outer headers go in front of the
  // received packet and the frame is sent from there; otherwise the inner packet (TTL
  // decremented) is copied behind outer headers in the arena.
  private fastTunnel(buf: Uint8Array, flow: Flow, idx: number, key: number, rip: number, now: number): void {
    const out = this.out;
    const info = this.tunInfoOf(key, idx);
    const over = info & 0xff;
    const ipLen = flow.ipEnd - flow.l3Off;
    if (info < 0 || ipLen > (out.xcMtu[key] as number) - over) {
      this.forward(buf, flow, idx, false, now);
      return;
    }
    const type = info >>> 8;
    const src = (out.xcSrc[key] as number) | 0;
    const l3 = flow.l3Off - over;
    if (l3 - ETH_LEN >= flow.base - this.headroom && l3 >= ETH_LEN) {
      decrementTtl4(frameView(buf), flow);
      if (type === TUN_TYPE.IPIP) {
        const id = out.nextIpId();
        const df = flow.df && this.director.settings.pmtuDisc;
        ipipEncap4(frameView(buf), flow.l3Off, ipLen, flow.tos, flow.ttl, df, id, src, rip);
      } else {
        this.tunEncapOf(buf, flow.l3Off, ipLen, flow, idx, src, rip);
      }
      out.sendCached(buf, l3, ipLen + over, key);
      return;
    }
    const o = out.reserve(ETH_LEN + over + ipLen);
    if (o < 0) {
      this.forward(buf, flow, idx, false, now);
      return;
    }
    decrementTtl4(frameView(buf), flow);
    const inner = o + ETH_LEN + over;
    out.copyToArena(buf, flow.l3Off, inner, ipLen);
    if (type === TUN_TYPE.IPIP) {
      // The common tunnel: no parameters to fill, no flow hash (GUE only), the outer header as words.
      const id = out.nextIpId();
      const df = flow.df && this.director.settings.pmtuDisc;
      const at = ipipEncap4(out.arenaView, inner, ipLen, flow.tos, flow.ttl, df, id, src, rip);
      out.sendCached(out.arena, at, ipLen + over, key);
      return;
    }
    const at = this.tunEncapOf(out.arena, inner, ipLen, flow, idx, src, rip);
    out.sendCached(out.arena, at, ipLen + over, key);
  }

  // GUE and GRE: the tunnel parameters from the conn's Dest, then the general encapsulation.
  private tunEncapOf(
    b: Uint8Array,
    inner: number,
    ipLen: number,
    flow: Flow,
    idx: number,
    src: number,
    rip: number,
  ): number {
    const dest = this.director.destOf(idx) as Dest;
    const t = this.tun;
    t.type = dest.tunType;
    t.flags = dest.tunFlags;
    t.port = dest.tunPort;
    t.src4 = src;
    t.dst4 = rip;
    t.id = this.out.nextIpId();
    const df = flow.df && this.director.settings.pmtuDisc;
    return tunEncap(b, inner, ipLen, 4, flow.tos, flow.ttl, df, flowHash(flow), t);
  }

  // (tunnel type << 8 | IPv4 outer overhead) of dest `key` (conn `idx`'s), or -1 without a Dest.
  private tunInfoOf(key: number, idx: number): number {
    const gen = this.director.table.generation;
    if (gen !== this.tunGen) {
      this.tunGen = gen;
      this.tunInfo.fill(0);
    }
    if (key < this.tunInfo.length) {
      const v = this.tunInfo[key] as number;
      if (v !== 0) return v - 1;
    } else {
      const t = new Int32Array(Math.max(16, key * 2));
      t.set(this.tunInfo);
      this.tunInfo = t;
    }
    const dest = this.director.destOf(idx);
    if (!dest) return -1;
    const v = (dest.tunType << 8) | tunOverhead(dest.tunType, dest.tunFlags);
    this.tunInfo[key] = v + 1;
    return v;
  }

  private fillPkt(buf: Uint8Array, flow: Flow): void {
    const p = this.pkt;
    const s = p.srcAddr;
    const d = p.dstAddr;
    for (let i = 0; i < 4; i++) {
      s[i] = buf[flow.srcOff + i]!;
      d[i] = buf[flow.dstOff + i]!;
    }
    p.af = 4;
    p.protocol = flow.proto;
    p.srcPort = flow.sport;
    p.dstPort = flow.dport;
    p.tcpFlags = flow.tcpFlags & 0xff;
    p.sctpChunk = flow.proto === IPPROTO.SCTP && flow.l4Off + 13 <= flow.ipEnd ? buf[flow.l4Off + 12]! : -1;
    p.sctpNextChunk = -1;
    p.length = flow.ipEnd - flow.l3Off;
    p.fragment = false;
    // skb->mark as PREROUTING's MARK rules would have left it, for ip_vs_service_find()'s fwmark step.
    p.fwmark = this.marks.classify4(flow, this.rxIf);
  }

  // ip_vs_in: schedule or find the conn, then transmit by its method.
  private request(buf: Uint8Array, flow: Flow, gso: boolean, now: number): void {
    const idx = this.director.inPacket(this.pkt, now);
    if (idx < 0) {
      if (idx === VERDICT.NO_DEST) {
        // ip_vs_leave: cache_bypass sends a fwmark service's packet on to its original
        // destination when that is not one of the director's addresses...
        if (this.director.settings.cacheBypass && this.nonLocal4(flow.dst4)) {
          const b = this.director.bypass(this.pkt, now);
          if (b >= 0) {
            this.forward(buf, flow, b, gso, now);
            if (this.director.conns.kind(b) === KIND.OPS) this.director.flushOps();
            return;
          }
        }
        // ...else ICMP port unreachable from the VIP.
        this.icmpError(buf, flow, 3, 3, 0, now);
        this.out.drop(DROP.NO_DEST);
        return;
      }
      if (idx === VERDICT.ACCEPT) {
        this.out.drop(DROP.NO_SERVICE);
        return;
      }
      this.out.drop(verdictDrop(idx));
      return;
    }
    const sm = this.syncMaster;
    if (sm !== null) sm.onPacket(idx, now);
    const off = this.offload;
    if (off !== null) off.afterPacket(idx);
    this.forward(buf, flow, idx, gso, now);
    // A one-packet conn (-o, UDP) is freed once its datagram is sent, as ip_vs_conn_put() does.
    if (this.director.conns.kind(idx) === KIND.OPS) this.director.flushOps();
  }

  // Transmits a request of conn idx by its method.
  // A fragment without the L4 header: the conn its first fragment found, the same rewrite minus ports.
  private laterFragment(buf: Uint8Array, flow: Flow, gso: boolean, now: number): void {
    const f = this.frags;
    const s = f.find(flow.src4, flow.dst4, flow.ipId, flow.proto, now);
    const conns = this.director.conns;
    if (s < 0 || conns.kind(f.conn[s]!) !== KIND.LIVE) {
      this.out.drop(DROP.FRAGMENT);
      return;
    }
    const idx = f.conn[s]!;
    const dir = f.dir[s]!;
    // The kernel counts the reassembled datagram once: its payload bytes join the first
    // fragment's count, with no extra packet. l4Off is where a later fragment's payload starts.
    const bytes = flow.ipEnd - flow.l4Off;
    this.director.countBytes(idx, dir === FRAG_DIR.REQUEST ? DIR.INPUT : DIR.OUTPUT, bytes, 0, now);
    if (dir === FRAG_DIR.REQUEST)
      this.xmitIn(buf, flow, idx, conns.flagsOf(idx) & CONN_F.FWD_MASK, false, gso, now);
    else this.reply(buf, flow, idx, dir === FRAG_DIR.REPLY_LIP, gso, now);
  }

  private forward(buf: Uint8Array, flow: Flow, idx: number, gso: boolean, now: number): void {
    const conns = this.director.conns;
    if (conns.daf(idx) !== 4) {
      this.out.drop(DROP.UNSUPPORTED);
      return;
    }
    // The fast path sends every conn without a dest here, so this costs the fast path nothing.
    if (conns.destOf(idx) < 0 && !bindSynced(this.director, idx)) {
      this.out.drop(DROP.SYNC_UNBOUND);
      return;
    }
    if (flow.fragment)
      this.frags.put(flow.src4, flow.dst4, flow.ipId, flow.proto, idx, FRAG_DIR.REQUEST, now);
    this.xmitIn(buf, flow, idx, conns.flagsOf(idx) & CONN_F.FWD_MASK, false, gso, now);
  }

  /**
   * Transmits a client-side packet (a request, or an ICMP error about a reply) to the conn's real
   * server by method `fwd`; `icmp` selects the ICMP-error rewrites.
   */
  private xmitIn(
    buf: Uint8Array,
    flow: Flow,
    idx: number,
    fwd: number,
    icmp: boolean,
    gso: boolean,
    now: number,
  ): void {
    const out = this.out;
    const conns = this.director.conns;
    // A cache_bypass conn has no real server: ip_vs_bypass_xmit() routes to the packet's own destination.
    const rip = fwd === FWD.BYPASS ? flow.dst4 >>> 0 : conns.daddrOf(idx);
    if (
      fwd !== FWD.MASQ &&
      fwd !== FWD.DROUTE &&
      fwd !== FWD.TUNNEL &&
      fwd !== FWD.FULLNAT &&
      fwd !== FWD.BYPASS
    ) {
      out.drop(DROP.UNSUPPORTED);
      return;
    }
    // The transmit cache is keyed by the conn's dest id (the kernel caches the route per dest).
    const key = conns.destOf(idx);
    let slot: number;
    let nh = 0;
    let mtu: number;
    let src: number;
    let hit = false;
    if (key >= 0 && out.cached(key, rip, now)) {
      hit = true;
      slot = out.xcSlot[key]!;
      mtu = out.xcMtu[key]!;
      src = out.xcSrc[key]!;
    } else {
      slot = out.routeTo(rip);
      if (out.route.local) {
        this.toLocal(buf, flow, idx, fwd, icmp, rip, now);
        return;
      }
      if (slot < 0) {
        out.drop(DROP.NO_ROUTE);
        return;
      }
      nh = out.route.gateway4 || rip;
      mtu = out.routeMtu(slot);
      src = out.routeSrc(slot);
    }
    let over = 0;
    if (fwd === FWD.TUNNEL) {
      const dest = this.director.destOf(idx);
      if (!dest) {
        out.drop(DROP.DEST_GONE);
        return;
      }
      const t = this.tun;
      t.type = dest.tunType;
      t.flags = dest.tunFlags;
      t.port = dest.tunPort;
      t.src4 = src | 0;
      t.dst4 = rip | 0;
      over = tunOverhead(t.type, t.flags);
    }
    // ensure_mtu_is_adequate(): a tunnelled packet whose outer DF will be clear (pmtu_disc = 0, or
    // no DF on the inner packet) is not checked; the output path fragments the outer packet.
    this.fragOuter = over > 0 && !gso && !(flow.df && this.director.settings.pmtuDisc);
    if (!this.fragOuter && !this.mtuOk(buf, flow, mtu - over, gso && !icmp, now)) return;
    if (!decrementTtl(buf, flow)) {
      if (!icmp) this.icmpError(buf, flow, 11, 0, 0, now);
      out.drop(DROP.TTL_EXCEEDED);
      return;
    }
    const rport = conns.dportOf(idx);
    let b = buf;
    if (fwd === FWD.MASQ) {
      if (icmp) natIcmpIn4(b, flow, rip, rport);
      else {
        if (conns.flagsOf(idx) & CONN_F.APP && !flow.fragment) this.ftp.clientSegment(b, flow, idx, now);
        natIn4(b, flow, rip, rport);
      }
    } else if (fwd === FWD.FULLNAT) {
      let lport = conns.readLocal(idx, this.w1);
      if (lport < 0) {
        if (icmp) {
          out.drop(DROP.ICMP_NO_CONN);
          return;
        }
        lport = this.allocLocal(idx, rip, rport);
        if (lport < 0) return;
      }
      const lip = this.w1[0] as number;
      if (icmp) fnatIcmpIn4(b, flow, lip, lport, rip, rport);
      else {
        if (conns.flagsOf(idx) & CONN_F.APP && !flow.fragment) this.ftp.clientSegment(b, flow, idx, now);
        // No TOA in a fragment: growing the first would move every later fragment's offset.
        const toa = this.toa && flow.proto === IPPROTO.TCP && !flow.fragment && this.wantsToa(b, flow, idx);
        fnatIn4(b, flow, lip, lport, rip, rport);
        if (toa && toaFits(b, flow, mtu)) {
          const o = out.reserve(flow.ipEnd - flow.base + 16);
          if (o >= 0) {
            moveFrame(b, flow, out.arena, o);
            b = out.arena;
            insertToa4(b, flow, conns.caddr[idx] as number, conns.cport[idx] as number);
          }
        }
      }
    }
    this.emit(b, flow, slot, nh, mtu, over, now, hit ? key : key >= 0 ? -1 - key : -1, rip);
    this.fragOuter = false;
  }

  /**
   * A real server at one of the director's own addresses: the kernel hands the packet to its own
   * stack whatever the method (ip_vs_xmit.c: __ip_vs_get_out_rt() finds a local route, and
   * ip_vs_nat_xmit(), ip_vs_dr_xmit() and ip_vs_tunnel_xmit() end in ip_vs_send_or_cont() with
   * `local` set): DR and TUN unchanged (no TTL decrement, no encapsulation, no MTU check), NAT
   * after its destination rewrite, and never NAT to a loopback address from the network. The
   * transmit cache is never filled for such a dest, so every packet comes here. FULLNAT has no
   * kernel counterpart and its source rewrite would send the host's replies to a LIP only lvsd
   * holds: refused as unsupported.
   */
  private toLocal(
    buf: Uint8Array,
    flow: Flow,
    idx: number,
    fwd: number,
    icmp: boolean,
    rip: number,
    now: number,
  ): void {
    const out = this.out;
    const conns = this.director.conns;
    if (fwd === FWD.BYPASS) {
      out.drop(DROP.BYPASS_LOCAL);
      return;
    }
    if (fwd === FWD.FULLNAT) {
      out.drop(DROP.UNSUPPORTED);
      return;
    }
    if (fwd === FWD.MASQ) {
      if (rip >>> 24 === 127) {
        out.drop(DROP.LOOPBACK_DNAT);
        return;
      }
      const rport = conns.dportOf(idx);
      if (icmp) natIcmpIn4(buf, flow, rip, rport);
      else {
        if (conns.flagsOf(idx) & CONN_F.APP && !flow.fragment) this.ftp.clientSegment(buf, flow, idx, now);
        natIn4(buf, flow, rip, rport);
      }
    }
    out.deliverLocal(buf, flow.l3Off, flow.ipEnd - flow.l3Off, ETHERTYPE.IPV4);
  }

  // Set by xmitIn for the packet being sent: a tunnel whose outer DF is clear, fragmented when too big.
  private fragOuter = false;

  // The tunnelled packet whole (outer DF clear), then cut into fragments of the route's MTU.
  private emitFragments(
    buf: Uint8Array,
    flow: Flow,
    slot: number,
    nh: number,
    mtu: number,
    over: number,
    now: number,
    cache: number,
    cacheDst: number,
  ): void {
    const out = this.out;
    const ipLen = flow.ipEnd - flow.l3Off;
    const total = ipLen + over;
    const count = fragCount4(total, mtu);
    if (count < 0) {
      out.drop(DROP.NEEDS_FRAGMENTATION);
      return;
    }
    const inner = out.placeSegment(buf, flow, ipLen, over, 0, 1);
    if (inner < 0) return;
    this.tun.id = out.nextIpId();
    const l3 = tunEncap(out.arena, inner, ipLen, 4, flow.tos, flow.ttl, false, flowHash(flow), this.tun);
    for (let k = 0; k < count; k++) {
      const o = out.reserve(ETH_LEN + mtu);
      if (o < 0) {
        out.drop(DROP.TX_FULL);
        return;
      }
      const len = writeFragment4(out.arena, l3, total, mtu, k, out.arena, o + ETH_LEN);
      if (cache >= 0) out.sendCached(out.arena, o + ETH_LEN, len, cache);
      else out.sendL3(out.arena, o + ETH_LEN, len, ETHERTYPE.IPV4, slot, nh, now, -1 - cache, cacheDst);
    }
  }

  // DPVS tcp_fnat_in_handler: TOA goes into the SYN and into segments acknowledging the server's SYN-ACK.
  private wantsToa(buf: Uint8Array, flow: Flow, idx: number): boolean {
    const f = flow.tcpFlags;
    if ((f & (SYN | ACK)) === SYN) return true;
    if (f & (SYN | RST | FIN)) return false;
    if (((this.fnat.state[idx] as number) & FNAT_S.FDATA) === 0) return false;
    const o = flow.l4Off + 8;
    const ack = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
    return ack === this.fnat.fdataSeq[idx];
  }

  // Gives a new FULLNAT conn its LIP:lport; returns lport (LIP in w1[0]) or -1 after counting the drop.
  private allocLocal(idx: number, rip: number, rport: number): number {
    const w = this.w2;
    w[0] = rip >>> 0;
    w[1] = 0;
    w[2] = 0;
    w[3] = 0;
    const l = this.local;
    const r = this.fnat.assign(
      this.director.conns,
      idx,
      l.lips,
      1,
      l.lipIds,
      l.lipBase,
      l.lipCount,
      w,
      rport,
    );
    if (r < 0) {
      this.out.drop(r === FNAT_FAIL.NO_ADDRESS ? DROP.NO_LOCAL_ADDRESS : DROP.NO_LOCAL_PORT);
      return -1;
    }
    this.w1.set(this.fnat.lipWords);
    return r;
  }

  // ip_vs_out for MASQ (to the client) and FULLNAT (to a LIP) replies.
  private reply(buf: Uint8Array, flow: Flow, idx: number, toLip: boolean, gso: boolean, now: number): void {
    if (flow.fragment && flow.hasL4) {
      const dir = toLip ? FRAG_DIR.REPLY_LIP : FRAG_DIR.REPLY;
      this.frags.put(flow.src4, flow.dst4, flow.ipId, flow.proto, idx, dir, now);
    }
    const conns = this.director.conns;
    const fwd = conns.flagsOf(idx) & CONN_F.FWD_MASK;
    if (fwd !== (toLip ? FWD.FULLNAT : FWD.MASQ)) {
      this.out.drop(DROP.NOT_OURS);
      return;
    }
    if (!this.prepareToClient(buf, flow, idx, gso, false, now)) return;
    const vip = conns.vaddr[idx] as number;
    const vport = conns.vport[idx] as number;
    if (toLip && conns.flagsOf(idx) & CONN_F.APP && !flow.fragment) {
      const b = this.ftp.serverSegment(buf, flow, idx, now);
      fnatOut4(b, flow, vip, vport, conns.caddr[idx] as number, conns.cport[idx] as number);
      this.emit(b, flow, this.cSlot, this.cNh, this.cMtu, 0, now);
      return;
    }
    if (toLip) {
      if (flow.proto === IPPROTO.TCP && (flow.tcpFlags & (SYN | ACK)) === (SYN | ACK)) {
        const o = flow.l4Off + 4;
        const f = this.fnat;
        f.fdataSeq[idx] =
          (((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) + 1) >>> 0;
        f.state[idx] = (f.state[idx] as number) | FNAT_S.FDATA;
        if (this.toa) adjustSynAckMss(buf, flow);
      }
      fnatOut4(buf, flow, vip, vport, conns.caddr[idx] as number, conns.cport[idx] as number);
    } else {
      let b = buf;
      if (conns.flagsOf(idx) & CONN_F.APP && !flow.fragment) b = this.ftp.serverSegment(buf, flow, idx, now);
      natOut4(b, flow, vip, vport);
      this.emit(b, flow, this.cSlot, this.cNh, this.cMtu, 0, now);
      return;
    }
    this.emit(buf, flow, this.cSlot, this.cNh, this.cMtu, 0, now);
  }

  private cSlot = 0;
  private cNh = 0;
  private cMtu = 0;

  // Route, MTU and TTL for a packet going back to conn idx's client; false after counting a drop.
  private prepareToClient(
    buf: Uint8Array,
    flow: Flow,
    idx: number,
    gso: boolean,
    icmp: boolean,
    now: number,
  ): boolean {
    const out = this.out;
    const cip = this.director.conns.caddr[idx] as number;
    const slot = out.routeTo(cip);
    if (slot < 0) {
      out.drop(DROP.NO_ROUTE);
      return false;
    }
    this.cSlot = slot;
    this.cNh = out.route.gateway4 || cip;
    this.cMtu = out.routeMtu(slot);
    if (!this.mtuOk(buf, flow, this.cMtu, gso && !icmp, now)) return false;
    if (!decrementTtl(buf, flow)) {
      if (!icmp) this.icmpError(buf, flow, 11, 0, 0, now);
      out.drop(DROP.TTL_EXCEEDED);
      return false;
    }
    return true;
  }

  // ensure_mtu_is_adequate: too big with DF (and not GSO) → frag-needed with the usable MTU.
  private mtuOk(buf: Uint8Array, flow: Flow, mtu: number, gso: boolean, now: number): boolean {
    const len = flow.ipEnd - flow.l3Off;
    if (len <= mtu) return true;
    if (gso && flow.proto === IPPROTO.TCP) return true;
    if (flow.df && flow.proto !== IPPROTO.ICMP) {
      this.icmpError(buf, flow, 3, 4, mtu & 0xffff, now);
      this.out.drop(DROP.TOO_BIG);
    } else {
      this.out.drop(DROP.NEEDS_FRAGMENTATION);
    }
    return false;
  }

  /**
   * Sends the (rewritten) packet: in place when it fits, through the arena when it needs outer
   * tunnel headers or software segmentation (GSO super-frames). `cache` ≥ 0 sends by that valid
   * transmit-cache entry; -1 - k (k ≥ 0) sends by route and neighbour and fills entry k for
   * `cacheDst`; -1 uses no cache.
   */
  private emit(
    buf: Uint8Array,
    flow: Flow,
    slot: number,
    nh: number,
    mtu: number,
    over: number,
    now: number,
    cache = -1,
    cacheDst = 0,
  ): void {
    const out = this.out;
    const ipLen = flow.ipEnd - flow.l3Off;
    const room = mtu - over;
    if (this.fragOuter && ipLen > room) {
      this.emitFragments(buf, flow, slot, nh, mtu, over, now, cache, cacheDst);
      return;
    }
    if (ipLen <= room && over === 0) {
      if (cache >= 0) out.sendCached(buf, flow.l3Off, ipLen, cache);
      else out.sendL3(buf, flow.l3Off, ipLen, ETHERTYPE.IPV4, slot, nh, now, -1 - cache, cacheDst);
      return;
    }
    const count = out.segmentCount(flow, room);
    if (count < 0) return;
    const hash = flowHash(flow);
    for (let k = 0; k < count; k++) {
      const inner = out.placeSegment(buf, flow, room, over, k, count);
      if (inner < 0) return;
      const len = out.segLen;
      let l3 = inner;
      if (over > 0) {
        this.tun.id = out.nextIpId();
        const df = flow.df && this.director.settings.pmtuDisc;
        l3 = tunEncap(out.arena, inner, len, 4, flow.tos, flow.ttl, df, hash, this.tun);
      }
      if (cache >= 0) out.sendCached(out.arena, l3, len + over, cache);
      else out.sendL3(out.arena, l3, len + over, ETHERTYPE.IPV4, slot, nh, now, -1 - cache, cacheDst);
    }
  }

  /** Sends an ICMP error about the packet in `flow` back to its source (icmp_send). */
  icmpError(buf: Uint8Array, flow: Flow, type: number, code: number, rest: number, now: number): void {
    const out = this.out;
    const dst = flow.src4;
    const slot = out.routeTo(dst);
    if (slot < 0) return;
    // icmp_send answers from the offending packet's destination when that is a local address.
    const src = this.local.kind(flow.dst4) !== 0 ? flow.dst4 : out.routeSrc(slot);
    const nh = out.route.gateway4 || dst;
    const o = out.reserve(ETH_LEN + 576);
    if (o < 0) return;
    const len = writeIcmpError4(
      out.arena,
      o + ETH_LEN,
      buf,
      flow.l3Off,
      flow.ipEnd - flow.l3Off,
      type,
      code,
      rest,
      src,
      dst,
      out.nextIpId(),
    );
    this.icmpSent++;
    out.sendL3(out.arena, o + ETH_LEN, len, ETHERTYPE.IPV4, slot, nh, now);
  }

  /**
   * schedule_icmp (ip_vs_in_icmp() → ip_vs_try_to_schedule()): an ICMP error to a VIP about a
   * packet VIP:vport → client with no conn schedules one for client → VIP:vport, as a first packet
   * would (Director.scheduleIcmp), so the error reaches a real server; e.g. a router's
   * frag-needed for a conn another director of an ECMP group started. Returns the conn or < 0.
   */
  private scheduleIcmp(buf: Uint8Array, flow: Flow, now: number): number {
    const p = this.pkt;
    const s = p.srcAddr;
    const d = p.dstAddr;
    const qs = flow.innerL3Off + 12;
    for (let i = 0; i < 4; i++) {
      s[i] = buf[qs + 4 + i]!;
      d[i] = buf[qs + i]!;
    }
    p.af = 4;
    p.protocol = flow.innerProto;
    p.srcPort = flow.innerDport;
    p.dstPort = flow.innerSport;
    p.tcpFlags = 0;
    p.sctpChunk = -1;
    p.sctpNextChunk = -1;
    p.length = flow.ipEnd - flow.l3Off;
    p.fragment = false;
    // skb->mark of the ICMP packet itself, as PREROUTING's rules left it.
    p.fwmark = this.marks.classify4(flow, this.rxIf);
    return this.director.scheduleIcmp(p, now);
  }

  // ip_vs_in_icmp / ip_vs_out_icmp, and echo replies for our addresses.
  private icmp(buf: Uint8Array, flow: Flow, kind: number, gso: boolean, now: number): void {
    const out = this.out;
    if (flow.icmpType === 8 && kind !== 0) {
      echoReplyInPlace(buf, flow);
      const slot = out.routeTo(flow.dst4);
      if (slot < 0) {
        out.drop(DROP.NO_ROUTE);
        return;
      }
      this.echoReplies++;
      out.sendL3(
        buf,
        flow.l3Off,
        flow.ipEnd - flow.l3Off,
        ETHERTYPE.IPV4,
        slot,
        out.route.gateway4 || flow.dst4,
        now,
      );
      return;
    }
    if (!flow.inner) {
      out.drop(kind !== 0 ? DROP.ICMP_IGNORED : DROP.NOT_OURS);
      return;
    }
    const p = flow.innerProto;
    if (p !== IPPROTO.TCP && p !== IPPROTO.UDP && p !== IPPROTO.SCTP) {
      out.drop(kind !== 0 ? DROP.ICMP_IGNORED : DROP.NOT_OURS);
      return;
    }
    const conns = this.director.conns;
    const a = this.w1;
    const b = this.w2;
    if (kind & LOCAL.VIP) {
      // About our reply VIP:vport → client: find the conn by the quoted tuple reversed.
      a[0] = flow.innerDst4;
      b[0] = flow.innerSrc4;
      let idx = conns.findIn(4, p, a, flow.innerDport, b, flow.innerSport);
      if (idx < 0 && this.director.settings.scheduleIcmp) idx = this.scheduleIcmp(buf, flow, now);
      if (idx < 0 || conns.daf(idx) !== 4) {
        out.drop(DROP.ICMP_NO_CONN);
        return;
      }
      this.xmitIn(buf, flow, idx, conns.flagsOf(idx) & CONN_F.FWD_MASK, true, false, now);
      if (conns.kind(idx) === KIND.OPS) this.director.flushOps();
      return;
    }
    let idx: number;
    if (kind & LOCAL.LIP) {
      // About a request we sent LIP:lport → RIP:rport.
      a[0] = flow.innerDst4;
      b[0] = flow.innerSrc4;
      idx = conns.findOutLocal(p, a, flow.innerDport, b, flow.innerSport);
      if (idx < 0 || (conns.flagsOf(idx) & CONN_F.FWD_MASK) !== FWD.FULLNAT) {
        out.drop(DROP.ICMP_NO_CONN);
        return;
      }
    } else {
      // About a request we forwarded client → RIP:rport (NAT), on its way to the client.
      a[0] = flow.innerDst4;
      b[0] = flow.innerSrc4;
      idx = conns.findOut(4, p, a, flow.innerDport, b, flow.innerSport);
      if (idx < 0 || (conns.flagsOf(idx) & CONN_F.FWD_MASK) !== FWD.MASQ) {
        out.drop(DROP.NOT_OURS);
        return;
      }
    }
    if (!this.prepareToClient(buf, flow, idx, gso, true, now)) return;
    const vip = conns.vaddr[idx] as number;
    const vport = conns.vport[idx] as number;
    if (kind & LOCAL.LIP)
      fnatIcmpOut4(buf, flow, vip, vport, conns.caddr[idx] as number, conns.cport[idx] as number);
    else natIcmpOut4(buf, flow, vip, vport);
    this.emit(buf, flow, this.cSlot, this.cNh, this.cMtu, 0, now);
  }
}

// A flow hash for the GUE source port (udp_flow_src_port hashes the inner flow).
function flowHash(flow: Flow): number {
  let h = Math.imul(flow.src4 ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.imul(flow.dst4, 0xc2b2ae35);
  h ^= Math.imul((flow.sport << 16) | flow.dport, 0x27d4eb2f);
  h ^= h >>> 15;
  // int32, not u32: a value above 2^31 would be boxed when passed on (tunEncap takes it >>> 0).
  return h;
}

/**
 * Whether conn `idx`, which has no dest, may be forwarded: a conn a sync backup created before
 * its real server existed here is bound now if the dest has appeared (ip_vs_try_bind_dest());
 * while it cannot be, its packets are dropped rather than sent to an address this director does
 * not serve. Any other dest-less conn goes on as before.
 */
export function bindSynced(director: Director, idx: number): boolean {
  if ((director.conns.flagsOf(idx) & CONN_F.SYNC) === 0) return true;
  return tryBindDest(director, idx) !== undefined;
}
