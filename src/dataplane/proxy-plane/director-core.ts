/**
 * Adapts the core's Director to {@link ProxyCore}, so lvsd's proxy data plane shares the one
 * connection table that `lvsadm -Lc`, `--stats` and `--rate` read. The Director tells us about
 * every entry it frees, synchronously (onConnExpire), so the plane closes an expired entry's
 * sockets at once and can never confuse a stale index with the connection reusing its slot.
 * As a sync master it sends the persistence template behind each new connection (see
 * {@link DirectorProxyCore.setSyncMaster}).
 */
import { CONN_F, KIND } from '../../core/conn-table.js';
import type { Dest } from '../../core/dest.js';
import { CONN_EVENT, type Director, VERDICT } from '../../core/director.js';
import type { Service } from '../../core/service.js';
import { DEST_F } from '../../core/types.js';
import { CONN_EV, type ConnEvent, OPEN_REFUSED, type ProxyCore } from '../../io/proxy/core.js';
import type { SyncMaster } from '../../sync/sync-master.js';

// CONN_EV (this folder) → the Director's CONN_EVENT values.
const EV_MAP: readonly number[] = [
  CONN_EVENT.ESTABLISHED,
  CONN_EVENT.CLIENT_FIN,
  CONN_EVENT.SERVER_FIN,
  CONN_EVENT.CLIENT_RST,
  CONN_EVENT.SERVER_RST,
];

/** A ProxyCore over a Director. */
export class DirectorProxyCore implements ProxyCore {
  private expireFn: (idx: number) => void = () => {};
  // The entry dropConn is freeing: the plane asked for it, so it is not reported back as expired.
  private dropping = -1;
  private syncMaster: SyncMaster | null = null;

  constructor(readonly director: Director) {
    director.onConnExpire((idx) => {
      if (idx !== this.dropping) this.expireFn(idx);
    });
  }

  get table() {
    return this.director.table;
  }

  openConn(
    svc: Service,
    caddr: Uint8Array,
    cport: number,
    vaddr: Uint8Array,
    vport: number,
    now: number,
  ): number {
    let idx = this.director.openConn(svc, caddr, cport, now, vaddr, vport);
    const self = idx >= 0 ? this.director.destOf(idx) : undefined;
    if (self && isOwnListener(self, vaddr, vport))
      idx = this.avoidLoop(svc, caddr, cport, vaddr, vport, self, now, idx);
    if (idx === VERDICT.DROP_DEFENSE || idx === VERDICT.CONN_LIMIT) return OPEN_REFUSED;
    if (idx < 0) return -1;
    if (this.syncMaster) this.syncTemplate(idx, now);
    return idx;
  }

  /**
   * The scheduler chose a real server at the service's own address and port (a rule from a file:
   * lvsadm's -a/-e are refused, refusal.ts). The kernel would hand such a packet to the socket
   * listening there; on this plane that socket is lvsd's own listener, so connecting would loop
   * back to it. The conn is dropped and the client scheduled once more with that server
   * excluded (marked overloaded for this one decision, as a failed connect's retry does); -1
   * when no other server takes it (persistence pinning the client to it, or no other server).
   */
  private avoidLoop(
    svc: Service,
    caddr: Uint8Array,
    cport: number,
    vaddr: Uint8Array,
    vport: number,
    self: Dest,
    now: number,
    idx: number,
  ): number {
    this.dropConn(idx, now);
    const was = self.flags & DEST_F.OVERLOAD;
    self.flags |= DEST_F.OVERLOAD;
    self.svc.sched?.loadChanged?.(self);
    const again = this.director.openConn(svc, caddr, cport, now, vaddr, vport);
    if (!was) {
      self.flags &= ~DEST_F.OVERLOAD;
      self.svc.sched?.loadChanged?.(self);
    }
    this.director.uncountConn(self);
    const d = again >= 0 ? this.director.destOf(again) : undefined;
    if (d && isOwnListener(d, vaddr, vport)) {
      this.dropConn(again, now);
      this.director.uncountConn(d);
      return -1;
    }
    return again;
  }

  /**
   * Sync master role (null ends it): each new connection a persistence template controls sends
   * that template, as ip_vs_sync_conn() sends a conn's controller with it. The connections
   * themselves are not sent: they end at this host's sockets and no other host can carry them
   * on, while the template lets a backup send the client to the same real server after a
   * failover.
   */
  setSyncMaster(m: SyncMaster | null): void {
    this.syncMaster = m;
  }

  private syncTemplate(idx: number, now: number): void {
    const conns = this.director.conns;
    const ct = conns.ctl[idx] as number;
    if (ct < 0 || conns.kind(ct) !== KIND.LIVE || (conns.flagsOf(ct) & CONN_F.TEMPLATE) === 0) return;
    // Considered as the kernel considers a controller (pkts = sync_threshold): a template always
    // passes the packet-count test, and sync_refresh_period limits resends when set.
    this.syncMaster?.onRearm(ct, now);
  }

  connDest(idx: number): Dest | undefined {
    return this.director.destOf(idx);
  }

  connEvent(idx: number, ev: ConnEvent, now: number): void {
    if (ev < CONN_EV.ESTABLISHED || ev > CONN_EV.SERVER_RST) return;
    this.director.connEvent(idx, EV_MAP[ev] as number, now);
  }

  countBytes(idx: number, dir: number, bytes: number, pkts: number, now: number): void {
    this.director.countBytes(idx, dir, bytes, pkts, now);
  }

  uncount(dest: Dest): void {
    this.director.uncountConn(dest);
  }

  dropConn(idx: number, _now: number): void {
    const d = this.director;
    const kind = d.conns.kind(idx);
    this.dropping = idx;
    try {
      if (kind === KIND.OPS) d.flushOps();
      else if (kind === KIND.LIVE) d.conns.kill(idx);
    } finally {
      this.dropping = -1;
    }
  }

  onExpire(fn: (idx: number) => void): void {
    this.expireFn = fn;
  }

  udpTimeoutMs(): number {
    return (this.director.settings.udpTimeouts[0] ?? 300) * 1000;
  }

  tick(now: number): void {
    this.director.tick(now);
  }
}

/** True when `d` is the address and port the proxy plane itself listens on for the service. */
export function isOwnListener(d: Dest, vaddr: Uint8Array, vport: number): boolean {
  if (d.port !== vport) return false;
  const a = d.addrBytes;
  if (a.length !== vaddr.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== vaddr[i]) return false;
  return true;
}
