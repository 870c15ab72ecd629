/**
 * Which connection the rest of an IPv6 datagram belongs to, once its first fragment has been
 * forwarded: the IPv6 twin of frag-table.ts. IPVS sees IPv6 datagrams whole, because
 * nf_defrag_ipv6 (net/ipv6/netfilter/nf_conntrack_reasm.c) reassembles them before
 * ip_vs_in_hook; the engine forwards fragments as they come instead. The first fragment carries
 * the L4 header, so it finds (or schedules) the conn and is rewritten like any packet (its L4
 * checksum covers the whole datagram, and an incremental update stays right); the later ones,
 * which carry only the Fragment header (RFC 8200 §4.5), take the same conn and the same address
 * rewrite from here. Keyed as the kernel's frag6 queues are (inet6_hash_frag / frag_v6_compare_key):
 * source, destination and the 32-bit Identification. A direct-mapped table: a newer datagram
 * that hashes to a slot replaces the older one; entries live for ip6frag_time (60 s,
 * IPV6_FRAG_TIMEOUT in include/net/ipv6.h); nothing allocates.
 */

/** Entry lifetime, as net.ipv6.ip6frag_time (60 s by default). */
export const FRAG6_TIMEOUT_MS = 60_000;

// Words per slot: 4 of source, 4 of destination, the identification.
const W = 9;

/** The IPv6 fragment table. Addresses are read straight from the packet (16 bytes at an offset). */
export class FragTable6 {
  private readonly keys: Int32Array;
  private readonly expires: Float64Array;
  /** Conn index of slot `s` (valid after {@link find} returned s). */
  readonly conn: Int32Array;
  /** FRAG_DIR (frag-table.ts) of slot `s`. */
  readonly dir: Uint8Array;
  private readonly mask: number;

  constructor(slots = 4096) {
    let n = 16;
    while (n < slots) n *= 2;
    this.mask = n - 1;
    this.keys = new Int32Array(n * W);
    this.expires = new Float64Array(n);
    this.conn = new Int32Array(n);
    this.dir = new Uint8Array(n);
  }

  /** Remembers that the datagram (buf[srcOff..+16], buf[dstOff..+16], id) goes with conn `idx` in direction `dir`. */
  put(
    buf: Uint8Array,
    srcOff: number,
    dstOff: number,
    id: number,
    idx: number,
    dir: number,
    now: number,
  ): void {
    const s = slotOf(buf, srcOff, dstOff, id) & this.mask;
    const k = this.keys;
    const b = s * W;
    for (let i = 0; i < 4; i++) {
      k[b + i] = rd32(buf, srcOff + i * 4);
      k[b + 4 + i] = rd32(buf, dstOff + i * 4);
    }
    k[b + 8] = id | 0;
    this.expires[s] = now + FRAG6_TIMEOUT_MS;
    this.conn[s] = idx;
    this.dir[s] = dir;
  }

  /** The slot of the datagram (source, destination, id) while it is remembered, else -1. */
  find(buf: Uint8Array, srcOff: number, dstOff: number, id: number, now: number): number {
    const s = slotOf(buf, srcOff, dstOff, id) & this.mask;
    const k = this.keys;
    const b = s * W;
    if (k[b + 8] !== (id | 0)) return -1;
    for (let i = 0; i < 4; i++) {
      if (k[b + i] !== rd32(buf, srcOff + i * 4) || k[b + 4 + i] !== rd32(buf, dstOff + i * 4)) return -1;
    }
    return now <= this.expires[s]! ? s : -1;
  }
}

function rd32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function slotOf(buf: Uint8Array, srcOff: number, dstOff: number, id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  for (let i = 0; i < 16; i += 4) {
    h = Math.imul(h ^ rd32(buf, srcOff + i) ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ rd32(buf, dstOff + i) ^ (h >>> 16), 0x27d4eb2f);
  }
  return h ^ (h >>> 15);
}
