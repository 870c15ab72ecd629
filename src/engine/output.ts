/**
 * The engine's transmit side: routes, the neighbour table and its queue, the batch arena for
 * frames the engine builds, and the counters. Everything leaves through {@link Output.sendL3}:
 * given an IP packet with 14 writable bytes in front of it, it resolves the next hop's MAC (or
 * queues the frame and sends an ARP request) and appends a tx action. Nothing here allocates per
 * packet; the arena is reset by {@link Output.flush} once the driver has sent the batch.
 */

import { copyBytes, ETH_LEN, writeEth } from '../forward/frame.js';
import { tcpSegmentCount, writeTcpSegment } from '../forward/tso.js';
import { ARP_LEN, ARP_OP, writeArp } from '../packet/arp.js';
import { ETHERTYPE } from '../packet/ethernet.js';
import { type Flow, frameView } from '../packet/flow.js';
import { ActionList } from './actions.js';
import { DROP, DROP_COUNT } from './drops.js';
import { type NeighbourOptions, NeighbourTable } from './neighbours.js';
import { RouteResult, type RouteTable } from './routes.js';

/** One interface the engine sends on. */
export interface EngineInterface {
  readonly ifindex: number;
  /** The interface MAC (6 bytes): the source of every frame sent on it. */
  readonly mac: Uint8Array;
  /** MTU (IP bytes). */
  readonly mtu: number;
  /** The director's IPv4 address on it (host-order u32): ARP sender, tunnel and ICMP source. */
  readonly addr4: number;
  /** The director's IPv6 address on it (16 bytes), if any: NDP, tunnel and ICMPv6 source. */
  readonly addr6?: Uint8Array;
}

/** Sizing of the output side. */
export interface OutputOptions {
  /** Bytes of frames the engine may build per batch (ICMP, ARP, tunnels, segments). */
  arenaBytes?: number;
  /** Actions per batch. */
  maxActions?: number;
  neighbours?: NeighbourOptions;
  /**
   * The interface that carries frames into the director's own stack (ACT.LOCAL): the loopback
   * device, whose received frames the host delivers locally (default 0: none).
   */
  localIfindex?: number;
}

const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);
/** Length of a gratuitous ARP frame: the 60-byte Ethernet minimum (without FCS). */
export const GARP_LEN = 60;

/**
 * Writes a gratuitous ARP for `ip` (host-order u32) from `mac` (6 bytes at macOff) at `off`: a
 * broadcast request with sender and target both the address (RFC 5227 §3 "ARP Announcement"),
 * padded to the 60-byte Ethernet minimum. The one GARP frame, behind Output.announceArp and the
 * proxy plane's VRRP announcements. Returns {@link GARP_LEN}; the caller has checked the room.
 */
export function writeGratuitousArp(
  buf: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  ip: number,
): number {
  writeEth(buf, off, BCAST, 0, mac, macOff, ETHERTYPE.ARP);
  writeArp(buf, off + ETH_LEN, ARP_OP.REQUEST, mac, macOff, ip >>> 0, ZERO_MAC, 0, ip >>> 0);
  buf.fill(0, off + ETH_LEN + ARP_LEN, off + GARP_LEN);
  return GARP_LEN;
}

/** Transmit side of the engine. */
export class Output {
  readonly actions: ActionList;
  readonly neigh: NeighbourTable;
  readonly arena: Uint8Array;
  /** The arena's own view, so word access to it does not displace the input ring's (frameView). */
  readonly arenaView: DataView;
  private arenaUsed = 0;
  /** Drop counters by reason (drops.ts). */
  readonly drops = new Float64Array(DROP_COUNT);
  /** Frames handed to the driver. */
  txFrames = 0;
  /** Frames handed to the director's own stack (ACT.LOCAL). */
  localFrames = 0;
  /** OutputOptions.localIfindex. */
  private readonly localIfindex: number;
  /** ARP requests sent to resolve next hops. */
  arpRequests = 0;
  /** The last route lookup's answer. */
  readonly route = new RouteResult();
  private readonly routes: RouteTable;
  // Interfaces by slot; ifSlot maps ifindex → slot (-1 unknown).
  private ifSlot = new Int32Array(0);
  readonly ifIndex: Int32Array;
  readonly ifMac: Uint8Array;
  readonly ifMtu: Uint32Array;
  readonly ifAddr4: Uint32Array;
  private ipIdCounter = 1;

  // Transmit cache per key (a real server's dest id), as the kernel's per-dest dst cache: the
  // destination it was filled for, the route and neighbour generations it is valid for, until
  // when the neighbour needs no probe, and what a send needs (interface, MTU, source, Ethernet
  // header). A hit skips the route lookup, the neighbour lookup and its state checks.
  private xcAddr = new Int32Array(0);
  private xcRouteGen = new Float64Array(0);
  private xcNeighGen = new Float64Array(0);
  private xcUntil = new Float64Array(0);
  /** Egress interface slot of cache entry k. */
  xcSlot = new Int32Array(0);
  /** Path MTU of cache entry k. */
  xcMtu = new Uint32Array(0);
  /** Source address of cache entry k's route. */
  xcSrc = new Uint32Array(0);
  private xcIfindex = new Int32Array(0);
  private xcEth = new Int32Array(0);

  constructor(routes: RouteTable, interfaces: readonly EngineInterface[], o: OutputOptions = {}) {
    this.routes = routes;
    this.localIfindex = o.localIfindex ?? 0;
    this.actions = new ActionList(o.maxActions ?? 4096);
    this.neigh = new NeighbourTable(o.neighbours);
    this.arena = new Uint8Array(o.arenaBytes ?? 1 << 20);
    this.arenaView = new DataView(this.arena.buffer);
    const n = interfaces.length;
    this.ifIndex = new Int32Array(n);
    this.ifMac = new Uint8Array(n * 6);
    this.ifMtu = new Uint32Array(n);
    this.ifAddr4 = new Uint32Array(n);
    let maxIf = 0;
    for (const i of interfaces) maxIf = Math.max(maxIf, i.ifindex);
    this.ifSlot = new Int32Array(maxIf + 1).fill(-1);
    interfaces.forEach((itf, s) => {
      this.ifIndex[s] = itf.ifindex;
      this.ifMac.set(itf.mac.subarray(0, 6), s * 6);
      this.ifMtu[s] = itf.mtu;
      this.ifAddr4[s] = itf.addr4 >>> 0;
      this.ifSlot[itf.ifindex] = s;
    });
  }

  /**
   * True when the route to `ip` (host-order u32) leaves by interface `ifindex`: the only place a
   * neighbour entry for it is ever used. The kernel keys neighbours by (address, device)
   * (neigh_lookup()), this table by address alone, so an entry learnt from another interface
   * would re-point the one the routes use; such ARP is not learnt.
   */
  routesVia(ip: number, ifindex: number): boolean {
    const slot = this.slotOf(ifindex);
    return slot >= 0 && this.routeTo(ip) === slot;
  }

  /** True when `ip` (host-order u32) is one of the engine's interface addresses. */
  ownsAddr4(ip: number): boolean {
    for (let s = 0; s < this.ifAddr4.length; s++) if (this.ifAddr4[s] === ip >>> 0) return true;
    return false;
  }

  /** Interface slot of `ifindex`, or -1. */
  slotOf(ifindex: number): number {
    return ifindex >= 0 && ifindex < this.ifSlot.length ? this.ifSlot[ifindex]! : -1;
  }

  /** A fresh IPv4 ID for packets the engine originates or encapsulates. */
  nextIpId(): number {
    this.ipIdCounter = (this.ipIdCounter + 1) & 0xffff;
    return this.ipIdCounter;
  }

  /**
   * Looks up the route to `dst` into {@link route}; returns the egress interface slot, or -1
   * (counted by the caller) when there is no route or it leaves by an interface we do not know.
   */
  routeTo(dst: number): number {
    // A table that never says `local` leaves the flag as this lookup found it: false.
    this.route.local = false;
    if (!this.routes.lookup4(dst, this.route)) return -1;
    return this.slotOf(this.route.ifindex);
  }

  /** MTU of the last route (the route's own, else the interface's). */
  routeMtu(slot: number): number {
    return this.route.mtu || this.ifMtu[slot]!;
  }

  /** Source address for packets on the last route: the route's preferred source, else the interface's. */
  routeSrc(slot: number): number {
    return this.route.src4 || this.ifAddr4[slot]!;
  }

  /**
   * True when transmit-cache entry `key` (≥ 0) holds a still-valid path to `dst`: same routes and
   * neighbours as when it was filled, and the next hop needs no ARP probe at `now`.
   */
  cached(key: number, dst: number, now: number): boolean {
    const rg = this.routes.generation;
    return (
      key < this.xcAddr.length &&
      this.xcAddr[key] === (dst | 0) &&
      this.xcNeighGen[key] === this.neigh.generation &&
      rg !== undefined &&
      this.xcRouteGen[key] === rg &&
      now <= this.xcUntil[key]!
    );
  }

  /**
   * The link half of transmit-cache entry `key` for the XDP flow offload (flow-offload.ts):
   * writes the destination then source MAC (12 bytes) at `out[off]` exactly as
   * {@link sendCached} would write them, and returns the egress ifindex. The caller has checked
   * {@link cached}.
   */
  cachedLink(key: number, out: Uint8Array, off: number): number {
    const e = this.xcEth;
    const h = key * 3;
    for (let w = 0; w < 3; w++) {
      const v = e[h + w]!;
      out[off + w * 4] = v >>> 24;
      out[off + w * 4 + 1] = (v >>> 16) & 255;
      out[off + w * 4 + 2] = (v >>> 8) & 255;
      out[off + w * 4 + 3] = v & 255;
    }
    return this.xcIfindex[key]!;
  }

  /** Sends the IPv4 packet `buf[l3Off, l3Off + ipLen)` by a valid transmit-cache entry (see {@link cached}). */
  sendCached(buf: Uint8Array, l3Off: number, ipLen: number, key: number): void {
    const o = l3Off - ETH_LEN;
    // The prebuilt header as three big-endian words plus the IPv4 EtherType: four stores.
    const v = buf === this.arena ? this.arenaView : frameView(buf);
    const h = key * 3;
    const e = this.xcEth;
    v.setInt32(o, e[h]!);
    v.setInt32(o + 4, e[h + 1]!);
    v.setInt32(o + 8, e[h + 2]!);
    v.setUint16(o + 12, ETHERTYPE.IPV4);
    this.tx(buf, o, ipLen + ETH_LEN, this.xcIfindex[key]!);
  }

  // Fills transmit-cache entry `key` for `dst` after a send through the route in `route` and
  // usable neighbour slot `n`; nothing when the route table has no generation.
  private fillCache(key: number, dst: number, slot: number, n: number): void {
    const rg = this.routes.generation;
    if (rg === undefined) return;
    if (key >= this.xcAddr.length) this.growCache(key + 1);
    const neigh = this.neigh;
    this.xcAddr[key] = dst | 0;
    this.xcRouteGen[key] = rg;
    this.xcNeighGen[key] = neigh.generation;
    this.xcUntil[key] = neigh.usableUntil(n);
    this.xcSlot[key] = slot;
    this.xcMtu[key] = this.routeMtu(slot);
    this.xcSrc[key] = this.routeSrc(slot);
    this.xcIfindex[key] = this.ifIndex[slot]!;
    // Destination MAC then source MAC, as three big-endian 32-bit words.
    const m = neigh.macs;
    const d = n * 6;
    const sm = this.ifMac;
    const q = slot * 6;
    const h = key * 3;
    this.xcEth[h] = (m[d]! << 24) | (m[d + 1]! << 16) | (m[d + 2]! << 8) | m[d + 3]!;
    this.xcEth[h + 1] = (m[d + 4]! << 24) | (m[d + 5]! << 16) | (sm[q]! << 8) | sm[q + 1]!;
    this.xcEth[h + 2] = (sm[q + 2]! << 24) | (sm[q + 3]! << 16) | (sm[q + 4]! << 8) | sm[q + 5]!;
  }

  private growCache(min: number): void {
    let n = Math.max(16, this.xcAddr.length);
    while (n < min) n *= 2;
    const g = <T extends Int32Array | Uint32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.xcAddr = g(this.xcAddr, new Int32Array(n));
    // NaN never equals a generation, so new entries start invalid.
    this.xcRouteGen = g(this.xcRouteGen, new Float64Array(n).fill(Number.NaN));
    this.xcNeighGen = g(this.xcNeighGen, new Float64Array(n).fill(Number.NaN));
    this.xcUntil = g(this.xcUntil, new Float64Array(n));
    this.xcSlot = g(this.xcSlot, new Int32Array(n));
    this.xcMtu = g(this.xcMtu, new Uint32Array(n));
    this.xcSrc = g(this.xcSrc, new Uint32Array(n));
    this.xcIfindex = g(this.xcIfindex, new Int32Array(n));
    this.xcEth = g(this.xcEth, new Int32Array(n * 3));
  }

  /**
   * Copies `n` bytes of the input frame `buf` at `from` into the arena at `to`: 32-bit words
   * through the two DataViews for packet-sized copies (a quarter of the byte loop's accesses),
   * one memmove through a subarray for large ones.
   */
  copyToArena(buf: Uint8Array, from: number, to: number, n: number): void {
    if (n > 512) {
      this.arena.set(buf.subarray(from, from + n), to);
      return;
    }
    const sv = frameView(buf);
    const dv = this.arenaView;
    let i = 0;
    for (; i + 4 <= n; i += 4) dv.setInt32(to + i, sv.getInt32(from + i));
    const a = this.arena;
    for (; i < n; i++) a[to + i] = buf[from + i]!;
  }

  /** Length of the IP packet the last {@link placeSegment} wrote. */
  segLen = 0;

  /**
   * How many packets the IP packet in `flow` leaves as when at most `room` bytes fit: 1 when it
   * fits, else its TCP segments (software TSO of a GSO super-frame); -1, with a
   * NEEDS_FRAGMENTATION drop counted, when it can be neither (the engine does not fragment).
   */
  segmentCount(flow: Flow, room: number): number {
    const count = flow.ipEnd - flow.l3Off <= room ? 1 : tcpSegmentCount(flow, room);
    if (count < 0) this.drop(DROP.NEEDS_FRAGMENTATION);
    return count;
  }

  /**
   * Writes packet `k` of `count` ({@link segmentCount}) into the arena with `over` bytes left
   * free before it for outer headers and ETH_LEN before those: the whole packet when count is 1,
   * else its k-th TCP segment. Returns the packet's offset ({@link segLen} its length), or -1
   * after counting a TX_FULL drop. The IPv4 and IPv6 paths share it for tunnels and TSO.
   */
  placeSegment(buf: Uint8Array, flow: Flow, room: number, over: number, k: number, count: number): number {
    const ipLen = flow.ipEnd - flow.l3Off;
    const o = this.reserve(ETH_LEN + over + (count === 1 ? ipLen : room));
    if (o < 0) {
      this.drop(DROP.TX_FULL);
      return -1;
    }
    const inner = o + ETH_LEN + over;
    if (count === 1) {
      copyBytes(this.arena, inner, buf, flow.l3Off, ipLen);
      this.segLen = ipLen;
    } else {
      this.segLen = writeTcpSegment(buf, flow, room, k, count, this.arena, inner);
    }
    return inner;
  }

  /** Reserves `len` arena bytes for a frame built this batch; -1 (and a TX_FULL drop by the caller) when full. */
  reserve(len: number): number {
    const o = this.arenaUsed;
    if (o + len > this.arena.length) return -1;
    this.arenaUsed = (o + len + 7) & ~7;
    return o;
  }

  /** Counts a drop and records it as an action. */
  drop(reason: number): void {
    this.drops[reason] = this.drops[reason]! + 1;
    this.actions.drop(reason);
  }

  /**
   * Hands the IP packet `buf[l3Off, l3Off + ipLen)` of `etherType` to the director's own stack
   * (ACT.LOCAL): writes an all-zero Ethernet header in the 14 bytes before l3Off, as the loopback
   * device carries frames, and appends the action, counting a TX_FULL drop if the list is full.
   */
  deliverLocal(buf: Uint8Array, l3Off: number, ipLen: number, etherType: number): void {
    const o = l3Off - ETH_LEN;
    writeEth(buf, o, ZERO_MAC, 0, ZERO_MAC, 0, etherType);
    if (this.actions.local(buf, o, ipLen + ETH_LEN, this.localIfindex)) this.localFrames++;
    else this.drops[DROP.TX_FULL] = this.drops[DROP.TX_FULL]! + 1;
  }

  /** Appends a tx action, counting a TX_FULL drop if the list is full. */
  tx(buf: Uint8Array, off: number, len: number, ifindex: number): void {
    if (this.actions.tx(buf, off, len, ifindex)) this.txFrames++;
    else this.drops[DROP.TX_FULL] = this.drops[DROP.TX_FULL]! + 1;
  }

  /**
   * Sends the IP packet `buf[l3Off, l3Off + ipLen)` out of interface `slot` to next hop `nh`:
   * writes the Ethernet header into the 14 bytes before l3Off when the MAC is known, else queues
   * a copy and probes (dropping it when the queue or the table is full). With `cacheKey` ≥ 0 an
   * IPv4 send that found a usable neighbour fills that transmit-cache entry for `cacheDst`.
   */
  sendL3(
    buf: Uint8Array,
    l3Off: number,
    ipLen: number,
    etherType: number,
    slot: number,
    nh: number,
    now: number,
    cacheKey = -1,
    cacheDst = 0,
  ): void {
    const neigh = this.neigh;
    let n = neigh.find(nh);
    if (n < 0) {
      n = neigh.create(nh, this.ifIndex[slot]!);
      if (n < 0) {
        this.drop(DROP.NEIGH_TABLE_FULL);
        return;
      }
    }
    if (neigh.usable(n)) {
      if (neigh.wantsProbe(n, now)) this.arpRequest(n, slot, now);
      else if (cacheKey >= 0) this.fillCache(cacheKey, cacheDst, slot, n);
      writeEth(buf, l3Off - ETH_LEN, neigh.macs, n * 6, this.ifMac, slot * 6, etherType);
      this.tx(buf, l3Off - ETH_LEN, ipLen + ETH_LEN, this.ifIndex[slot]!);
      return;
    }
    if (!this.enqueue(neigh, n, buf, l3Off, ipLen, slot, etherType)) return;
    if (neigh.wantsProbe(n, now)) this.arpRequest(n, slot, now);
  }

  /** Sends an ARP request for neighbour slot `n` out of interface `slot` (arp_solicit). */
  arpRequest(n: number, slot: number, now: number): void {
    const o = this.reserve(42);
    this.neigh.probed(n, now);
    if (o < 0) {
      this.drops[DROP.TX_FULL] = this.drops[DROP.TX_FULL]! + 1;
      return;
    }
    const a = this.arena;
    writeEth(a, o, BCAST, 0, this.ifMac, slot * 6, ETHERTYPE.ARP);
    writeArp(
      a,
      o + ETH_LEN,
      ARP_OP.REQUEST,
      this.ifMac,
      slot * 6,
      this.ifAddr4[slot]!,
      ZERO_MAC,
      0,
      this.neigh.ipOf(n),
    );
    this.arpRequests++;
    this.tx(a, o, 42, this.ifIndex[slot]!);
  }

  /**
   * Appends a gratuitous ARP for `ip` (host-order u32) out of interface `ifindex`
   * ({@link writeGratuitousArp}), so neighbours and switches learn that the address now lives
   * behind this interface's MAC. False when the interface is not the engine's or there is no room.
   */
  announceArp(ifindex: number, ip: number): boolean {
    const slot = this.slotOf(ifindex);
    if (slot < 0) return false;
    const o = this.reserve(GARP_LEN);
    if (o < 0) {
      this.drops[DROP.TX_FULL] = this.drops[DROP.TX_FULL]! + 1;
      return false;
    }
    const a = this.arena;
    writeGratuitousArp(a, o, this.ifMac, slot * 6, ip);
    const before = this.actions.count;
    this.tx(a, o, GARP_LEN, ifindex);
    return this.actions.count > before;
  }

  /**
   * Records a MAC for `ip` learnt from ARP (or configured) and releases its waiting frames as tx
   * actions. `create` makes an entry if none exists (requests aimed at us, static entries).
   */
  learn(
    ip: number,
    mac: Uint8Array,
    macOff: number,
    ifindex: number,
    now: number,
    create: boolean,
    permanent = false,
  ): void {
    const neigh = this.neigh;
    let n = neigh.find(ip);
    if (n < 0) {
      if (!create) return;
      n = neigh.create(ip, ifindex);
      if (n < 0) return;
    } else if (neigh.ifindex[n] !== ifindex && !permanent) return;
    this.learnSlot(neigh, n, mac, macOff, now, permanent);
  }

  /**
   * Stores `mac` in entry `n` of `neigh` (the IPv4 table or the IPv6 one) and sends the frames
   * that waited for it, their destination MAC filled in, as tx actions.
   */
  learnSlot(
    neigh: NeighbourTable,
    n: number,
    mac: Uint8Array,
    macOff: number,
    now: number,
    permanent: boolean,
  ): void {
    let s = neigh.learn(n, mac, macOff, now, permanent);
    const ifx = neigh.ifindex[n]!;
    while (s >= 0) {
      const q = s * neigh.slotBytes;
      for (let k = 0; k < 6; k++) neigh.qbuf[q + k] = mac[macOff + k]!;
      this.tx(neigh.qbuf, q, neigh.qlen[s]!, ifx);
      s = neigh.nextQueued(s);
    }
  }

  /**
   * Timer work of a neighbour table: `probe(i, slot, now)` for every unresolved entry due for
   * another probe, and after the last one the entry is removed (`removed(i)` first sees it) and
   * its queued frames dropped as NEIGH_FAILED.
   */
  tickNeighbours(
    neigh: NeighbourTable,
    now: number,
    probe: (i: number, slot: number, now: number) => void,
    removed?: (i: number) => void,
  ): void {
    let i = neigh.due(0, now);
    while (i >= 0) {
      if (neigh.exhausted(i)) {
        removed?.(i);
        let s = neigh.remove(i);
        while (s >= 0) {
          this.drop(DROP.NEIGH_FAILED);
          s = neigh.nextQueued(s);
        }
        // remove() may shift a later entry into slot i: look at i again.
        i = neigh.due(i, now);
        continue;
      }
      const slot = this.slotOf(neigh.ifindex[i]!);
      if (slot >= 0) probe(i, slot, now);
      else neigh.probed(i, now);
      i = neigh.due(i + 1, now);
    }
  }

  /**
   * Queues a copy of the IP packet `buf[l3Off, l3Off + ipLen)` on entry `n` of `neigh` behind an
   * Ethernet header from interface `slot` (its destination MAC is filled in on resolution);
   * false, with a NEIGH_QUEUE_FULL drop counted, when it cannot wait.
   */
  enqueue(
    neigh: NeighbourTable,
    n: number,
    buf: Uint8Array,
    l3Off: number,
    ipLen: number,
    slot: number,
    etherType: number,
  ): boolean {
    const s = neigh.enqueue(n, ipLen + ETH_LEN);
    if (s < 0) {
      this.drop(DROP.NEIGH_QUEUE_FULL);
      return false;
    }
    const q = s * neigh.slotBytes;
    writeEth(neigh.qbuf, q, ZERO_MAC, 0, this.ifMac, slot * 6, etherType);
    copyBytes(neigh.qbuf, q + ETH_LEN, buf, l3Off, ipLen);
    return true;
  }

  /** Makes the batch's memory reusable: clears the actions, the arena and released queue slots. */
  flush(): void {
    this.actions.clear();
    this.arenaUsed = 0;
    this.neigh.flush();
  }
}
