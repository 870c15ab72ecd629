/**
 * IPv6 transmit and neighbour discovery (RFC 4861) for the engine: the IPv6 counterpart of the
 * ARP half of output.ts. The director's kernel does not hold the VIPs, so the engine answers
 * neighbour solicitations for them itself (as it answers ARP), learns link-layer addresses from
 * solicitations and adverts, and resolves its own next hops by soliciting them. The neighbour
 * state machine, probe timing and the bounded queue of waiting frames are the IPv4 table's
 * (neighbours.ts), keyed by small ids that {@link Addr6Keys} gives each IPv6 address.
 */
import { ETH_LEN, writeEth, writeIPv6Header } from '../forward/frame.js';
import { fillL4Checksum, IPPROTO, verifyL4Checksum } from '../packet/checksum.js';
import { ETHERTYPE } from '../packet/ethernet.js';
import type { Flow } from '../packet/flow.js';
import { Addr6Keys } from './addr6-keys.js';
import { DROP } from './drops.js';
import { type NeighbourOptions, NeighbourTable } from './neighbours.js';
import type { EngineInterface, Output } from './output.js';
import { RouteResult6, type RouteTable6 } from './routes6.js';

const NS = 135;
const NA = 136;
/** Length of an NS or NA carrying one link-layer address option: header, target, option. */
const ND_LEN = 32;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;
const OPT_SLLA = 1;
const OPT_TLLA = 2;
const ALL_NODES = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/** IPv6 output: routes, NDP and the send. */
export class Output6 {
  readonly neigh: NeighbourTable;
  readonly keys: Addr6Keys;
  /** The last route lookup's answer. */
  readonly route = new RouteResult6();
  /** The director's IPv6 address per interface slot (16 bytes each) and whether it has one. */
  readonly ifAddr6: Uint8Array;
  readonly hasAddr6: Uint8Array;
  /** Neighbour solicitations sent to resolve next hops. */
  nsSent = 0;
  /** Neighbour adverts sent for VIPs. */
  naSent = 0;
  private readonly scratch = new Uint8Array(16);

  constructor(
    private readonly out: Output,
    private readonly routes: RouteTable6 | undefined,
    interfaces: readonly EngineInterface[],
    neighbours?: NeighbourOptions,
  ) {
    this.neigh = new NeighbourTable(neighbours);
    this.keys = new Addr6Keys(this.neigh.capacity);
    this.ifAddr6 = new Uint8Array(interfaces.length * 16);
    this.hasAddr6 = new Uint8Array(interfaces.length);
    interfaces.forEach((itf, s) => {
      if (itf.addr6?.length !== 16) return;
      this.ifAddr6.set(itf.addr6, s * 16);
      this.hasAddr6[s] = 1;
    });
  }

  /** True when `ip[off..+16]` is the director's address on one of the engine's interfaces. */
  ownsAddr6(ip: Uint8Array, off: number): boolean {
    for (let s = 0; s < this.hasAddr6.length; s++) {
      if (!this.hasAddr6[s]) continue;
      let same = true;
      for (let k = 0; k < 16 && same; k++) same = this.ifAddr6[s * 16 + k] === ip[off + k];
      if (same) return true;
    }
    return false;
  }

  /** Looks up the route to `dst[off..+16]` into {@link route}; the egress slot, or -1. */
  routeTo(dst: Uint8Array, off: number): number {
    if (!this.routes?.lookup6(dst, off, this.route)) return -1;
    return this.out.slotOf(this.route.ifindex);
  }

  /** MTU of the last route. */
  routeMtu(slot: number): number {
    return this.route.mtu || this.out.ifMtu[slot]!;
  }

  /** Writes the source for packets on the last route into `dst` at `off`; false when slot has no address. */
  routeSrc(slot: number, dst: Uint8Array, off: number): boolean {
    if (this.route.hasSrc) {
      for (let i = 0; i < 16; i++) dst[off + i] = this.route.src[i]!;
      return true;
    }
    if (this.hasAddr6[slot] === 0) return false;
    for (let i = 0; i < 16; i++) dst[off + i] = this.ifAddr6[slot * 16 + i]!;
    return true;
  }

  /**
   * Sends the IPv6 packet `buf[l3Off, l3Off + ipLen)` out of interface `slot` toward the next hop
   * at `nh[nhOff..+16]`, like Output.sendL3: at once when its MAC is known, else queued while it is
   * solicited.
   */
  send(
    buf: Uint8Array,
    l3Off: number,
    ipLen: number,
    slot: number,
    nh: Uint8Array,
    nhOff: number,
    now: number,
  ): void {
    const out = this.out;
    const neigh = this.neigh;
    const key = this.keys.intern(nh, nhOff);
    if (key === 0) {
      out.drop(DROP.NEIGH_TABLE_FULL);
      return;
    }
    let n = neigh.find(key);
    if (n < 0) {
      n = neigh.create(key, out.ifIndex[slot]!);
      if (n < 0) {
        this.keys.release(key);
        out.drop(DROP.NEIGH_TABLE_FULL);
        return;
      }
    }
    if (neigh.usable(n)) {
      if (neigh.wantsProbe(n, now)) this.solicit(n, slot, now);
      writeEth(buf, l3Off - ETH_LEN, neigh.macs, n * 6, out.ifMac, slot * 6, ETHERTYPE.IPV6);
      out.tx(buf, l3Off - ETH_LEN, ipLen + ETH_LEN, out.ifIndex[slot]!);
      return;
    }
    if (!out.enqueue(neigh, n, buf, l3Off, ipLen, slot, ETHERTYPE.IPV6)) return;
    if (neigh.wantsProbe(n, now)) this.solicit(n, slot, now);
  }

  /**
   * Sends a neighbour solicitation for neighbour slot `n` out of interface `slot` to its
   * solicited-node multicast address (RFC 4861 §7.2.2, ndisc_solicit), from the interface's address.
   */
  solicit(n: number, slot: number, now: number): void {
    const out = this.out;
    this.neigh.probed(n, now);
    if (this.hasAddr6[slot] === 0) return;
    const o = out.reserve(ETH_LEN + 40 + ND_LEN);
    if (o < 0) {
      out.drops[DROP.TX_FULL] = out.drops[DROP.TX_FULL]! + 1;
      return;
    }
    const keys = this.keys;
    const t = keys.bytes;
    const to = keys.offsetOf(this.neigh.ipOf(n));
    const a = out.arena;
    const mc = this.scratch;
    mc.set(SOLICITED_PREFIX);
    mc[13] = t[to + 13]!;
    mc[14] = t[to + 14]!;
    mc[15] = t[to + 15]!;
    const e = o;
    for (let i = 0; i < 6; i++) a[e + i] = i < 2 ? 0x33 : mc[10 + i]!;
    for (let i = 0; i < 6; i++) a[e + 6 + i] = out.ifMac[slot * 6 + i]!;
    a[e + 12] = 0x86;
    a[e + 13] = 0xdd;
    const l3 = o + ETH_LEN;
    writeIPv6Header(a, l3, 0, ND_LEN, IPPROTO.ICMPV6, 255, this.ifAddr6, slot * 16, mc, 0);
    writeNd(a, l3 + 40, NS, 0, t, to, OPT_SLLA, out.ifMac, slot * 6);
    fillL4Checksum(a, l3, l3 + 40, l3 + 40 + ND_LEN, IPPROTO.ICMPV6);
    this.nsSent++;
    out.tx(a, o, ETH_LEN + 40 + ND_LEN, out.ifIndex[slot]!);
  }

  /**
   * Records a link-layer address for the IPv6 address at `ip[ipOff..]` and releases its waiting
   * frames; `create` makes an entry when none exists (solicitations aimed at us, static entries).
   */
  learn(
    ip: Uint8Array,
    ipOff: number,
    mac: Uint8Array,
    macOff: number,
    ifindex: number,
    now: number,
    create: boolean,
    permanent = false,
  ): void {
    const neigh = this.neigh;
    let key = this.keys.find(ip, ipOff);
    let n = key === 0 ? -1 : neigh.find(key);
    if (n < 0) {
      if (!create) return;
      if (key === 0) key = this.keys.intern(ip, ipOff);
      if (key === 0) return;
      n = neigh.create(key, ifindex);
      if (n < 0) {
        this.keys.release(key);
        return;
      }
    } else if (neigh.ifindex[n] !== ifindex && !permanent) return;
    this.out.learnSlot(neigh, n, mac, macOff, now, permanent);
  }

  /**
   * Handles a neighbour solicitation or advert (already parsed into `flow`): validates it as RFC
   * 4861 §7.1 asks, learns the sender's link-layer address, and answers solicitations for one of
   * our addresses (`forUs` says whether the target is one) with a solicited advert (RFC 4861 §7.2.4).
   */
  handle(
    buf: Uint8Array,
    flow: Flow,
    ifindex: number,
    forUs: (b: Uint8Array, off: number) => boolean,
    now: number,
  ): void {
    const out = this.out;
    const o = flow.l4Off;
    const end = flow.ipEnd;
    const type = flow.icmpType;
    if (
      flow.ttl !== 255 ||
      flow.icmpCode !== 0 ||
      end - o < 24 ||
      !verifyL4Checksum(buf, flow.l3Off, o, end, IPPROTO.ICMPV6) ||
      buf[o + 8] === 0xff
    ) {
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    const lla = findLla(buf, o + 24, end, type === NS ? OPT_SLLA : OPT_TLLA);
    if (lla === -2) {
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    const target = o + 8;
    if (type === NA) {
      // RFC 4861 §7.2.5: an advert only updates an entry we already have; one for our own
      // address is another node's claim on it (ndisc_recv_na() only logs it), never learnt.
      if (lla >= 0 && !forUs(buf, target) && !this.ownsAddr6(buf, target))
        this.learn(buf, target, buf, lla, ifindex, now, false);
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    const unspecified = isZero(buf, flow.srcOff);
    if (unspecified && lla >= 0) {
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    // A solicitation from one of our own addresses is a spoof (a DAD probe comes from ::).
    if (!unspecified && (forUs(buf, flow.srcOff) || this.ownsAddr6(buf, flow.srcOff))) {
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    const mine = forUs(buf, target);
    // An entry is created only on the interface the sender's route leaves by (Output.routesVia).
    if (!unspecified && lla >= 0)
      this.learn(
        buf,
        flow.srcOff,
        buf,
        lla,
        ifindex,
        now,
        mine && this.routeTo(buf, flow.srcOff) === out.slotOf(ifindex),
      );
    const slot = out.slotOf(ifindex);
    if (!mine || slot < 0) {
      out.drop(DROP.NDP_IGNORED);
      return;
    }
    const r = out.reserve(ETH_LEN + 40 + ND_LEN);
    if (r < 0) {
      out.drop(DROP.TX_FULL);
      return;
    }
    const a = out.arena;
    const l3 = r + ETH_LEN;
    // To the solicitor (its frame's source MAC), or to all nodes after a DAD probe (RFC 4861 §7.2.4).
    if (unspecified) writeEth(a, r, ALL_NODES_MAC, 0, out.ifMac, slot * 6, ETHERTYPE.IPV6);
    else writeEth(a, r, buf, flow.base + 6, out.ifMac, slot * 6, ETHERTYPE.IPV6);
    if (unspecified) writeIPv6Header(a, l3, 0, ND_LEN, IPPROTO.ICMPV6, 255, buf, target, ALL_NODES, 0);
    else writeIPv6Header(a, l3, 0, ND_LEN, IPPROTO.ICMPV6, 255, buf, target, buf, flow.srcOff);
    writeNd(
      a,
      l3 + 40,
      NA,
      unspecified ? NA_OVERRIDE : NA_SOLICITED | NA_OVERRIDE,
      buf,
      target,
      OPT_TLLA,
      out.ifMac,
      slot * 6,
    );
    fillL4Checksum(a, l3, l3 + 40, l3 + 40 + ND_LEN, IPPROTO.ICMPV6);
    this.naSent++;
    out.tx(a, r, ETH_LEN + 40 + ND_LEN, ifindex);
  }

  /**
   * Appends an unsolicited neighbour advert for `ip` (16 bytes) out of interface `ifindex`
   * ({@link writeUnsolicitedAdvert}); false when the interface is not the engine's or there is no room.
   */
  announce(ifindex: number, ip: Uint8Array): boolean {
    const out = this.out;
    const slot = out.slotOf(ifindex);
    if (slot < 0) return false;
    const r = out.reserve(UNSOLICITED_ADVERT_LEN);
    if (r < 0) {
      out.drops[DROP.TX_FULL] = out.drops[DROP.TX_FULL]! + 1;
      return false;
    }
    writeUnsolicitedAdvert(out.arena, r, out.ifMac, slot * 6, ip, 0);
    const before = out.actions.count;
    out.tx(out.arena, r, UNSOLICITED_ADVERT_LEN, ifindex);
    return out.actions.count > before;
  }

  /** Timer work: re-solicits unresolved next hops and fails them after the third probe. */
  tick(now: number): void {
    this.out.tickNeighbours(this.neigh, now, this.probe, this.release);
  }

  private readonly probe = (i: number, slot: number, now: number): void => this.solicit(i, slot, now);
  // A failed entry gives its address's id back.
  private readonly release = (i: number): void => this.keys.release(this.neigh.ipOf(i));

  /** Makes released queue slots reusable (with Output.flush). */
  flush(): void {
    this.neigh.flush();
  }
}

/** Length of the frame {@link writeUnsolicitedAdvert} writes. */
export const UNSOLICITED_ADVERT_LEN = ETH_LEN + 40 + ND_LEN;

/**
 * Writes an unsolicited neighbour advert for `target` (16 bytes at targetOff) from `mac` to all
 * nodes, with the override flag (RFC 4861 §7.2.6): the IPv6 counterpart of a gratuitous ARP,
 * sent when lvsd starts serving a VIP so neighbours with a stale entry switch to the director.
 * Returns the frame length ({@link UNSOLICITED_ADVERT_LEN}).
 */
export function writeUnsolicitedAdvert(
  b: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  target: Uint8Array,
  targetOff: number,
): number {
  writeEth(b, off, ALL_NODES_MAC, 0, mac, macOff, ETHERTYPE.IPV6);
  const l3 = off + ETH_LEN;
  writeIPv6Header(b, l3, 0, ND_LEN, IPPROTO.ICMPV6, 255, target, targetOff, ALL_NODES, 0);
  writeNd(b, l3 + 40, NA, NA_OVERRIDE, target, targetOff, OPT_TLLA, mac, macOff);
  fillL4Checksum(b, l3, l3 + 40, l3 + 40 + ND_LEN, IPPROTO.ICMPV6);
  return UNSOLICITED_ADVERT_LEN;
}

const SOLICITED_PREFIX = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0]);
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);

// NS/NA body: type, code, checksum (filled later), flags word, target, one link-layer option.
function writeNd(
  b: Uint8Array,
  o: number,
  type: number,
  flags: number,
  target: Uint8Array,
  targetOff: number,
  opt: number,
  mac: Uint8Array,
  macOff: number,
): void {
  b[o] = type;
  b[o + 1] = 0;
  b[o + 2] = 0;
  b[o + 3] = 0;
  b[o + 4] = flags;
  b[o + 5] = 0;
  b[o + 6] = 0;
  b[o + 7] = 0;
  for (let i = 0; i < 16; i++) b[o + 8 + i] = target[targetOff + i]!;
  b[o + 24] = opt;
  b[o + 25] = 1;
  for (let i = 0; i < 6; i++) b[o + 26 + i] = mac[macOff + i]!;
}

/**
 * Offset of the 6-byte link-layer address in the first option of `type` in [o, end), -1 when
 * there is none, -2 when the options are malformed (a zero length, or one running past the end:
 * RFC 4861 §7.1.1 says discard).
 */
export function findLla(b: Uint8Array, o: number, end: number, type: number): number {
  let p = o;
  let found = -1;
  while (p < end) {
    if (p + 2 > end) return -2;
    const len = b[p + 1]! * 8;
    if (len === 0 || p + len > end) return -2;
    if (found < 0 && b[p] === type && len >= 8) found = p + 2;
    p += len;
  }
  return found;
}

function isZero(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false;
  return true;
}
