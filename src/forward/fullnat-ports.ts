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

/** Why {@link FullnatPorts.assign} gave a conn no local address. */
export const FNAT_FAIL = {
  /** The service has no local address (of the conn's family). */
  NO_ADDRESS: -1,
  /** Every LIP is out of ports toward this real server. */
  NO_PORT: -2,
} as const;

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
   * Gives the new FULLNAT conn `idx` its LIP:lport for real server `rip` (4 words; IPv4 in word 0)
   * and `rport`: the service's LIPs are `lips[lipBase[svc] * w ...]` with `w` words each (1 for
   * IPv4, 4 for IPv6) and `lipIds` their cursor indexes; the choice is stored in the conn table
   * (setLocal) and the conn's TOA state reset. Returns lport, or a {@link FNAT_FAIL} code after
   * killing the conn, as DPVS drops a conn it cannot give a local address.
   */
  assign(
    conns: ConnTable,
    idx: number,
    lips: Uint32Array,
    w: number,
    lipIds: Uint32Array,
    lipBase: Int32Array,
    lipCount: Int32Array,
    rip: Uint32Array,
    rport: number,
  ): number {
    const svc = conns.svc[idx] as number;
    const n = svc < lipCount.length ? (lipCount[svc] as number) : 0;
    if (n === 0) {
      conns.kill(idx);
      return FNAT_FAIL.NO_ADDRESS;
    }
    for (let k = 0; k < 4; k++) this.d[k] = rip[k]! >>> 0;
    if (
      !this.search(conns, conns.proto[idx] as number, svc, lips, w, lipIds, lipBase[svc] as number, n, rport)
    ) {
      conns.kill(idx);
      return FNAT_FAIL.NO_PORT;
    }
    conns.setLocal(idx, this.l, this.lport);
    this.resetConn(idx);
    return this.lport;
  }

  /** The words of the LIP the last assignment chose (word 0 alone for IPv4). */
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

  /**
   * Records a real server's SYN-ACK for conn `idx` (DPVS tcp_out_init_seq: fdata_seq = its ISN
   * + 1), so the client segment acknowledging it is known as the first data one. `buf` holds the
   * TCP header at `tcpOff`.
   */
  sawSynAck(idx: number, buf: Uint8Array, tcpOff: number): void {
    const o = tcpOff + 4;
    this.fdataSeq[idx] =
      (((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) + 1) >>> 0;
    this.state[idx] = (this.state[idx] as number) | FNAT_S.FDATA;
  }

  /**
   * True if a client TCP segment with flags `flags` (TCP header at `tcpOff`) of conn `idx` gets
   * TOA, as DPVS tcp_fnat_in_handler decides: the SYN, and segments acknowledging the server's
   * SYN-ACK (neither SYN, RST nor FIN).
   */
  wantsToa(idx: number, buf: Uint8Array, tcpOff: number, flags: number): boolean {
    if ((flags & 0x12) === 0x02) return true;
    if (flags & 0x07) return false;
    if (((this.state[idx] as number) & FNAT_S.FDATA) === 0) return false;
    const o = tcpOff + 8;
    const ack = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
    return ack === this.fdataSeq[idx];
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
