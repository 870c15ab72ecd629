/**
 * Route lookups are injected (the daemon reads the kernel's table; tests and `lvsd simulate` use
 * {@link StaticRoutes}). The engine asks one question per forwarded packet, "which interface and
 * next hop for this IPv4 destination, and from which source address", and answers arrive in a
 * caller-owned {@link RouteResult} so the lookup allocates nothing.
 */

/** The answer of a route lookup; the engine owns one and passes it to every lookup. */
export class RouteResult {
  /** Egress interface. */
  ifindex = 0;
  /** Next-hop gateway (host-order u32), or 0 when the destination is on-link. */
  gateway4 = 0;
  /** Preferred source address on this route (host-order u32), or 0 for the interface's address. */
  src4 = 0;
  /** Route MTU, or 0 for the interface MTU. */
  mtu = 0;
  /**
   * True when the destination is one of the host's own addresses (a route of type `local`, as
   * the kernel's local table holds): the packet is for the director's own stack, not a next hop.
   */
  local = false;
}

/** An injected IPv4 routing table. */
export interface RouteTable {
  /** Fills `out` for destination `dst` (host-order u32); false when there is no route. */
  lookup4(dst: number, out: RouteResult): boolean;
  /**
   * Changes whenever any answer may change. Optional: without it the engine looks the route up
   * for every packet; with it the engine caches routes per real server (the kernel's dest_dst).
   */
  readonly generation?: number;
}

// Every StaticRoutes contents gets a distinct generation, so swapping one table for another counts as a change.
let routeGenerations = 0;

/** One static route. */
export interface StaticRoute {
  /** Network address (host-order u32) and prefix length. */
  readonly prefix: number;
  readonly len: number;
  readonly ifindex: number;
  /** Gateway (0 = on-link). */
  readonly gateway?: number;
  /** Preferred source (0 = interface address). */
  readonly src?: number;
  readonly mtu?: number;
  /** A host address of the director (`ip route show table local` type local). */
  readonly local?: boolean;
}

/**
 * A small longest-prefix-match table in typed arrays, kept sorted by prefix length so the first
 * match wins. Linear in the number of routes: directors have a handful.
 */
export class StaticRoutes implements RouteTable {
  // int32 prefixes and masks: compares stay on small integers for addresses above 2^31.
  private prefix = new Int32Array(0);
  private mask = new Int32Array(0);
  private ifindex = new Int32Array(0);
  private gateway = new Uint32Array(0);
  private src = new Uint32Array(0);
  private mtu = new Uint32Array(0);
  private local = new Uint8Array(0);
  private readonly routes: StaticRoute[] = [];
  /** Distinct for every contents of every StaticRoutes (see RouteTable.generation). */
  generation = 0;

  constructor(routes: readonly StaticRoute[] = []) {
    for (const r of routes) this.routes.push(r);
    this.rebuild();
  }

  /** Adds a route (off the hot path: rebuilds the arrays). */
  add(r: StaticRoute): void {
    this.routes.push(r);
    this.rebuild();
  }

  private rebuild(): void {
    this.generation = ++routeGenerations;
    const rs = [...this.routes].sort((a, b) => b.len - a.len);
    const n = rs.length;
    this.prefix = new Int32Array(n);
    this.mask = new Int32Array(n);
    this.ifindex = new Int32Array(n);
    this.gateway = new Uint32Array(n);
    this.src = new Uint32Array(n);
    this.mtu = new Uint32Array(n);
    this.local = new Uint8Array(n);
    rs.forEach((r, i) => {
      const m = r.len <= 0 ? 0 : r.len >= 32 ? 0xffffffff : (0xffffffff << (32 - r.len)) >>> 0;
      this.mask[i] = m | 0;
      this.prefix[i] = r.prefix & m;
      this.ifindex[i] = r.ifindex;
      this.gateway[i] = r.gateway ?? 0;
      this.src[i] = r.src ?? 0;
      this.mtu[i] = r.mtu ?? 0;
      this.local[i] = r.local ? 1 : 0;
    });
  }

  /** Longest-prefix match. */
  lookup4(dst: number, out: RouteResult): boolean {
    const n = this.prefix.length;
    const d = dst | 0;
    for (let i = 0; i < n; i++) {
      if ((d & this.mask[i]!) === this.prefix[i]) {
        out.ifindex = this.ifindex[i]!;
        out.gateway4 = this.gateway[i]!;
        out.src4 = this.src[i]!;
        out.mtu = this.mtu[i]!;
        out.local = this.local[i] === 1;
        return true;
      }
    }
    return false;
  }
}
