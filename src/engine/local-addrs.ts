/**
 * The director's own IPv4 addresses as the engine sees them: VIPs (from services) and FULLNAT
 * local addresses (LIPs), which the director's kernel does not hold, so the engine answers ARP
 * and echo requests for them and recognises traffic to them. Built off the hot path whenever the
 * service table's generation changes, as one open-addressing set in typed arrays, plus each
 * service's LIP list for FULLNAT port allocation. Addresses held back by {@link LocalAddrs.withhold}
 * (VRRP VIPs of instances this director is not MASTER for) are left out of the set, so the engine
 * neither answers nor takes traffic for them (RFC 5798 §6.4.2: a Backup router must not respond
 * to ARP requests for, nor accept packets addressed to, the IPvX addresses of the virtual router).
 */
import { parseIPv4 } from '../core/addr.js';
import type { Service } from '../core/service.js';
import type { ServiceTable } from '../core/service-table.js';
import { MarkTable } from './mark-table.js';

/**
 * Address kinds (bits). ADDR: an address the director answers ARP, neighbour solicitations and
 * echo for without serving anything on it, such as a VRRP address that is no VIP or LIP (a NAT
 * pair's inside gateway): keepalived puts such an address on the master's interface, where the
 * kernel answers for it; the packet plane's kernel holds none of the pair's addresses, so the
 * engine answers instead.
 */
export const LOCAL = { VIP: 1, LIP: 2, ADDR: 4 } as const;

/** The set of local addresses and per-service LIP lists. */
export class LocalAddrs {
  // int32 keys (`| 0`), so lookups of addresses above 2^31 compare small integers, not doubles.
  private keys = new Int32Array(16);
  private kinds = new Uint8Array(16);
  private mask = 15;
  /** All LIPs of all services, grouped per service; `lipId` is each LIP's distinct index. */
  lips = new Uint32Array(0);
  lipIds = new Uint32Array(0);
  /** Per service id: start and count in `lips`. */
  lipBase = new Int32Array(0);
  lipCount = new Int32Array(0);
  /** Service-table generation this set was built from. */
  generation = -1;
  // Addresses left out of the set (host-order u32): VRRP VIPs this director does not own now.
  private held: ReadonlySet<number> = new Set();
  // Addresses in the set as LOCAL.ADDR (host-order u32): VRRP addresses this director owns now.
  private owned: ReadonlySet<number> = new Set();
  /** The mark rules in force: their single destinations are VIPs of the fwmark services they feed. */
  marks = new MarkTable([]);

  /**
   * Leaves `addrs` (host-order u32) out of the set from now on, replacing the previous list, and
   * rebuilds it from `table` at once: called off the hot path when a VRRP instance changes state.
   */
  withhold(addrs: Iterable<number>, table: ServiceTable): void {
    this.held = new Set(Array.from(addrs, (a) => a >>> 0));
    this.rebuild(table);
  }

  /**
   * Answers for `addrs` (host-order u32) from now on as LOCAL.ADDR, replacing the previous list,
   * and rebuilds from `table` at once: the VRRP addresses of the instances this director is MASTER
   * for, called off the hot path when one changes state.
   */
  own(addrs: Iterable<number>, table: ServiceTable): void {
    this.owned = new Set(Array.from(addrs, (a) => a >>> 0));
    this.rebuild(table);
  }

  /** Rebuilds from the service table (IPv4 services only) and the owned addresses. */
  rebuild(table: ServiceTable): void {
    const c = collectLocal(
      table,
      4,
      (s) => {
        const b = s.addrBytes;
        return b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : undefined;
      },
      (l) => {
        const a = parseIPv4(l);
        return a === undefined ? undefined : a >>> 0;
      },
    );
    const entries = c.entries;
    for (const s of table.list()) {
      if (s.af !== 4 || s.key.kind !== 'fwmark') continue;
      for (const b of this.marks.hostDsts(4, s.fwmark))
        entries.push([((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, LOCAL.VIP]);
    }
    // Only those that are no VIP or LIP: a VIP's kind stays exactly VIP (the fast path tests that).
    const served = new Set(entries.map(([a]) => a));
    for (const a of this.owned) if (!served.has(a)) entries.push([a, LOCAL.ADDR]);
    let cap = 16;
    while (cap < entries.length * 4) cap *= 2;
    this.keys = new Int32Array(cap);
    this.kinds = new Uint8Array(cap);
    this.mask = cap - 1;
    for (const [u, k] of entries) {
      if (this.held.has(u)) continue;
      const a = u | 0;
      let i = hash(a) & this.mask;
      while (this.kinds[i] !== 0 && this.keys[i] !== a) i = (i + 1) & this.mask;
      this.keys[i] = a;
      this.kinds[i] = (this.kinds[i] as number) | k;
    }
    this.lips = Uint32Array.from(c.lips);
    this.lipIds = Uint32Array.from(c.lipIds);
    this.lipBase = c.base;
    this.lipCount = c.count;
    this.lastKind = -1;
    this.generation = table.generation;
  }

  // The last answer: traffic mostly goes to a few VIPs, so consecutive packets ask the same.
  private lastAddr = 0;
  private lastKind = -1;

  /** LOCAL bits of `addr` (host-order u32), 0 if not ours. */
  kind(addr: number): number {
    const a = addr | 0;
    if (a === this.lastAddr && this.lastKind >= 0) return this.lastKind;
    const k = this.probe(a);
    this.lastAddr = a;
    this.lastKind = k;
    return k;
  }

  private probe(a: number): number {
    let i = hash(a) & this.mask;
    for (;;) {
      const k = this.kinds[i]!;
      if (k === 0) return 0;
      if (this.keys[i] === a) return k;
      i = (i + 1) & this.mask;
    }
  }
}

function hash(a: number): number {
  const h = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

/** The VIPs and LIPs of one family's services, with each service's LIP list (see collectLocal). */
export interface LocalCollection<T> {
  /** Every address with its LOCAL kind. */
  readonly entries: [T, number][];
  /** All LIPs of all services, grouped per service. */
  readonly lips: T[];
  /** Each LIP's distinct index (one port cursor per address), per entry of `lips`. */
  readonly lipIds: number[];
  /** Per service id: first entry and count in `lips`. */
  readonly base: Int32Array<ArrayBuffer>;
  readonly count: Int32Array<ArrayBuffer>;
}

/**
 * Walks the services of family `af` once for both address sets (this file's IPv4 one and
 * local-addrs6.ts): each VIP (`vipOf`) and each parsable local address (`parse`), in the
 * representation the caller keys by; equal LIPs share one id (by their text).
 */
export function collectLocal<T>(
  table: ServiceTable,
  af: number,
  vipOf: (s: Service) => T | undefined,
  parse: (text: string) => T | undefined,
): LocalCollection<T> {
  const entries: [T, number][] = [];
  const lips: T[] = [];
  const lipIds: number[] = [];
  const ids = new Map<string, number>();
  let maxSvc = 0;
  for (const s of table.list()) maxSvc = Math.max(maxSvc, s.id + 1);
  const base = new Int32Array(maxSvc);
  const count = new Int32Array(maxSvc);
  for (const s of table.list()) {
    if (s.af !== af) continue;
    const vip = vipOf(s);
    if (vip !== undefined) entries.push([vip, LOCAL.VIP]);
    base[s.id] = lips.length;
    for (const l of s.laddrs) {
      const a = parse(l);
      if (a === undefined) continue;
      entries.push([a, LOCAL.LIP]);
      let id = ids.get(l);
      if (id === undefined) {
        id = ids.size;
        ids.set(l, id);
      }
      lips.push(a);
      lipIds.push(id);
    }
    count[s.id] = lips.length - (base[s.id] ?? 0);
  }
  return { entries, lips, lipIds, base, count };
}
