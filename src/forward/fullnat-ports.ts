/**
 * FULLNAT local addresses and ports: which LIP:lport a new connection leaves from, and the small
 * per-connection state TOA needs. The uniqueness rule is the reply tuple's, as nf_nat's
 * get_unique_tuple and DPVS's sa_pool enforce: (protocol, RIP:rport, LIP:lport) must identify one
 * connection, because that is how replies find it. A port is therefore free for a given real
 * server as long as the connection table holds no conn with that reply tuple; ports come back by
 * themselves when their conn expires (no release call, nothing to leak), and one lport can serve
 * many real servers at once. LIPs are used round robin per service (DPVS laddr_select), ports
 * sequentially from a per-LIP cursor, which spreads reuse evenly and keeps the common case at one
 * hash probe. Nothing allocates per packet.
 */
import type { ConnTable } from '../core/conn-table.js';

/** Default lport range: everything above the well-known ports. */
export const LPORT_MIN = 1024;
/** Upper end of the lport range (inclusive). */
export const LPORT_MAX = 65535;
/** Ports tried on one LIP before moving to the next (bounds the cost when a LIP is nearly full). */
export const LPORT_TRIES = 256;

/** Per-connection FULLNAT flags in {@link FullnatPorts.state}. */
export const FNAT_S = {
  /** The server's SYN-ACK was seen: `fdataSeq` holds its ISN + 1 (DPVS fnat_seq.fdata_seq). */
  FDATA: 1,
} as const;

/** LIP/lport allocation and per-conn TOA state. */
export class FullnatPorts {
  /** Chosen by {@link allocate}: the LIP (host-order u32) and lport. */
  lip = 0;
  lport = 0;
  /** Per-conn state flags (FNAT_S), indexed by conn index. */
  state = new Uint8Array(1024);
  /** Per-conn ISN + 1 of the server's SYN-ACK, indexed by conn index. */
  fdataSeq = new Uint32Array(1024);
  private readonly min: number;
  private readonly span: number;
  // Per-LIP port cursors, keyed by the LIP's index in the engine's LIP list; per-service LIP cursor.
  private cursors = new Uint32Array(16);
  private svcCursor = new Uint32Array(16);
  private readonly d = new Uint32Array(4);
  private readonly l = new Uint32Array(4);

  constructor(min = LPORT_MIN, max = LPORT_MAX) {
    this.min = Math.max(1, Math.min(min, max));
    this.span = Math.max(min, max) - this.min + 1;
  }

  /**
   * Picks LIP:lport for a new conn to `rip:rport` (IPv4) of service `svcId`, from `lips[lipBase,
   * lipBase + nLips)` (host-order u32), with `lipIds` giving each LIP's global index for its cursor.
   * Sets `lip`/`lport` and returns true, or false when every LIP is out of ports for this RIP.
   */
  allocate(
    conns: ConnTable,
    proto: number,
    svcId: number,
    lips: Uint32Array,
    lipIds: Uint32Array,
    lipBase: number,
    nLips: number,
    rip: number,
    rport: number,
  ): boolean {
    this.d[0] = rip >>> 0;
    this.d[1] = 0;
    this.d[2] = 0;
    this.d[3] = 0;
    return this.search(conns, proto, svcId, lips, 1, lipIds, lipBase, nLips, rport);
  }

  /**
   * {@link allocate} for IPv6: `lips6` holds 4 words per LIP (big-endian u32s of the address),
   * `rip6` the real server's 4 words. The chosen LIP is in {@link lipWords}.
   */
  allocate6(
    conns: ConnTable,
    proto: number,
    svcId: number,
    lips6: Uint32Array,
    lipIds: Uint32Array,
    lipBase: number,
    nLips: number,
    rip6: Uint32Array,
    rport: number,
  ): boolean {
    for (let k = 0; k < 4; k++) this.d[k] = rip6[k]!;
    return this.search(conns, proto, svcId, lips6, 4, lipIds, lipBase, nLips, rport);
  }

  /** The words of the LIP the last allocation chose (word 0 alone for IPv4). */
  get lipWords(): Uint32Array {
    return this.l;
  }

  // The search both families share: the RIP is in `d`; LIP li's `w` words start at lips[li * w].
  private search(
    conns: ConnTable,
    proto: number,
    svcId: number,
    lips: Uint32Array,
    w: number,
    lipIds: Uint32Array,
    lipBase: number,
    nLips: number,
    rport: number,
  ): boolean {
    if (nLips <= 0) return false;
    if (svcId >= this.svcCursor.length) this.svcCursor = grow32(this.svcCursor, svcId + 1);
    const start = this.svcCursor[svcId]! % nLips;
    this.svcCursor[svcId] = start + 1;
    const tries = Math.min(LPORT_TRIES, this.span);
    for (let k = 0; k < nLips; k++) {
      const li = lipBase + ((start + k) % nLips);
      const id = lipIds[li]!;
      if (id >= this.cursors.length) this.cursors = grow32(this.cursors, id + 1);
      for (let j = 0; j < 4; j++) this.l[j] = j < w ? lips[li * w + j]! >>> 0 : 0;
      let c = this.cursors[id]!;
      for (let t = 0; t < tries; t++) {
        const port = this.min + (c % this.span);
        c++;
        if (conns.findOutLocal(proto, this.d, rport, this.l, port) < 0) {
          this.cursors[id] = c % this.span;
          this.lip = this.l[0]!;
          this.lport = port;
          return true;
        }
      }
      this.cursors[id] = c % this.span;
    }
    return false;
  }

  /** Resets the per-conn state of a freshly created conn `idx` (conn indexes are reused). */
  resetConn(idx: number): void {
    if (idx >= this.state.length) {
      let n = this.state.length;
      while (n <= idx) n *= 2;
      const s = new Uint8Array(n);
      s.set(this.state);
      this.state = s;
      this.fdataSeq = grow32(this.fdataSeq, n);
    }
    this.state[idx] = 0;
    this.fdataSeq[idx] = 0;
  }
}

function grow32(a: Uint32Array, min: number): Uint32Array<ArrayBuffer> {
  let n = a.length;
  while (n < min) n *= 2;
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
