/**
 * Firewall-mark classification on the packet plane: the compiled form of the mark rules
 * (core/mark-rule.ts), evaluated for a packet before the service lookup so that the fwmark
 * table is tried first, as the kernel's ip_vs_service_find() does with the skb->mark that
 * iptables/nftables set in PREROUTING (net/netfilter/ipvs/ip_vs_ctl.c). Built off the hot path
 * from a rule list and swapped in whole; classifying allocates nothing and does one table lookup
 * per packet: a per-protocol array indexed by destination port yields the rules that can match
 * that port (in rule order); IPv4 rules for one destination address (the usual `dst VIP`) are
 * found by one hash probe on (that list, destination), the others are tested in order (addresses
 * as masked 32-bit words, source ports as ranges, the input interface as an ifindex). First
 * match wins.
 */
import type { MarkPrefix, MarkRule } from '../core/mark-rule.js';
import type { Flow } from '../packet/flow.js';

const PROTOS = [6, 17, 132];

/** An interface name's ifindex, or undefined when the host has no such interface. */
export type IfindexOf = (name: string) => number | undefined;

/** The compiled rules. An empty table classifies every packet as mark 0. */
export class MarkTable {
  /** Number of rules compiled. */
  readonly size: number;
  /** The rules as given (for status and for {@link hostDsts}). */
  readonly rules: readonly MarkRule[];
  // Per protocol slot, dport → list number L. generic[L] is the offset in `lists` of the rules
  // that can match that port other than IPv4 single-destination ones (each list ends with -1);
  // those are found by (L, destination) in the open-addressing table hL/hDst → hOff instead, so
  // many VIPs sharing a port cost one probe, not a scan.
  private readonly byPort: Uint32Array[];
  private readonly generic: Int32Array;
  private readonly lists: Int32Array;
  private readonly hL: Int32Array;
  private readonly hDst: Int32Array;
  private readonly hOff: Int32Array;
  private readonly hMask: number;
  private readonly mark: Uint32Array;
  private readonly af: Uint8Array;
  // Per rule 8 words: dst value, dst mask (4 each); same for src. Mask all-zero = no match on it.
  private readonly dst: Int32Array;
  private readonly src: Int32Array;
  private readonly hasSrc: Uint8Array;
  private readonly hasDst: Uint8Array;
  // Per rule: start and count of its source-port ranges in `sports` (count 0 = any).
  private readonly spBase: Int32Array;
  private readonly spCount: Int32Array;
  private readonly sports: Int32Array;
  // Per rule: required ifindex, -1 any, -2 an interface the host does not have (never matches).
  private readonly iif: Int32Array;

  constructor(rules: readonly MarkRule[], ifindexOf: IfindexOf = () => undefined) {
    const n = rules.length;
    this.size = n;
    this.rules = rules;
    this.mark = new Uint32Array(n);
    this.af = new Uint8Array(n);
    this.dst = new Int32Array(n * 8);
    this.src = new Int32Array(n * 8);
    this.hasDst = new Uint8Array(n);
    this.hasSrc = new Uint8Array(n);
    this.spBase = new Int32Array(n);
    this.spCount = new Int32Array(n);
    this.iif = new Int32Array(n);
    const sp: number[] = [];
    rules.forEach((r, i) => {
      this.mark[i] = r.mark >>> 0;
      this.af[i] = r.af ?? 0;
      if (r.dst) this.hasDst[i] = putPrefix(this.dst, i, r.dst);
      if (r.src) this.hasSrc[i] = putPrefix(this.src, i, r.src);
      this.spBase[i] = sp.length / 2;
      for (const [lo, hi] of r.sport ?? []) sp.push(lo, hi);
      this.spCount[i] = sp.length / 2 - (this.spBase[i] as number);
      this.iif[i] = r.iif === undefined ? -1 : (ifindexOf(r.iif) ?? -2);
    });
    this.sports = Int32Array.from(sp);
    // Rule lists per (protocol, dport segment), shared when equal. List 0 is the empty list.
    const flat: number[] = [-1];
    const ids = new Map<string, number>([['', 0]]);
    const generic: number[] = [0];
    const hosts: [number, number, number][] = [];
    const host4 = (i: number) => rules[i]!.dst?.af === 4 && rules[i]!.dst!.len === 32;
    this.byPort = PROTOS.map((proto) => {
      const table = new Uint32Array(65536);
      const cut = new Set<number>([0, 65536]);
      const mine = rules.map((r, i) => (r.proto === 0 || r.proto === proto ? i : -1)).filter((i) => i >= 0);
      for (const i of mine) for (const [lo, hi] of rules[i]!.dport ?? []) cut.add(lo).add(hi + 1);
      const cuts = [...cut].sort((a, b) => a - b);
      for (let c = 0; c + 1 < cuts.length; c++) {
        const lo = cuts[c]!;
        const hi = cuts[c + 1]!;
        const list = mine.filter((i) => {
          const d = rules[i]!.dport;
          return !d || d.some(([a, b]) => a <= lo && lo <= b);
        });
        const key = list.join(',');
        let id = ids.get(key);
        if (id === undefined) {
          id = generic.length;
          ids.set(key, id);
          generic.push(flat.length);
          flat.push(...list.filter((i) => !host4(i)), -1);
          const byDst = new Map<number, number[]>();
          for (const i of list.filter(host4)) {
            const d = this.dst[i * 8]!;
            byDst.set(d, [...(byDst.get(d) ?? []), i]);
          }
          for (const [d, l] of byDst) {
            hosts.push([id, d, flat.length]);
            flat.push(...l, -1);
          }
        }
        if (id !== 0) table.fill(id, lo, hi);
      }
      return table;
    });
    this.lists = Int32Array.from(flat);
    this.generic = Int32Array.from(generic);
    let cap = 16;
    while (cap < hosts.length * 2) cap *= 2;
    this.hL = new Int32Array(cap);
    this.hDst = new Int32Array(cap);
    this.hOff = new Int32Array(cap);
    this.hMask = cap - 1;
    for (const [l, d, off] of hosts) {
      let h = hashKey(l, d) & this.hMask;
      while (this.hOff[h] !== 0) h = (h + 1) & this.hMask;
      this.hL[h] = l;
      this.hDst[h] = d;
      this.hOff[h] = off;
    }
  }

  // Offset in `lists` of the IPv4 single-destination rules of list L for destination d, or 0 (empty).
  private hostList(l: number, d: number): number {
    const m = this.hMask;
    for (let h = hashKey(l, d) & m; ; h = (h + 1) & m) {
      const off = this.hOff[h]!;
      if (off === 0 || (this.hL[h] === l && this.hDst[h] === d)) return off;
    }
  }

  /** The mark of an IPv4 TCP/UDP/SCTP packet (`flow` parsed, received on `ifindex`), 0 when none. */
  classify4(flow: Flow, ifindex: number): number {
    if (this.size === 0) return 0;
    const slot = protoSlot(flow.proto);
    if (slot < 0) return 0;
    const lists = this.lists;
    const l = this.byPort[slot]![flow.dport]!;
    if (l === 0) return 0;
    const d4 = flow.dst4 | 0;
    const s4 = flow.src4 | 0;
    // The first single-destination rule for d4 that matches, then any earlier generic rule.
    let best = 0x7fffffff;
    let k = this.hostList(l, d4);
    for (let i = lists[k]!; i >= 0; i = lists[++k]!) {
      if (this.hasSrc[i] && (s4 & this.src[i * 8 + 4]!) !== this.src[i * 8]!) continue;
      if (!this.rest(i, flow.sport, ifindex)) continue;
      best = i;
      break;
    }
    k = this.generic[l]!;
    for (let i = lists[k]!; i >= 0 && i < best; i = lists[++k]!) {
      const af = this.af[i]!;
      if (af === 6) continue;
      const o = i * 8;
      if (this.hasDst[i] && (d4 & this.dst[o + 4]!) !== this.dst[o]!) continue;
      if (this.hasSrc[i] && (s4 & this.src[o + 4]!) !== this.src[o]!) continue;
      if (!this.rest(i, flow.sport, ifindex)) continue;
      return this.mark[i]!;
    }
    return best === 0x7fffffff ? 0 : this.mark[best]!;
  }

  /** The mark of an IPv6 TCP/UDP/SCTP packet whose addresses lie in `buf` (flow.srcOff/dstOff). */
  classify6(buf: Uint8Array, flow: Flow, ifindex: number): number {
    if (this.size === 0) return 0;
    const slot = protoSlot(flow.proto);
    if (slot < 0) return 0;
    const lists = this.lists;
    let k = this.generic[this.byPort[slot]![flow.dport]!]!;
    for (let i = lists[k]!; i >= 0; i = lists[++k]!) {
      if (this.af[i] === 4) continue;
      if (this.hasDst[i] && !match6(buf, flow.dstOff, this.dst, i * 8)) continue;
      if (this.hasSrc[i] && !match6(buf, flow.srcOff, this.src, i * 8)) continue;
      if (!this.rest(i, flow.sport, ifindex)) continue;
      return this.mark[i]!;
    }
    return 0;
  }

  // Source port and input interface of rule i.
  private rest(i: number, sport: number, ifindex: number): boolean {
    const want = this.iif[i]!;
    if (want !== -1 && want !== ifindex) return false;
    const c = this.spCount[i]!;
    if (c === 0) return true;
    const b = this.spBase[i]! * 2;
    const sp = this.sports;
    for (let j = 0; j < c; j++) if (sport >= sp[b + 2 * j]! && sport <= sp[b + 2 * j + 1]!) return true;
    return false;
  }

  /**
   * The single destination addresses (a /32 or /128 `dst`) of the rules setting `mark` in family
   * `af`: the engine takes them as VIPs (answers ARP/NDP, takes their traffic) while a fwmark
   * service of that mark exists, as the kernel does for an address the host holds.
   */
  hostDsts(af: 4 | 6, mark: number): Uint8Array[] {
    return this.rules
      .filter((r) => r.mark === mark >>> 0 && r.dst?.af === af && r.dst.len === (af === 4 ? 32 : 128))
      .map((r) => r.dst!.bytes);
  }
}

function hashKey(l: number, d: number): number {
  const h = Math.imul(d ^ Math.imul(l, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}

// The byPort table of a protocol: TCP, UDP, SCTP, or -1.
function protoSlot(p: number): number {
  return p === 6 ? 0 : p === 17 ? 1 : p === 132 ? 2 : -1;
}

// Stores prefix p at rule i: value words then mask words (big-endian words of the address bytes).
function putPrefix(to: Int32Array, i: number, p: MarkPrefix): number {
  const o = i * 8;
  for (let w = 0; w < p.bytes.length / 4; w++) {
    const b = p.bytes;
    const v = (b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!;
    const bits = Math.max(0, Math.min(32, p.len - w * 32));
    const m = bits === 0 ? 0 : bits === 32 ? -1 : ~(-1 >>> bits);
    to[o + 4 + w] = m;
    to[o + w] = v & m;
  }
  return 1;
}

function match6(buf: Uint8Array, off: number, t: Int32Array, o: number): boolean {
  for (let w = 0; w < 4; w++) {
    const p = off + w * 4;
    const v = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    if ((v & t[o + 4 + w]!) !== t[o + w]!) return false;
  }
  return true;
}
