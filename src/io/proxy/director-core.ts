/**
 * Adapts the core's Director to {@link ProxyCore}, so lvsd's proxy data plane shares the one
 * connection table that `lvsadm -Lc`, `--stats` and `--rate` read. The Director frees entries
 * from its own timer wheel and has no expiry callback, so `checkExpired` notices entries that
 * are gone (or whose slot was reused by another connection) on the plane's 250 ms sweep.
 */
import { KIND } from '../../core/conn-table.js';
import type { Dest } from '../../core/dest.js';
import { CONN_EVENT, type Director } from '../../core/director.js';
import type { Service } from '../../core/service.js';
import { CONN_EV, type ConnEvent, type ProxyCore } from './core.js';

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
  // idx → (service index << 16 | client port) of the entry the plane opened, to spot slot reuse.
  private readonly watched = new Map<number, number>();
  private expireFn: (idx: number) => void = () => {};

  constructor(readonly director: Director) {}

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
    const idx = this.director.openConn(svc, caddr, cport, now, vaddr, vport);
    if (idx < 0) return -1;
    const c = this.director.conns;
    if (c.kind(idx) === KIND.LIVE) this.watched.set(idx, (c.svc[idx] as number) * 65536 + cport);
    return idx;
  }

  connDest(idx: number): Dest | undefined {
    return this.director.destOf(idx);
  }

  connEvent(idx: number, ev: ConnEvent, now: number): void {
    if (ev < CONN_EV.ESTABLISHED || ev > CONN_EV.SERVER_RST) return;
    this.director.connEvent(idx, EV_MAP[ev] as number, now);
  }

  countBytes(idx: number, dir: number, bytes: number, pkts: number, now: number): void {
    this.director.countBytes(idx, dir, bytes, pkts);
    // Traffic re-arms the entry's timer with its state's timeout, as every packet does.
    if (this.director.conns.kind(idx) === KIND.LIVE) this.director.conns.touch(idx, now);
  }

  dropConn(idx: number, _now: number): void {
    const c = this.director.conns;
    this.watched.delete(idx);
    if (c.kind(idx) === KIND.OPS) this.director.flushOps();
    else if (c.kind(idx) === KIND.LIVE) c.kill(idx);
  }

  release(idx: number): void {
    // Only entries the plane still holds are watched, so the sweep stays O(open connections)
    // while closed ones sit out TIME_WAIT in the Director's table.
    this.watched.delete(idx);
  }

  onExpire(fn: (idx: number) => void): void {
    this.expireFn = fn;
  }

  checkExpired(_now: number): void {
    const c = this.director.conns;
    for (const [idx, sig] of this.watched) {
      if (c.kind(idx) === KIND.LIVE && (c.svc[idx] as number) * 65536 + (c.cport[idx] as number) === sig)
        continue;
      this.watched.delete(idx);
      this.expireFn(idx);
    }
  }

  udpTimeoutMs(): number {
    return (this.director.settings.udpTimeouts[0] ?? 300) * 1000;
  }

  tick(now: number): void {
    this.director.tick(now);
    this.checkExpired(now);
  }
}
