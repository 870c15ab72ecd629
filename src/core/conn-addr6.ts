/**
 * The connection table's IPv6 address side table: 12 words per slot (client 0-3, virtual 4-7,
 * destination 8-11, network word order) with its own free list. Only entries with an IPv6
 * address take a slot, so IPv4 entries keep one word per address in the main arrays (the kernel's
 * struct ip_vs_conn holds union nf_inet_addr, 16 bytes, for every address of every conn:
 * include/net/ip_vs.h).
 */

import { fold6 } from './conn-hash.js';
import type { AddrWords } from './conn-record.js';

/** Word offset of an address within a slot: 0 client, 4 virtual, 8 destination. */
export type Addr6Which = 0 | 4 | 8;

/** The side table, grown by doubling. */
export class ConnAddr6 {
  /** The address words, 12 per slot; replaced on growth, so never cache it. */
  words: Uint32Array = new Uint32Array(0);
  private next: Int32Array = new Int32Array(0);
  private cap = 0;
  private high = 0;
  private free = -1;

  /** Bytes held by the side table's arrays. */
  bytes(): number {
    return this.words.byteLength + this.next.byteLength;
  }

  /** Takes a free slot (reusing the last released first). */
  alloc(): number {
    const f = this.free;
    if (f >= 0) {
      this.free = this.next[f] as number;
      return f;
    }
    if (this.high === this.cap) {
      const nc = Math.max(64, this.cap * 2);
      const w = new Uint32Array(nc * 12);
      w.set(this.words);
      this.words = w;
      const n = new Int32Array(nc);
      n.set(this.next);
      this.next = n;
      this.cap = nc;
    }
    return this.high++;
  }

  /**
   * Takes a slot and stores an entry's addresses in it: client and virtual when `af` is 6 (else
   * zeros), the destination as IPv6 when `daf` is 6 (else its IPv4 word 0). Returns the slot.
   */
  store(af: number, c: AddrWords, v: AddrWords, daf: number, d: AddrWords): number {
    const s = this.alloc();
    const o = s * 12;
    const w = this.words;
    for (let k = 0; k < 4; k++) {
      w[o + k] = af === 6 ? (c[k] as number) : 0;
      w[o + 4 + k] = af === 6 ? (v[k] as number) : 0;
      w[o + 8 + k] = daf === 6 ? (d[k] as number) : k === 0 ? (d[0] as number) : 0;
    }
    return s;
  }

  /** Gives slot `s` back to the free list. */
  release(s: number): void {
    this.next[s] = this.free;
    this.free = s;
  }

  /** True when address `which` of slot `s` equals `a` (4 words). */
  eq(s: number, which: Addr6Which, a: AddrWords): boolean {
    const o = s * 12 + which;
    const w = this.words;
    return w[o] === a[0] && w[o + 1] === a[1] && w[o + 2] === a[2] && w[o + 3] === a[3];
  }

  /** The 32-bit fold (conn-hash.ts fold6) of address `which` of slot `s`: its index key word. */
  fold(s: number, which: Addr6Which): number {
    const o = s * 12 + which;
    const w = this.words;
    return fold6(w[o] as number, w[o + 1] as number, w[o + 2] as number, w[o + 3] as number);
  }

  /** Copies address `which` of slot `s` into `out` (4 words). */
  read(s: number, which: Addr6Which, out: AddrWords): void {
    const o = s * 12 + which;
    for (let k = 0; k < 4; k++) out[k] = this.words[o + k] as number;
  }
}
