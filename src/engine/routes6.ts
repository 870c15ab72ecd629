/**
 * IPv6 route lookups, injected like the IPv4 ones (routes.ts): the daemon reads the kernel's
 * table, tests and `lvsd simulate` use {@link StaticRoutes6}. The answer lands in a caller-owned
 * {@link RouteResult6}, so a lookup allocates nothing.
 */

/** The answer of an IPv6 route lookup. */
export class RouteResult6 {
  /** Egress interface. */
  ifindex = 0;
  /** Next-hop gateway; meaningful when {@link hasGateway}. */
  readonly gateway = new Uint8Array(16);
  /** False when the destination is on-link (the next hop is the destination itself). */
  hasGateway = false;
  /** Preferred source; meaningful when {@link hasSrc}. */
  readonly src = new Uint8Array(16);
  /** False when the interface's own address is the source. */
  hasSrc = false;
  /** Route MTU, or 0 for the interface MTU. */
  mtu = 0;
}

/** An injected IPv6 routing table. */
export interface RouteTable6 {
  /** Fills `out` for the destination at `dst[off, off + 16)`; false when there is no route. */
  lookup6(dst: Uint8Array, off: number, out: RouteResult6): boolean;
}

/** One static IPv6 route. */
export interface StaticRoute6 {
  /** Network address (16 bytes) and prefix length. */
  readonly prefix: Uint8Array;
  readonly len: number;
  readonly ifindex: number;
  /** Gateway (16 bytes), absent when on-link. */
  readonly gateway?: Uint8Array;
  /** Preferred source (16 bytes). */
  readonly src?: Uint8Array;
  readonly mtu?: number;
}

/** Longest-prefix match over a handful of routes, kept sorted longest first. */
export class StaticRoutes6 implements RouteTable6 {
  private routes: StaticRoute6[] = [];

  constructor(routes: readonly StaticRoute6[] = []) {
    for (const r of routes) this.add(r);
  }

  /** Adds a route (off the hot path). */
  add(r: StaticRoute6): void {
    if (r.prefix.length !== 16 || r.len < 0 || r.len > 128) throw new RangeError('bad IPv6 route');
    this.routes = [...this.routes, r].sort((a, b) => b.len - a.len);
  }

  /** Longest-prefix match. */
  lookup6(dst: Uint8Array, off: number, out: RouteResult6): boolean {
    for (const r of this.routes) {
      if (!prefixMatch(r.prefix, dst, off, r.len)) continue;
      out.ifindex = r.ifindex;
      out.hasGateway = r.gateway !== undefined;
      if (r.gateway) out.gateway.set(r.gateway);
      out.hasSrc = r.src !== undefined;
      if (r.src) out.src.set(r.src);
      out.mtu = r.mtu ?? 0;
      return true;
    }
    return false;
  }
}

/** True when the first `len` bits of `a` and `b[off..]` agree. */
export function prefixMatch(a: Uint8Array, b: Uint8Array, off: number, len: number): boolean {
  let bits = len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i]! ^ b[off + i]!) & m) !== 0) return false;
  }
  return true;
}
