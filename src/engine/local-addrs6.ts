/**
 * The director's own IPv6 service addresses as the engine sees them: the VIPs of IPv6 services
 * and their FULLNAT local addresses (LIPs), which the director's kernel does not hold, so the
 * engine answers neighbour solicitations and echo requests for them and recognises traffic to
 * them (the IPv6 half of local-addrs.ts), plus each service's LIP list for FULLNAT port
 * allocation. Rebuilt off the hot path whenever the service table's generation changes, and
 * without the addresses held back by {@link LocalAddrs6.withhold} (VRRP VIPs of instances this
 * director is not MASTER for: RFC 5798 §6.4.2, a Backup router does not answer Neighbor
 * Solicitations for them nor accept packets addressed to them).
 */
import { parseIPv6 } from '../core/addr.js';
import type { ServiceTable } from '../core/service-table.js';
import { Addr6Keys } from './addr6-keys.js';
import { collectLocal, LOCAL } from './local-addrs.js';
import { MarkTable } from './mark-table.js';

/** The set of IPv6 VIPs and LIPs. */
export class LocalAddrs6 {
  private keys = new Addr6Keys(16);
  private kinds = new Uint8Array(17);
  /** All IPv6 LIPs of all services, 4 big-endian words each, grouped per service. */
  lips = new Uint32Array(0);
  /** Each LIP's distinct index (its port cursor), per entry of {@link lips}. */
  lipIds = new Uint32Array(0);
  /** Per service id: first entry and count in {@link lips}. */
  lipBase = new Int32Array(0);
  lipCount = new Int32Array(0);
  /** Service-table generation this set was built from. */
  generation = -1;
  // Addresses left out of the set, as hex text (built off the hot path only).
  private held: ReadonlySet<string> = new Set();
  // Addresses in the set as LOCAL.ADDR: the VRRP addresses this director owns now.
  private owned: readonly Uint8Array[] = [];
  /** The mark rules in force: their single destinations are VIPs of the fwmark services they feed. */
  marks = new MarkTable([]);

  /**
   * Leaves `addrs` (16 bytes each) out of the set from now on, replacing the previous list, and
   * rebuilds it from `table` at once: called off the hot path when a VRRP instance changes state.
   */
  withhold(addrs: Iterable<Uint8Array>, table: ServiceTable): void {
    this.held = new Set(Array.from(addrs, hex16));
    this.rebuild(table);
  }

  /**
   * Answers for `addrs` (16 bytes each) from now on as LOCAL.ADDR (see local-addrs.ts), replacing
   * the previous list, and rebuilds from `table` at once.
   */
  own(addrs: Iterable<Uint8Array>, table: ServiceTable): void {
    this.owned = Array.from(addrs, (a) => Uint8Array.from(a));
    this.rebuild(table);
  }

  /** Rebuilds from the service table (IPv6 services; fwmark services have no address) and the owned addresses. */
  rebuild(table: ServiceTable): void {
    const c = collectLocal(
      table,
      6,
      (s) => (s.addrBytes?.length === 16 ? s.addrBytes : undefined),
      parseIPv6,
    );
    const entries = c.entries;
    for (const s of table.list())
      if (s.af === 6 && s.key.kind === 'fwmark')
        for (const b of this.marks.hostDsts(6, s.fwmark)) entries.push([b, LOCAL.VIP]);
    // Only those that are no VIP or LIP, as in local-addrs.ts.
    const served = new Set(entries.map(([a]) => hex16(a)));
    for (const a of this.owned) if (!served.has(hex16(a))) entries.push([a, LOCAL.ADDR]);
    const lipList = c.lips;
    const keys = new Addr6Keys(Math.max(16, entries.length));
    const kinds = new Uint8Array(keys.capacity + 1);
    for (const [a, k] of entries) {
      if (this.held.size > 0 && this.held.has(hex16(a))) continue;
      const id = keys.intern(a, 0);
      kinds[id] = (kinds[id] as number) | k;
    }
    const lips = new Uint32Array(lipList.length * 4);
    lipList.forEach((a, i) => {
      for (let k = 0; k < 4; k++) {
        lips[i * 4 + k] =
          ((a[k * 4]! << 24) | (a[k * 4 + 1]! << 16) | (a[k * 4 + 2]! << 8) | a[k * 4 + 3]!) >>> 0;
      }
    });
    this.keys = keys;
    this.kinds = kinds;
    this.lips = lips;
    this.lipIds = Uint32Array.from(c.lipIds);
    this.lipBase = c.base;
    this.lipCount = c.count;
    this.generation = table.generation;
  }

  /** LOCAL bits of the address at `buf[off, off + 16)`, 0 if not ours. */
  kind(buf: Uint8Array, off: number): number {
    return this.kinds[this.keys.find(buf, off)]!;
  }
}

function hex16(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += (a[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
