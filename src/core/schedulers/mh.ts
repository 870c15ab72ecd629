/**
 * The `mh` scheduler (ip_vs_mh.c, Maglev hashing). Table size M is a prime from the kernel's list
 * (default 4093 = CONFIG_IP_VS_MH_TAB_INDEX 12). Each dest gets offset = h1(addr, port) mod M and
 * skip = h2(addr, port) mod (M - 1) + 1, with h1/h2 the kernel's hsiphash under its two fixed
 * keys, so tables match a 64-bit kernel's bit for bit. Weights are last_weight (the latest
 * non-zero weight): a quiesced dest keeps its slots. Lookup: slot = h1(client addr, port) mod M;
 * weight 0 or OVERLOAD means no dest unless `mh-fallback` re-hashes with roffset = offset + ihash
 * until an available dest or an empty slot.
 */
import type { Dest } from '../dest.js';
import { TableError } from '../errors.js';
import type { Service } from '../service.js';
import { SCHED_F } from '../types.js';
import { gcd, hasPorts, usable } from './common.js';
import { foldBytes, type HsipKey, hsiphash32, hsipKey } from './hash.js';
import type { DestChange, SchedPacket, Scheduler, SchedulerOptions } from './scheduler.js';

/** The kernel's table sizes (primes[] in ip_vs_mh.c), indexed by CONFIG_IP_VS_MH_TAB_INDEX - 8. */
export const MH_PRIMES: readonly number[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/** Default table size. */
export const MH_DEFAULT_SIZE = 4093;

/** generate_hash_secret: fixed keys, so every director builds the same table. */
const HASH1: HsipKey = hsipKey(2654435761, 2654435761);
const HASH2: HsipKey = hsipKey(2654446892, 2654446892);

/** Folds an address as ip_vs_mh_hashkey does for the service's family (first word for IPv4). */
function foldAs(af: number, b: Uint8Array): number {
  return foldBytes(b, af === 4 ? 4 : b.length);
}

/** ip_vs_mh_hashkey: hsiphash of offset + port + folded address (u32 wrap-around). */
export function mhHash(key: HsipKey, fold: number, port: number, offset: number): number {
  return hsiphash32((offset + port + fold) >>> 0, key);
}

/** Maglev hashing. */
export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  /** Table size M. */
  readonly size: number;
  /** IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2: caps turns at 2^bits per visit. */
  private readonly bits: number;
  /** Slot -> dest. */
  readonly lookup: (Dest | null)[];
  private readonly taken: Uint8Array;
  /** offset and skip depend only on (addr, port) and M: cached across rebuilds. */
  private readonly perm = new Map<Dest, { offset: number; skip: number }>();

  constructor(size: number) {
    const idx = MH_PRIMES.indexOf(size);
    if (idx < 0)
      throw new TableError('ERR_LVS_INVALID', `mh table size must be one of ${MH_PRIMES.join(', ')}`);
    this.size = size;
    this.bits = Math.trunc((idx + 8) / 2);
    this.lookup = new Array<Dest | null>(size).fill(null);
    this.taken = new Uint8Array(size);
  }

  init(svc: Service): void {
    this.reassign(svc);
  }

  destChanged(svc: Service, change: DestChange, dest: Dest): void {
    if (change === 'del') this.perm.delete(dest);
    this.reassign(svc);
  }

  schedule(svc: Service, pkt: SchedPacket): Dest | null {
    const flags = svc.config.flags;
    const port = (flags & SCHED_F.MH_PORT) !== 0 && hasPorts(pkt.protocol) ? pkt.srcPort : 0;
    const fold = foldAs(svc.af, pkt.srcAddr);
    const M = this.size;
    const ihash = mhHash(HASH1, fold, port, 0) % M;
    const d = this.lookup[ihash] ?? null;
    if ((flags & SCHED_F.MH_FALLBACK) === 0) return d && usable(d) ? d : null;
    if (!d) return null;
    if (usable(d)) return d;
    for (let offset = 0; offset < M; offset++) {
      const roffset = (offset + ihash) % M;
      const c = this.lookup[mhHash(HASH1, fold, port, roffset) % M] ?? null;
      if (!c) break;
      if (usable(c)) return c;
    }
    return null;
  }

  /** ip_vs_mh_dest_changed: gcd and shift of last_weights, then permutate and populate. */
  private reassign(svc: Service): void {
    const ds = svc.dests;
    const M = this.size;
    // More dests than slots: the kernel returns EINVAL from the hook and keeps the old table.
    if (ds.length > M) return;
    let g = 0;
    let maxW = 0;
    for (const d of ds) {
      const w = d.lastWeight;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > maxW) maxW = w;
    }
    if (g < 1) {
      this.lookup.fill(null);
      return;
    }
    const fls = 32 - Math.clz32(Math.trunc(maxW / g));
    const rshift = Math.max(0, fls - this.bits);
    const n = ds.length;
    const next = new Int32Array(n);
    const skip = new Int32Array(n);
    const turns = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const d = ds[k] as Dest;
      const p = this.permOf(svc.af, d);
      next[k] = p.offset;
      skip[k] = p.skip;
      const lw = d.lastWeight;
      turns[k] = Math.trunc(lw / g) >> rshift || (lw !== 0 ? 1 : 0);
    }
    const taken = this.taken;
    taken.fill(0);
    let filled = 0;
    let dt = 0;
    let k = 0;
    while (filled < M) {
      if (k >= n) k = 0;
      if ((turns[k] as number) < 1) {
        k++;
        continue;
      }
      let c = next[k] as number;
      while (taken[c]) {
        c += skip[k] as number;
        if (c >= M) c -= M;
      }
      next[k] = c;
      taken[c] = 1;
      this.lookup[c] = ds[k] as Dest;
      filled++;
      if (++dt >= (turns[k] as number)) {
        dt = 0;
        k++;
      }
    }
  }

  private permOf(af: number, d: Dest): { offset: number; skip: number } {
    let p = this.perm.get(d);
    if (!p) {
      const fold = foldAs(af, d.addrBytes);
      p = {
        offset: mhHash(HASH1, fold, d.port, 0) % this.size,
        skip: (mhHash(HASH2, fold, d.port, 0) % (this.size - 1)) + 1,
      };
      this.perm.set(d, p);
    }
    return p;
  }
}

/** Creates an `mh` scheduler; `opts.mhTableSize` must be one of {@link MH_PRIMES}. */
export function createMh(opts: SchedulerOptions = {}): Scheduler {
  return new MhScheduler(opts.mhTableSize || MH_DEFAULT_SIZE);
}
