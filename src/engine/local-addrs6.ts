/**
 * The director's own IPv6 service addresses as the engine sees them: the VIPs of IPv6 services,
 * which the director's kernel does not hold, so the engine answers neighbour solicitations and
 * echo requests for them and recognises traffic to them (the IPv6 half of local-addrs.ts).
 * Rebuilt off the hot path whenever the service table's generation changes.
 */
import type { ServiceTable } from '../core/service-table.js';
import { Addr6Keys } from './addr6-keys.js';
import { LOCAL } from './local-addrs.js';

/** The set of IPv6 VIPs. */
export class LocalAddrs6 {
  private keys = new Addr6Keys(16);
  private kinds = new Uint8Array(17);
  /** Service-table generation this set was built from. */
  generation = -1;

  /** Rebuilds from the service table (IPv6 services with an address; fwmark services have none). */
  rebuild(table: ServiceTable): void {
    const addrs: Uint8Array[] = [];
    for (const s of table.list()) if (s.af === 6 && s.addrBytes?.length === 16) addrs.push(s.addrBytes);
    const keys = new Addr6Keys(Math.max(16, addrs.length));
    const kinds = new Uint8Array(keys.capacity + 1);
    for (const a of addrs) kinds[keys.intern(a, 0)] = LOCAL.VIP;
    this.keys = keys;
    this.kinds = kinds;
    this.generation = table.generation;
  }

  /** LOCAL bits of the address at `buf[off, off + 16)`, 0 if not ours. */
  kind(buf: Uint8Array, off: number): number {
    return this.kinds[this.keys.find(buf, off)]!;
  }
}
