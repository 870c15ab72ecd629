/**
 * Which connection the rest of an IPv4 datagram belongs to, once its first fragment has been
 * forwarded. IPVS sees datagrams whole (netfilter reassembles before it, ip_vs_gather_frags);
 * the engine forwards fragments as they come instead: the first carries the ports, so it finds
 * (or schedules) the conn and is rewritten like any packet (the L4 checksum covers the whole
 * datagram, and an incremental update stays right), and the later ones, which carry no ports,
 * take the same conn and the same address rewrite from here. A direct-mapped table keyed by
 * (source, destination, IP ID, protocol): a newer datagram that hashes to a slot replaces the
 * older one, entries live for the kernel's ipfrag_time (30 s), and nothing allocates.
 */

/** Entry lifetime, as net.ipv4.ipfrag_time. */
export const FRAG_TIMEOUT_MS = 30_000;

/** Directions a remembered datagram was forwarded in. */
export const FRAG_DIR = {
  /** Client → VIP, to the real server. */
  REQUEST: 0,
  /** NAT real server → client. */
  REPLY: 1,
  /** FULLNAT real server → LIP. */
  REPLY_LIP: 2,
} as const;

/** The fragment table. */
export class FragTable {
  private readonly src: Int32Array;
  private readonly dst: Int32Array;
  private readonly key: Int32Array;
  private readonly expires: Float64Array;
  /** Conn index of slot `s` (valid after {@link find} returned s). */
  readonly conn: Int32Array;
  /** FRAG_DIR of slot `s`. */
  readonly dir: Uint8Array;
  private readonly mask: number;

  constructor(slots = 4096) {
    let n = 16;
    while (n < slots) n *= 2;
    this.mask = n - 1;
    this.src = new Int32Array(n);
    this.dst = new Int32Array(n);
    this.key = new Int32Array(n);
    this.expires = new Float64Array(n);
    this.conn = new Int32Array(n);
    this.dir = new Uint8Array(n);
  }

  /** Remembers that datagram (src, dst, id, proto) goes with conn `idx` in direction `dir`. */
  put(src: number, dst: number, id: number, proto: number, idx: number, dir: number, now: number): void {
    const k = (id << 8) | proto;
    const s = slotOf(src, dst, k) & this.mask;
    this.src[s] = src | 0;
    this.dst[s] = dst | 0;
    this.key[s] = k;
    this.expires[s] = now + FRAG_TIMEOUT_MS;
    this.conn[s] = idx;
    this.dir[s] = dir;
  }

  /** The slot of datagram (src, dst, id, proto) while it is remembered, else -1. */
  find(src: number, dst: number, id: number, proto: number, now: number): number {
    const k = (id << 8) | proto;
    const s = slotOf(src, dst, k) & this.mask;
    if (this.key[s] !== k || this.src[s] !== (src | 0) || this.dst[s] !== (dst | 0)) return -1;
    return now <= this.expires[s]! ? s : -1;
  }
}

function slotOf(a: number, b: number, k: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ k ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}
