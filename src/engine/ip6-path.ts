/**
 * The IPVS part of the engine for IPv6 packets (ip_vs_in / ip_vs_out / ip_vs_in_icmp_v6 /
 * ip_vs_out_icmp_v6 over a parsed Flow), through the director's general entry points: NAT (DNAT
 * of requests, SNAT of replies, ICMPv6 errors both ways), DR (hop limit and MAC only) and TUN as
 * IPv6-in-IPv6, GUE or GRE (ip_vs_tunnel_xmit_v6; forward/tun6.ts). The
 * kernel's transmit checks come first, as in __ip_vs_get_out_rt_v6: route, then MTU (ICMPv6
 * packet too big, never fragmentation: IPv6 routers do not fragment, RFC 8200 §5), then hop
 * limit (time exceeded), so an error quotes the packet as the client sent it. Fragments are
 * forwarded one by one: the first finds the conn, the later ones follow it (frag-table6.ts).
 *
 * FULLNAT translates both ends through the service's IPv6 local addresses, ICMPv6 errors
 * included, and gives the real server the client's address in the 20-byte IPv6 TOA. An IPv4 real server
 * under an IPv6 VIP is served by TUN only (IPv6 in IPv4, GUE or GRE); by the other methods it
 * is counted as UNSUPPORTED, as the kernel refuses such a real server for them.
 */
import { CONN_F, KIND } from '../core/conn-table.js';
import { type Director, PacketInfo, VERDICT } from '../core/director.js';
import { bytesToWords } from '../core/persistence.js';
import { DIR } from '../core/proto/tcp.js';
import { FWD } from '../core/types.js';
import { ETH_LEN, moveFrame } from '../forward/frame.js';
import { FNAT_FAIL, FullnatPorts } from '../forward/fullnat-ports.js';
import {
  adjustSynAckMss6,
  fnatIcmpIn6,
  fnatIcmpOut6,
  fnatIn6,
  fnatOut6,
  insertToa6,
  toaFits6,
} from '../forward/fullnat6.js';
import { echoReplyInPlace, writeIcmpError6 } from '../forward/icmp-reply.js';
import { natIcmpIn6, natIcmpOut6, natIn6, natOut6 } from '../forward/nat.js';
import { TunParams, tunEncap, tunOverhead } from '../forward/tun.js';
import { tunEncap6, tunOverhead6 } from '../forward/tun6.js';
import { IPPROTO } from '../packet/checksum.js';
import { ETHERTYPE } from '../packet/ethernet.js';
import type { Flow } from '../packet/flow.js';
import { decrementTtl } from '../packet/rewrite.js';
import type { SyncMaster } from '../sync/sync-master.js';
import { DROP, verdictDrop } from './drops.js';
import { FRAG_DIR } from './frag-table.js';
import { FragTable6 } from './frag-table6.js';
import { bindSynced } from './ip-path.js';
import { LOCAL } from './local-addrs.js';
import type { LocalAddrs6 } from './local-addrs6.js';
import { MarkTable } from './mark-table.js';
import type { Output6 } from './ndp.js';
import type { Output } from './output.js';
import { RealServices } from './real-services.js';

/** The minimum link MTU every IPv6 path has (RFC 8200 §5): packet-too-big never advertises less. */
const IPV6_MIN_MTU = 1280;
const ICMPV6_DEST_UNREACH = 1;
const ICMPV6_PKT_TOOBIG = 2;
const ICMPV6_TIME_EXCEED = 3;
const ICMPV6_PORT_UNREACH = 4;
const ICMPV6_ECHO_REQUEST = 128;

/** IPv6 forwarding through the director core. */
export class Ip6Path {
  /** ICMPv6 errors and echo replies the engine originated. */
  icmpSent = 0;
  echoReplies = 0;
  private readonly pkt = new PacketInfo();
  private readonly w1 = new Uint32Array(4);
  private readonly w2 = new Uint32Array(4);
  // Addresses read from the conn table: the real server, the client, the VIP, a source.
  private readonly rip = new Uint8Array(16);
  private readonly cip = new Uint8Array(16);
  private readonly vip = new Uint8Array(16);
  private readonly src = new Uint8Array(16);
  private readonly nh = new Uint8Array(16);
  private readonly lip = new Uint8Array(16);
  /** FULLNAT local address and port allocation for IPv6 conns. */
  readonly fnat: FullnatPorts;
  // Insert TOA into FULLNAT TCP requests (IpPathOptions.toa).
  private readonly toa: boolean;
  // The IPv4 tunnel of a mixed-family TUN packet (xmitTun4).
  private readonly tun4 = new TunParams();
  // The tunnel of the packet being sent (set by xmitIn for TUN real servers).
  private tunType = 0;
  private tunFlags = 0;
  private tunPort = 0;
  /** The sync master told of every inbound packet of a conn while a master sync daemon runs (IpPath.syncMaster). */
  syncMaster: SyncMaster | null = null;
  /** NAT real services by address and port, for nat_icmp_send. */
  private readonly realServices = new RealServices();
  /** The mark rules (Engine.setMarks swaps them whole); a packet's mark is set before the service lookup. */
  marks = new MarkTable([]);
  /** The ifindex the current frame arrived on (set by the engine per frame), for `iif` rules. */
  rxIf = 0;
  /** Later fragments find their datagram's conn here. */
  readonly frags = new FragTable6();

  constructor(
    private readonly director: Director,
    private readonly out: Output,
    private readonly out6: Output6,
    private readonly local: LocalAddrs6,
    o: { toa?: boolean; lportMin?: number; lportMax?: number } = {},
  ) {
    this.toa = o.toa ?? true;
    this.fnat = new FullnatPorts(o.lportMin, o.lportMax);
    this.pkt.af = 6;
    this.pkt.srcAddr = new Uint8Array(16);
    this.pkt.dstAddr = new Uint8Array(16);
  }

  /** Handles a parsed IPv6 packet (not NDP) whose checksums are complete; `gso` marks a TCP super-frame. */
  handle(buf: Uint8Array, flow: Flow, gso: boolean, now: number): void {
    if (flow.fragment) {
      // A first fragment goes on like any packet and is remembered (request, reply); a later one
      // takes its datagram's conn (frag-table6.ts). ICMPv6 fragments are dropped, as for IPv4.
      if (flow.proto === IPPROTO.ICMPV6) {
        this.out.drop(DROP.FRAGMENT);
        return;
      }
      if (!flow.hasL4) {
        this.laterFragment(buf, flow, gso, now);
        return;
      }
    }
    const kind = this.local.kind(buf, flow.dstOff);
    if (flow.proto === IPPROTO.ICMPV6) {
      this.icmp(buf, flow, kind, gso, now);
      return;
    }
    if (flow.proto !== IPPROTO.TCP && flow.proto !== IPPROTO.UDP && flow.proto !== IPPROTO.SCTP) {
      this.out.drop(kind !== 0 ? DROP.UNSUPPORTED : DROP.NOT_OURS);
      return;
    }
    this.fillPkt(buf, flow);
    // ip_vs_out first, as the kernel at LOCAL_IN: a reply from a NAT real server on its way to
    // the client, or from a FULLNAT one to a LIP.
    if ((kind & LOCAL.VIP) === 0 || (kind & LOCAL.LIP) !== 0) {
      const idx = this.director.outPacket(this.pkt, now);
      if (idx >= 0) {
        this.reply(buf, flow, idx, (kind & LOCAL.LIP) !== 0, gso, now);
        return;
      }
    }
    // ip_vs_out() with nat_icmp_send: a NAT real server's packet with no conn gets ICMPv6 port
    // unreachable (not for a TCP RST or an SCTP ABORT), as IpPath.natStray for IPv4.
    if (this.director.settings.natIcmpSend && this.natStray(buf, flow, now)) return;
    if ((kind & LOCAL.VIP) === 0) {
      this.out.drop(DROP.NOT_OURS);
      return;
    }
    const idx = this.director.inPacket(this.pkt, now);
    if (idx < 0) {
      if (idx === VERDICT.NO_DEST) {
        // ip_vs_leave: cache_bypass sends a fwmark service's packet on to its destination when that
        // is unicast (ip_vs_addr_is_unicast(): for IPv6 any unicast address, local ones too)...
        const d0 = flow.dst6[0]!;
        if (this.director.settings.cacheBypass && d0 !== 0xff && !isUnspecified6(flow.dst6)) {
          const b = this.director.bypass(this.pkt, now);
          if (b >= 0) {
            this.xmitIn(buf, flow, b, false, gso, now);
            if (this.director.conns.kind(b) === KIND.OPS) this.director.flushOps();
            return;
          }
        }
        // ...else ICMPv6 port unreachable from the VIP.
        this.icmpError(buf, flow, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0, now);
        this.out.drop(DROP.NO_DEST);
      } else if (idx === VERDICT.ACCEPT) this.out.drop(DROP.NO_SERVICE);
      else this.out.drop(verdictDrop(idx));
      return;
    }
    const sm = this.syncMaster;
    if (sm !== null) sm.onPacket(idx, now);
    if (this.director.conns.destOf(idx) < 0 && !bindSynced(this.director, idx)) {
      this.out.drop(DROP.SYNC_UNBOUND);
      return;
    }
    if (flow.fragment) this.frags.put(buf, flow.srcOff, flow.dstOff, flow.ipId, idx, FRAG_DIR.REQUEST, now);
    this.xmitIn(buf, flow, idx, false, gso, now);
    // A one-packet conn (-o, UDP) is freed once its datagram is sent, as ip_vs_conn_put() does.
    if (this.director.conns.kind(idx) === KIND.OPS) this.director.flushOps();
  }

  // A fragment without the L4 header: the conn its first fragment found, the same rewrite minus ports.
  private laterFragment(buf: Uint8Array, flow: Flow, gso: boolean, now: number): void {
    const f = this.frags;
    const s = f.find(buf, flow.srcOff, flow.dstOff, flow.ipId, now);
    const conns = this.director.conns;
    if (s < 0 || conns.kind(f.conn[s]!) !== KIND.LIVE) {
      this.out.drop(DROP.FRAGMENT);
      return;
    }
    const idx = f.conn[s]!;
    const dir = f.dir[s]!;
    // The kernel counts the reassembled datagram once: a later fragment's payload bytes join the
    // first fragment's count, with no extra packet (l4Off is where its payload starts).
    const bytes = flow.ipEnd - flow.l4Off;
    this.director.countBytes(idx, dir === FRAG_DIR.REQUEST ? DIR.INPUT : DIR.OUTPUT, bytes, 0, now);
    if (dir === FRAG_DIR.REQUEST) this.xmitIn(buf, flow, idx, false, gso, now);
    else this.reply(buf, flow, idx, dir === FRAG_DIR.REPLY_LIP, gso, now);
  }

  // See the comment at the call: true when the packet was answered and dropped.
  private natStray(buf: Uint8Array, flow: Flow, now: number): boolean {
    const proto = flow.proto;
    if (!this.realServices.has6(this.director.table, proto, buf, flow.srcOff, flow.sport)) return false;
    if (proto === IPPROTO.TCP && (flow.tcpFlags & 0x04) !== 0) return false;
    if (proto === IPPROTO.SCTP && flow.l4Off + 12 < flow.ipEnd && buf[flow.l4Off + 12] === 6) return false;
    this.icmpError(buf, flow, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0, now);
    this.out.drop(DROP.NAT_NO_CONN);
    return true;
  }

  private fillPkt(buf: Uint8Array, flow: Flow): void {
    const p = this.pkt;
    p.srcAddr.set(flow.src6);
    p.dstAddr.set(flow.dst6);
    p.protocol = flow.proto;
    p.srcPort = flow.sport;
    p.dstPort = flow.dport;
    p.tcpFlags = flow.tcpFlags & 0xff;
    p.sctpChunk = flow.proto === IPPROTO.SCTP && flow.l4Off + 13 <= flow.ipEnd ? buf[flow.l4Off + 12]! : -1;
    p.sctpNextChunk = -1;
    // A first fragment counts as the reassembled datagram will (nf_ct_frag6_reasm drops the
    // Fragment header); the later ones add their payload (laterFragment).
    p.length = flow.ipEnd - flow.l3Off - (flow.fragment ? 8 : 0);
    p.fragment = false;
    // skb->mark as PREROUTING's MARK rules would have left it, for ip_vs_service_find()'s fwmark step.
    p.fwmark = this.marks.classify6(buf, flow, this.rxIf);
  }

  // Transmits a client-side packet (a request, or an ICMPv6 error about a reply) to conn idx's real server.
  private xmitIn(buf: Uint8Array, flow: Flow, idx: number, icmp: boolean, gso: boolean, now: number): void {
    const out = this.out;
    const out6 = this.out6;
    const conns = this.director.conns;
    const fwd = conns.flagsOf(idx) & CONN_F.FWD_MASK;
    const methodOk =
      fwd === FWD.MASQ ||
      fwd === FWD.DROUTE ||
      fwd === FWD.TUNNEL ||
      fwd === FWD.BYPASS ||
      fwd === FWD.FULLNAT;
    // Mixed-family TUN (an IPv4 real server under an IPv6 VIP): ip_vs_tunnel_xmit() carries the
    // IPv6 packet in an IPv4 outer header (protocol 41, or GUE/GRE carrying IPv6), as since 3.18.
    if (conns.daf(idx) === 4 && fwd === FWD.TUNNEL) {
      this.xmitTun4(buf, flow, idx, icmp, gso, now);
      return;
    }
    if (conns.daf(idx) !== 6 || !methodOk) {
      out.drop(DROP.UNSUPPORTED);
      return;
    }
    // A cache_bypass conn has no real server: ip_vs_bypass_xmit_v6() routes to the packet's own destination.
    if (fwd === FWD.BYPASS) this.rip.set(flow.dst6);
    else {
      conns.readAddr(idx, 8, this.w1);
      wordsToBytes(this.w1, this.rip);
    }
    let over = 0;
    if (fwd === FWD.TUNNEL) {
      const dest = this.director.destOf(idx);
      if (!dest) {
        out.drop(DROP.DEST_GONE);
        return;
      }
      this.tunType = dest.tunType;
      this.tunFlags = dest.tunFlags;
      this.tunPort = dest.tunPort;
      over = tunOverhead6(dest.tunType, dest.tunFlags);
    }
    const slot = out6.routeTo(this.rip, 0);
    if (slot < 0) {
      out.drop(DROP.NO_ROUTE);
      return;
    }
    this.nh.set(out6.route.hasGateway ? out6.route.gateway : this.rip);
    const mtu = out6.routeMtu(slot);
    if (over > 0 && !out6.routeSrc(slot, this.src, 0)) {
      out.drop(DROP.NO_ROUTE);
      return;
    }
    if (!this.mtuOk(buf, flow, mtu - over, gso && !icmp, now)) return;
    if (!decrementTtl(buf, flow)) {
      if (!icmp) this.icmpError(buf, flow, ICMPV6_TIME_EXCEED, 0, 0, now);
      out.drop(DROP.TTL_EXCEEDED);
      return;
    }
    if (fwd === FWD.MASQ) {
      const rport = conns.dportOf(idx);
      if (icmp) natIcmpIn6(buf, flow, this.rip, rport);
      else natIn6(buf, flow, this.rip, rport);
    } else if (fwd === FWD.FULLNAT) {
      const rport = conns.dportOf(idx);
      let lport = conns.readLocal(idx, this.w2);
      if (lport < 0) lport = this.allocLocal(idx, rport);
      if (lport < 0) return;
      wordsToBytes(this.w2, this.lip);
      if (icmp) fnatIcmpIn6(buf, flow, this.lip, lport, this.rip, rport);
      else {
        const toa =
          this.toa &&
          flow.proto === IPPROTO.TCP &&
          !flow.fragment &&
          this.fnat.wantsToa(idx, buf, flow.l4Off, flow.tcpFlags);
        fnatIn6(buf, flow, this.lip, lport, this.rip, rport);
        // The grown packet goes from the arena: the received buffer may have no room after it.
        if (toa && toaFits6(buf, flow, mtu)) {
          const o = this.out.reserve(flow.ipEnd - flow.base + 32);
          if (o >= 0) {
            moveFrame(buf, flow, this.out.arena, o);
            conns.readAddr(idx, 0, this.w1);
            wordsToBytes(this.w1, this.cip);
            insertToa6(this.out.arena, flow, this.cip, conns.cport[idx] as number);
            this.emit(this.out.arena, flow, slot, mtu, over, now);
            return;
          }
        }
      }
    }
    this.emit(buf, flow, slot, mtu, over, now);
  }

  // An IPv6 packet through an IPv4 tunnel to conn idx's IPv4 real server. The outer DF is always
  // set for an IPv6 inner packet (tunEncap), so a packet too big for the tunnel gets packet too big
  // with the MTU left inside it, as ip_vs_tunnel_xmit's ensure_mtu_is_adequate does for IPv6.
  private xmitTun4(buf: Uint8Array, flow: Flow, idx: number, icmp: boolean, gso: boolean, now: number): void {
    const out = this.out;
    const dest = this.director.destOf(idx);
    if (!dest) {
      out.drop(DROP.DEST_GONE);
      return;
    }
    const rip = this.director.conns.daddrOf(idx);
    const slot = out.routeTo(rip);
    if (slot < 0) {
      out.drop(DROP.NO_ROUTE);
      return;
    }
    const nh = out.route.gateway4 || rip;
    const mtu = out.routeMtu(slot);
    const t = this.tun4;
    t.type = dest.tunType;
    t.flags = dest.tunFlags;
    t.port = dest.tunPort;
    t.src4 = out.routeSrc(slot) | 0;
    t.dst4 = rip | 0;
    const over = tunOverhead(t.type, t.flags);
    if (!this.mtuOk(buf, flow, mtu - over, gso && !icmp, now)) return;
    if (!decrementTtl(buf, flow)) {
      if (!icmp) this.icmpError(buf, flow, ICMPV6_TIME_EXCEED, 0, 0, now);
      out.drop(DROP.TTL_EXCEEDED);
      return;
    }
    const room = mtu - over;
    const count = out.segmentCount(flow, room);
    if (count < 0) return;
    for (let k = 0; k < count; k++) {
      const inner = out.placeSegment(buf, flow, room, over, k, count);
      if (inner < 0) return;
      const len = out.segLen;
      t.id = out.nextIpId();
      const l3 = tunEncap(out.arena, inner, len, 6, flow.tos, flow.ttl, true, flowHash6(flow), t);
      out.sendL3(out.arena, l3, len + over, ETHERTYPE.IPV4, slot, nh, now);
    }
  }

  // ip_vs_out for a MASQ reply (SNAT to VIP:vport) or a FULLNAT one to a LIP (to VIP:vport →
  // client:cport), and on to the client.
  private reply(buf: Uint8Array, flow: Flow, idx: number, toLip: boolean, gso: boolean, now: number): void {
    if (flow.fragment && flow.hasL4) {
      const dir = toLip ? FRAG_DIR.REPLY_LIP : FRAG_DIR.REPLY;
      this.frags.put(buf, flow.srcOff, flow.dstOff, flow.ipId, idx, dir, now);
    }
    const conns = this.director.conns;
    if ((conns.flagsOf(idx) & CONN_F.FWD_MASK) !== (toLip ? FWD.FULLNAT : FWD.MASQ)) {
      this.out.drop(DROP.NOT_OURS);
      return;
    }
    const slot = this.toClient(buf, flow, idx, gso, false, now);
    if (slot < 0) return;
    conns.readAddr(idx, 4, this.w1);
    wordsToBytes(this.w1, this.vip);
    if (toLip && this.toa && flow.proto === IPPROTO.TCP && (flow.tcpFlags & 0x12) === 0x12 && flow.hasL4) {
      // The SYN-ACK: remember its ISN for the first data segment's TOA, and lower its MSS by the
      // option's size so full-sized client segments still fit with it (DPVS tcp_fnat_out_handler).
      this.fnat.sawSynAck(idx, buf, flow.l4Off);
      adjustSynAckMss6(buf, flow);
    }
    // toClient left the client's address in this.cip.
    if (toLip)
      fnatOut6(buf, flow, this.vip, conns.vport[idx] as number, this.cip, conns.cport[idx] as number);
    else natOut6(buf, flow, this.vip, conns.vport[idx] as number);
    this.emit(buf, flow, slot, this.out6.routeMtu(slot), 0, now);
  }

  // Route, MTU and hop limit toward conn idx's client; the egress slot (next hop in this.nh), or -1 after a drop.
  private toClient(
    buf: Uint8Array,
    flow: Flow,
    idx: number,
    gso: boolean,
    icmp: boolean,
    now: number,
  ): number {
    const out6 = this.out6;
    this.director.conns.readAddr(idx, 0, this.w1);
    wordsToBytes(this.w1, this.cip);
    const slot = out6.routeTo(this.cip, 0);
    if (slot < 0) {
      this.out.drop(DROP.NO_ROUTE);
      return -1;
    }
    this.nh.set(out6.route.hasGateway ? out6.route.gateway : this.cip);
    if (!this.mtuOk(buf, flow, out6.routeMtu(slot), gso && !icmp, now)) return -1;
    if (!decrementTtl(buf, flow)) {
      if (!icmp) this.icmpError(buf, flow, ICMPV6_TIME_EXCEED, 0, 0, now);
      this.out.drop(DROP.TTL_EXCEEDED);
      return -1;
    }
    return slot;
  }

  // ensure_mtu_is_adequate (v6): too big and not a GSO super-frame → packet too big.
  private mtuOk(buf: Uint8Array, flow: Flow, mtu: number, gso: boolean, now: number): boolean {
    if (flow.ipEnd - flow.l3Off <= mtu) return true;
    if (gso && flow.proto === IPPROTO.TCP) return true;
    if (flow.proto !== IPPROTO.ICMPV6 || flow.icmpType >= 128) {
      this.icmpError(buf, flow, ICMPV6_PKT_TOOBIG, 0, Math.max(mtu, IPV6_MIN_MTU), now);
    }
    this.out.drop(DROP.TOO_BIG);
    return false;
  }

  // Sends in place, or through the arena when an outer header or software segmentation is needed.
  private emit(buf: Uint8Array, flow: Flow, slot: number, mtu: number, over: number, now: number): void {
    const out = this.out;
    const ipLen = flow.ipEnd - flow.l3Off;
    const room = mtu - over;
    if (ipLen <= room && over === 0) {
      this.out6.send(buf, flow.l3Off, ipLen, slot, this.nh, 0, now);
      return;
    }
    const count = out.segmentCount(flow, room);
    if (count < 0) return;
    for (let k = 0; k < count; k++) {
      const inner = out.placeSegment(buf, flow, room, over, k, count);
      if (inner < 0) return;
      const len = out.segLen;
      let l3 = inner;
      if (over > 0) {
        const h = flowHash6(flow);
        const t = this.tunType;
        l3 = tunEncap6(
          out.arena,
          inner,
          len,
          flow.tos,
          flow.ttl,
          t,
          this.tunFlags,
          this.tunPort,
          h,
          this.src,
          0,
          this.rip,
          0,
        );
      }
      this.out6.send(out.arena, l3, len + over, slot, this.nh, 0, now);
    }
  }

  // Gives a new FULLNAT conn its LIP:lport (the RIP's words in w1); returns lport (LIP in w2) or
  // -1 after counting the drop, as the IPv4 path does.
  private allocLocal(idx: number, rport: number): number {
    const l = this.local;
    const r = this.fnat.assign(
      this.director.conns,
      idx,
      l.lips,
      4,
      l.lipIds,
      l.lipBase,
      l.lipCount,
      this.w1,
      rport,
    );
    if (r < 0) {
      this.out.drop(r === FNAT_FAIL.NO_ADDRESS ? DROP.NO_LOCAL_ADDRESS : DROP.NO_LOCAL_PORT);
      return -1;
    }
    this.w2.set(this.fnat.lipWords);
    return r;
  }

  /** Sends an ICMPv6 error about the packet in `flow` back to its source (icmpv6_send). */
  icmpError(buf: Uint8Array, flow: Flow, type: number, code: number, rest: number, now: number): void {
    const out = this.out;
    const out6 = this.out6;
    const slot = out6.routeTo(buf, flow.srcOff);
    if (slot < 0) return;
    // Answer from the offending packet's destination when it is ours (a VIP), else the route's source.
    if (this.local.kind(buf, flow.dstOff) !== 0) this.src.set(flow.dst6);
    else if (!out6.routeSrc(slot, this.src, 0)) return;
    this.nh.set(out6.route.hasGateway ? out6.route.gateway : flow.src6);
    const o = out.reserve(ETH_LEN + 1280);
    if (o < 0) return;
    const len = writeIcmpError6(
      out.arena,
      o + ETH_LEN,
      buf,
      flow.l3Off,
      flow.ipEnd - flow.l3Off,
      type,
      code,
      rest,
      this.src,
      0,
      flow.src6,
      0,
    );
    this.icmpSent++;
    out6.send(out.arena, o + ETH_LEN, len, slot, this.nh, 0, now);
  }

  // ip_vs_in_icmp_v6 / ip_vs_out_icmp_v6, and echo replies for our addresses.
  private icmp(buf: Uint8Array, flow: Flow, kind: number, gso: boolean, now: number): void {
    const out = this.out;
    if (flow.icmpType === ICMPV6_ECHO_REQUEST && kind !== 0) {
      echoReplyInPlace(buf, flow);
      const slot = this.out6.routeTo(flow.dst6, 0);
      if (slot < 0) {
        out.drop(DROP.NO_ROUTE);
        return;
      }
      this.nh.set(this.out6.route.hasGateway ? this.out6.route.gateway : flow.dst6);
      this.echoReplies++;
      this.out6.send(buf, flow.l3Off, flow.ipEnd - flow.l3Off, slot, this.nh, 0, now);
      return;
    }
    const p = flow.innerProto;
    if (!flow.inner || (p !== IPPROTO.TCP && p !== IPPROTO.UDP && p !== IPPROTO.SCTP)) {
      out.drop(kind !== 0 ? DROP.ICMP_IGNORED : DROP.NOT_OURS);
      return;
    }
    const conns = this.director.conns;
    bytesToWords(flow.innerDst6, this.w1);
    bytesToWords(flow.innerSrc6, this.w2);
    if (kind & LOCAL.VIP) {
      // About our reply VIP:vport → client: the conn by the quoted tuple reversed.
      let idx = conns.findIn(6, p, this.w1, flow.innerDport, this.w2, flow.innerSport);
      // schedule_icmp: ip_vs_in_icmp_v6() schedules a conn for the quoted tuple reversed (IpPath.scheduleIcmp).
      if (idx < 0 && this.director.settings.scheduleIcmp) {
        const q = this.pkt;
        q.srcAddr.set(flow.innerDst6);
        q.dstAddr.set(flow.innerSrc6);
        q.protocol = p;
        q.srcPort = flow.innerDport;
        q.dstPort = flow.innerSport;
        q.tcpFlags = 0;
        q.sctpChunk = -1;
        q.sctpNextChunk = -1;
        q.length = flow.ipEnd - flow.l3Off;
        q.fragment = false;
        q.fwmark = this.marks.classify6(buf, flow, this.rxIf);
        idx = this.director.scheduleIcmp(q, now);
      }
      if (idx < 0) {
        out.drop(DROP.ICMP_NO_CONN);
        return;
      }
      this.xmitIn(buf, flow, idx, true, false, now);
      if (conns.kind(idx) === KIND.OPS) this.director.flushOps();
      return;
    }
    const toLip = (kind & LOCAL.LIP) !== 0;
    let idx: number;
    if (toLip) {
      // About a request we sent LIP:lport → RIP:rport (FULLNAT), relayed to the client.
      idx = conns.findOutLocal(p, this.w1, flow.innerDport, this.w2, flow.innerSport);
      if (idx < 0 || (conns.flagsOf(idx) & CONN_F.FWD_MASK) !== FWD.FULLNAT) {
        out.drop(DROP.ICMP_NO_CONN);
        return;
      }
    } else {
      // About a request we forwarded client → RIP:rport (NAT), on its way to the client.
      idx = conns.findOut(6, p, this.w1, flow.innerDport, this.w2, flow.innerSport);
      if (idx < 0 || (conns.flagsOf(idx) & CONN_F.FWD_MASK) !== FWD.MASQ) {
        out.drop(DROP.NOT_OURS);
        return;
      }
    }
    const slot = this.toClient(buf, flow, idx, gso, true, now);
    if (slot < 0) return;
    conns.readAddr(idx, 4, this.w1);
    wordsToBytes(this.w1, this.vip);
    // toClient left the client's address in this.cip.
    const vport = conns.vport[idx] as number;
    if (toLip) fnatIcmpOut6(buf, flow, this.vip, vport, this.cip, conns.cport[idx] as number);
    else natIcmpOut6(buf, flow, this.vip, vport);
    this.emit(buf, flow, slot, this.out6.routeMtu(slot), 0, now);
  }
}

function isUnspecified6(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

function wordsToBytes(w: Uint32Array, b: Uint8Array): void {
  for (let k = 0; k < 4; k++) {
    const v = w[k]!;
    b[k * 4] = v >>> 24;
    b[k * 4 + 1] = (v >>> 16) & 0xff;
    b[k * 4 + 2] = (v >>> 8) & 0xff;
    b[k * 4 + 3] = v & 0xff;
  }
}

// A flow hash for the GUE source port (udp_flow_src_port hashes the inner flow), as int32.
function flowHash6(flow: Flow): number {
  const a = flow.src6;
  const b = flow.dst6;
  let h = Math.imul((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!, 0x85ebca6b);
  h ^= Math.imul((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!, 0xc2b2ae35);
  // Fragments hash without ports, so every fragment of a datagram gets the same outer source port.
  if (!flow.fragment) h ^= Math.imul((flow.sport << 16) | flow.dport, 0x27d4eb2f);
  return h ^ (h >>> 15);
}
