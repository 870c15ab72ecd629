/**
 * What lblc and lblcr share: the wlc fallback over all dests (__ip_vs_lblc_schedule, identical to
 * wlc), is_overloaded(), which asks whether some linked dest has activeconns * 2 < weight, and the
 * scheduler hooks around the entry table (only schedule() differs). The kernel rescans the list
 * for is_overloaded(); we keep a count of such dests, updated on every load change.
 */
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { slotOf } from './common.js';
import { LEAST, LeastConnScheduler } from './least-conn.js';
import { LocalityTable, type LocEntry } from './locality-table.js';
import type { DestChange, SchedPacket, Scheduler } from './scheduler.js';

/** The wlc fallback plus the "some dest is under half its weight" count. */
export class LocalityBase {
  /** The fallback pick (and the dest positions in schedSlot). */
  readonly wlc = new LeastConnScheduler('wlc', LEAST.WLC);
  private dests: readonly Dest[] = [];
  private under = new Uint8Array(0);
  /** Number of linked dests with activeconns * 2 < weight. */
  underCount = 0;

  /** init_service. */
  init(svc: Service): void {
    this.wlc.init(svc);
    this.dests = svc.dests;
    this.recount();
  }

  /** add/del/upd of a dest. */
  destChanged(svc: Service, change: DestChange, dest: Dest, index: number): void {
    this.wlc.destChanged(svc, change, dest);
    this.dests = svc.dests;
    if (change === 'upd') this.loadChanged(dest);
    else this.recount();
    void index;
  }

  /** A dest's counts changed. */
  loadChanged(dest: Dest): void {
    this.wlc.loadChanged(dest);
    const i = slotOf(this.dests, dest);
    if (i < 0) return;
    const u = dest.activeConns * 2 < dest.weight ? 1 : 0;
    this.underCount += u - (this.under[i] as number);
    this.under[i] = u;
  }

  /** is_overloaded(): more active conns than weight while another dest sits under half its weight. */
  isOverloaded(d: Dest): boolean {
    return d.activeConns > d.weight && this.underCount > 0;
  }

  private recount(): void {
    const ds = this.dests;
    if (this.under.length < ds.length) this.under = new Uint8Array(ds.length * 2);
    this.underCount = 0;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i] as Dest;
      const u = d.activeConns * 2 < d.weight ? 1 : 0;
      this.under[i] = u;
      this.underCount += u;
    }
  }
}

/** The hooks lblc and lblcr share: fallback state, the entry table and its periodic collector. */
export abstract class LocalityScheduler<E extends LocEntry> implements Scheduler {
  abstract readonly name: string;
  protected readonly base = new LocalityBase();
  /** The entry table (exposed for tests and listings). */
  readonly table: LocalityTable<E>;
  protected readonly expirationMs: number;

  /** `onFree` drops the dest references an entry holds when it leaves the table. */
  constructor(expirationMs: number, onFree: (e: E) => void) {
    this.expirationMs = expirationMs;
    this.table = new LocalityTable<E>(onFree);
  }

  init(svc: Service): void {
    this.base.init(svc);
  }

  destChanged(svc: Service, change: DestChange, dest: Dest, index: number): void {
    this.base.destChanged(svc, change, dest, index);
  }

  loadChanged(dest: Dest): void {
    this.base.loadChanged(dest);
  }

  abstract schedule(svc: Service, pkt: SchedPacket, now: number): Dest | null;

  tick(_svc: Service, now: number): void {
    this.table.tick(now, this.expirationMs);
  }

  done(): void {
    this.table.flush();
  }
}
