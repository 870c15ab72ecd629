/**
 * The engine's transmit side: routes, the neighbour table and its queue, the batch arena for
 * frames the engine builds, and the counters. Everything leaves through {@link Output.sendL3}:
 * given an IP packet with 14 writable bytes in front of it, it resolves the next hop's MAC (or
 * queues the frame and sends an ARP request) and appends a tx action. Nothing here allocates per
 * packet; the arena is reset by {@link Output.flush} once the driver has sent the batch.
 */

import { copyBytes, ETH_LEN, writeEth } from '../forward/frame.js';
import { ETHERTYPE } from '../packet/ethernet.js';
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
}

/** Sizing of the output side. */
export interface OutputOptions {
  /** Bytes of frames the engine may build per batch (ICMP, ARP, tunnels, segments). */
  arenaBytes?: number;
  /** Actions per batch. */
  maxActions?: number;
  neighbours?: NeighbourOptions;
}

const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

/** Transmit side of the engine. */
export class Output {
  readonly actions: ActionList;
  readonly neigh: NeighbourTable;
  readonly arena: Uint8Array;
  private arenaUsed = 0;
  /** Drop counters by reason (drops.ts). */
  readonly drops = new Float64Array(DROP_COUNT);
  /** Frames handed to the driver. */
  txFrames = 0;
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

  constructor(routes: RouteTable, interfaces: readonly EngineInterface[], o: OutputOptions = {}) {
    this.routes = routes;
    this.actions = new ActionList(o.maxActions ?? 4096);
    this.neigh = new NeighbourTable(o.neighbours);
    this.arena = new Uint8Array(o.arenaBytes ?? 1 << 20);
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

  /** Appends a tx action, counting a TX_FULL drop if the list is full. */
  tx(buf: Uint8Array, off: number, len: number, ifindex: number): void {
    if (this.actions.tx(buf, off, len, ifindex)) this.txFrames++;
    else this.drops[DROP.TX_FULL] = this.drops[DROP.TX_FULL]! + 1;
  }

  /**
   * Sends the IP packet `buf[l3Off, l3Off + ipLen)` out of interface `slot` to next hop `nh`:
   * writes the Ethernet header into the 14 bytes before l3Off when the MAC is known, else queues
   * a copy and probes (dropping it when the queue or the table is full).
   */
  sendL3(
    buf: Uint8Array,
    l3Off: number,
    ipLen: number,
    etherType: number,
    slot: number,
    nh: number,
    now: number,
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
      writeEth(buf, l3Off - ETH_LEN, neigh.macs, n * 6, this.ifMac, slot * 6, etherType);
      this.tx(buf, l3Off - ETH_LEN, ipLen + ETH_LEN, this.ifIndex[slot]!);
      return;
    }
    const s = neigh.enqueue(n, ipLen + ETH_LEN);
    if (s < 0) {
      this.drop(DROP.NEIGH_QUEUE_FULL);
      return;
    }
    const q = s * neigh.slotBytes;
    writeEth(neigh.qbuf, q, ZERO_MAC, 0, this.ifMac, slot * 6, etherType);
    copyBytes(neigh.qbuf, q + ETH_LEN, buf, l3Off, ipLen);
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
    writeArp(a, o + ETH_LEN, 1, this.ifMac, slot * 6, this.ifAddr4[slot]!, ZERO_MAC, 0, this.neigh.ipOf(n));
    this.arpRequests++;
    this.tx(a, o, 42, this.ifIndex[slot]!);
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
    }
    let s = neigh.learn(n, mac, macOff, now, permanent);
    const ifx = neigh.ifindex[n]!;
    while (s >= 0) {
      const q = s * neigh.slotBytes;
      for (let k = 0; k < 6; k++) neigh.qbuf[q + k] = mac[macOff + k]!;
      this.tx(neigh.qbuf, q, neigh.qlen[s]!, ifx);
      s = neigh.nextQueued(s);
    }
  }

  /** Makes the batch's memory reusable: clears the actions, the arena and released queue slots. */
  flush(): void {
    this.actions.clear();
    this.arenaUsed = 0;
    this.neigh.flush();
  }
}

/** Writes a 28-byte Ethernet/IPv4 ARP packet at `off` (RFC 826). */
export function writeArp(
  b: Uint8Array,
  off: number,
  op: number,
  sha: Uint8Array,
  shaOff: number,
  spa: number,
  tha: Uint8Array,
  thaOff: number,
  tpa: number,
): void {
  b[off] = 0;
  b[off + 1] = 1;
  b[off + 2] = 0x08;
  b[off + 3] = 0;
  b[off + 4] = 6;
  b[off + 5] = 4;
  b[off + 6] = 0;
  b[off + 7] = op;
  for (let k = 0; k < 6; k++) {
    b[off + 8 + k] = sha[shaOff + k]!;
    b[off + 18 + k] = tha[thaOff + k]!;
  }
  wr32(b, off + 14, spa);
  wr32(b, off + 24, tpa);
}

function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
