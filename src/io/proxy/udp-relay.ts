/**
 * The UDP relay for one virtual service: a flow per client (address, port) with its own socket
 * toward the real server the core picked, so replies can be told apart; replies go back through
 * the listening socket, so the client sees them come from VIP:port as NAT would. A flow lives as
 * long as its connection entry in the core, which the udp timeout (300 s, `--set`) expires.
 * With `-o` every datagram is scheduled on its own (ip_vs_core.c one-packet scheduling); the
 * client's socket is kept only to carry replies back, for one udp timeout after its last use.
 *
 * Why a socket per flow and not the kernel's one path for all: the kernel rewrites addresses in
 * place, so a reply carries the client's own address and port and finds its conn. A socket
 * proxy sends from its own address; the only thing in a real server's reply that says which
 * client it answers is the local port it was sent to, so each flow needs its own local port,
 * that is its own socket (one shared unconnected socket per real server, with sendto, could
 * not tell its replies apart). The cost is bounded instead: each flow socket is admitted by the
 * plane's descriptor budget (fd-budget.ts), which keeps UDP flows to half of it; a datagram that
 * would open a flow past it is dropped and counted, while flows already open carry on.
 */
import dgram from 'node:dgram';
import { ipBytes } from '../../core/addr.js';
import type { Service } from '../../core/service.js';
import { proxyHeader } from '../../forward/proxy-protocol.js';
import { DIR_IN, DIR_OUT, OPEN_REFUSED, type ProxyCore } from './core.js';
import type { FdBudget } from './fd-budget.js';

class Flow {
  up: dgram.Socket | null = null;
  idx = -1;
  last = 0;
  constructor(
    readonly key: number | string,
    readonly caddr: string,
    readonly cport: number,
    readonly cbytes: Uint8Array,
  ) {}
}

/** Options of {@link UdpRelay}. */
export interface UdpRelayOptions {
  /** The plane's descriptor budget; a flow socket past it is refused (none: no bound). */
  readonly budget?: FdBudget;
  /** Told after each refusal (the plane logs a notice). */
  readonly onRefused?: () => void;
  /**
   * Told when a flow's socket could not be opened for want of a local resource (EMFILE,
   * ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL): the director's failure, not the real server's.
   */
  readonly onLocalError?: (errno: string) => void;
}

const LOCAL_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

/** Relays datagrams of one UDP service. */
export class UdpRelay {
  private readonly flows = new Map<number | string, Flow>();
  private readonly byIdx = new Map<number, Flow>();
  /** Datagrams dropped because no real server was available. */
  noDest = 0;
  /** Datagrams of new flows refused by a connection-table defense (drop_packet, conn_max). */
  refused = 0;

  constructor(
    private readonly core: ProxyCore,
    /** The listening socket on VIP:port; replies leave through it. */
    private readonly sock: dgram.Socket,
    public svc: Service,
    private readonly udpTimeoutMs: () => number = () => core.udpTimeoutMs(),
    private readonly opts: UdpRelayOptions = {},
  ) {
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
  }

  /** Client flows currently open. */
  get flowCount(): number {
    return this.flows.size;
  }

  private onMessage(msg: Buffer, caddr: string, cport: number): void {
    const now = Date.now();
    const svc = this.svc;
    const key = flowKey(caddr, cport);
    let f = this.flows.get(key);
    const budget = this.opts.budget;
    if (!f?.up && budget && !budget.admitUdp()) {
      // No socket for a new flow: drop the datagram before it is scheduled or remembered.
      this.opts.onRefused?.();
      return;
    }
    if (!f) {
      f = new Flow(key, caddr, cport, addrBytes(caddr));
      this.flows.set(key, f);
    }
    f.last = now;
    let idx = f.idx;
    if (svc.onePacket || idx < 0) {
      idx = this.core.openConn(svc, f.cbytes, cport, svc.addrBytes as Uint8Array, svc.port, now);
      if (idx < 0) {
        if (idx === OPEN_REFUSED) this.refused++;
        else this.noDest++;
        if (!f.up) this.flows.delete(key);
        return;
      }
      if (!svc.onePacket) {
        f.idx = idx;
        this.byIdx.set(idx, f);
      }
    }
    const d = this.core.connDest(idx);
    if (!d) return;
    this.core.countBytes(idx, DIR_IN, msg.length + udpOverhead(svc.af), 1, now);
    if (svc.onePacket) this.core.dropConn(idx, now);
    const up = f.up ?? this.openUp(f, d.af);
    let out: Uint8Array = msg;
    if (d.proxyProtocol === 2) {
      // v2 names UDP; the header leads every datagram since each one stands alone.
      const h = proxyHeader(2, {
        protocol: 17,
        srcAddr: f.cbytes,
        srcPort: cport,
        dstAddr: svc.addrBytes as Uint8Array,
        dstPort: svc.port,
      });
      out = Buffer.concat([h, msg]);
    }
    up.send(out, d.port, d.addr);
  }

  private openUp(f: Flow, af: number): dgram.Socket {
    const up = dgram.createSocket(af === 6 ? 'udp6' : 'udp4');
    f.up = up;
    if (this.opts.budget) this.opts.budget.udpSockets++;
    up.on('message', (m) => {
      const now = Date.now();
      f.last = now;
      if (f.idx >= 0) this.core.countBytes(f.idx, DIR_OUT, m.length + udpOverhead(af), 1, now);
      this.sock.send(m, f.cport, f.caddr);
    });
    up.on('error', (e: NodeJS.ErrnoException) => this.flowError(f, e));
    return up;
  }

  // A flow socket failed (its implicit bind at the first send, usually): with EMFILE and the
  // like the director failed, so the entry is taken back from the server's Conns and dropped.
  private flowError(f: Flow, e: NodeJS.ErrnoException): void {
    if (e.code !== undefined && LOCAL_CODES.has(e.code)) {
      this.opts.onLocalError?.(e.code);
      if (f.idx >= 0) {
        const idx = f.idx;
        const d = this.core.connDest(idx);
        this.byIdx.delete(idx);
        f.idx = -1;
        if (d) this.core.uncount(d);
        this.core.dropConn(idx, Date.now());
      }
    }
    this.closeFlow(f);
  }

  /** The core expired connection `idx`: close its flow if it is one of ours. */
  expire(idx: number): boolean {
    const f = this.byIdx.get(idx);
    if (!f) return false;
    this.byIdx.delete(idx);
    f.idx = -1;
    this.closeFlow(f);
    return true;
  }

  /** Closes one-packet flows idle for a udp timeout (they have no core entry to expire them). */
  sweep(now: number): void {
    if (!this.svc.onePacket) return;
    const limit = this.udpTimeoutMs();
    for (const f of this.flows.values()) if (f.idx < 0 && now - f.last >= limit) this.closeFlow(f);
  }

  private closeFlow(f: Flow): void {
    if (this.flows.get(f.key) === f) this.flows.delete(f.key);
    if (f.idx >= 0) this.byIdx.delete(f.idx);
    if (f.up) {
      f.up.close();
      if (this.opts.budget) this.opts.budget.udpSockets--;
    }
    f.up = null;
  }

  /** Closes every flow (the service went away or the plane stops). */
  closeAll(): void {
    for (const f of [...this.flows.values()]) this.closeFlow(f);
  }
}

/**
 * Header bytes around a UDP payload as the kernel counts them: IPVS adds skb->len at the IP layer
 * (ip_vs_core.c `ip_vs_in_stats`/`ip_vs_out_stats`, after defragmentation), i.e. the IP header
 * (20 bytes for IPv4 without options, 40 for IPv6) plus the 8-byte UDP header and the payload.
 */
export function udpOverhead(af: number): number {
  return (af === 6 ? 40 : 20) + 8;
}

function flowKey(addr: string, port: number): number | string {
  const b = addr.includes(':') ? null : addr.split('.');
  if (b?.length !== 4) return `${addr}|${port}`;
  // IPv4 address and port packed in one 48-bit number: no string key per datagram.
  return (
    ((Number(b[0]) * 256 + Number(b[1])) * 256 + Number(b[2])) * 256 * 256 * 256 + Number(b[3]) * 65536 + port
  );
}

/** Address text (IPv4 or IPv6, zone id ignored) to bytes. */
export function addrBytes(addr: string): Uint8Array {
  const pct = addr.indexOf('%');
  return ipBytes(pct < 0 ? addr : addr.slice(0, pct)) ?? new Uint8Array(4);
}
