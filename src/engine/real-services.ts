/**
 * The NAT real services of the service table, found by (family, protocol, address, port): the
 * kernel's rs_table and ip_vs_has_real_service() (net/netfilter/ipvs/ip_vs_ctl.c), which hashes
 * only masquerading dests (ip_vs_rs_hash() skips the other methods) and matches a dest of a
 * fwmark service whatever the protocol. ip_vs_out() asks it when nat_icmp_send is set, to tell a
 * NAT real server's stray packet from other traffic. Rebuilt off the hot path when the table's
 * generation changes; a lookup allocates nothing.
 */

import type { ServiceTable } from '../core/service-table.js';
import { FWD } from '../core/types.js';

/** Protocol bits of an entry: TCP, UDP, SCTP, or any (a fwmark service's dest). */
const P_TCP = 1;
const P_UDP = 2;
const P_SCTP = 4;
const P_ANY = 7;

function protoBit(proto: number): number {
  return proto === 6 ? P_TCP : proto === 17 ? P_UDP : proto === 132 ? P_SCTP : 0;
}

/** NAT real services by address and port. */
export class RealServices {
  private gen = -1;
  // IPv4: (address * 65536 + port) → protocol bits. IPv6: "hex address/port" → protocol bits.
  private v4 = new Map<number, number>();
  private v6 = new Map<string, number>();

  /** Whether `table` has a NAT dest at IPv4 `addr` (host-order u32 or int32 bits) and `port` for `proto`. */
  has4(table: ServiceTable, proto: number, addr: number, port: number): boolean {
    if (this.gen !== table.generation) this.rebuild(table);
    const bits = this.v4.get((addr >>> 0) * 65536 + port);
    return bits !== undefined && (bits & protoBit(proto)) !== 0;
  }

  /** {@link has4} for an IPv6 address: the 16 bytes at `b[off]`. Builds a string: off the fast path only. */
  has6(table: ServiceTable, proto: number, b: Uint8Array, off: number, port: number): boolean {
    if (this.gen !== table.generation) this.rebuild(table);
    if (this.v6.size === 0) return false;
    const bits = this.v6.get(`${hex16(b, off)}/${port}`);
    return bits !== undefined && (bits & protoBit(proto)) !== 0;
  }

  private rebuild(table: ServiceTable): void {
    const v4 = new Map<number, number>();
    const v6 = new Map<string, number>();
    for (const s of table.list()) {
      const bit = s.fwmark !== 0 ? P_ANY : protoBit(s.protocol);
      for (const d of s.dests) {
        if (d.fwd !== FWD.MASQ) continue;
        const a = d.addrBytes;
        if (d.af === 4) {
          const k = (((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0) * 65536 + d.port;
          v4.set(k, (v4.get(k) ?? 0) | bit);
        } else {
          const k = `${hex16(a, 0)}/${d.port}`;
          v6.set(k, (v6.get(k) ?? 0) | bit);
        }
      }
    }
    this.v4 = v4;
    this.v6 = v6;
    this.gen = table.generation;
  }
}

function hex16(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += (b[off + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
