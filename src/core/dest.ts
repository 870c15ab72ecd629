/**
 * A destination (real server) at run time: its settings, connection counts and the OVERLOAD
 * rules of ip_vs_bind_dest / ip_vs_unbind_dest (ip_vs_conn.c).
 */
import { type Af, ipBytes } from './addr.js';
import type { SchedulerHooks } from './schedulers/scheduler-hooks.js';
import { Stats } from './stats.js';
import { DEST_F, type DestConfig, type FwdMethod, type ServiceKey } from './types.js';

/** How a connection is counted on its dest (activeconns, inactconns, persistconns of struct ip_vs_dest). */
export const CONN_COUNT = { ACTIVE: 0, INACTIVE: 1, TEMPLATE: 2 } as const;
/** One of {@link CONN_COUNT}. */
export type ConnCount = (typeof CONN_COUNT)[keyof typeof CONN_COUNT];

/**
 * What a dest reaches through its owning service; core/service.ts Service meets it, so dest.ts
 * need not import service.ts, which imports dest.ts for its dest list.
 */
export interface DestService {
  readonly key: ServiceKey;
  readonly stats: Stats;
  /** Told when this dest's load changes (dynamic schedulers keep indexes on it). */
  readonly sched: Pick<SchedulerHooks<Dest, unknown>, 'loadChanged'> | null;
}

/** A real server inside one service. */
export class Dest {
  /** Unique small integer: connection tables refer to dests by it. */
  readonly id: number;
  /** The owning service (kept while the dest sits in the trash, as the kernel does). */
  svc: DestService;
  readonly addr: string;
  readonly port: number;
  readonly af: Af;
  /** Address bytes (4 or 16), for hashing and packet rewrites. */
  readonly addrBytes: Uint8Array;
  fwd: FwdMethod = 3;
  weight = 1;
  /** Latest non-zero weight, used by mh (ip_vs_ctl.c keeps last_weight). */
  lastWeight = 0;
  uThreshold = 0;
  lThreshold = 0;
  tunType = 0;
  tunPort = 0;
  tunFlags = 0;
  proxyProtocol: 0 | 1 | 2 = 0;
  /** DEST_F bits: AVAILABLE, OVERLOAD. */
  flags = 0;
  activeConns = 0;
  inactConns = 0;
  persistConns = 0;
  /** Connections and templates that reference this dest; a trash dest is freed only at 0. */
  refs = 0;
  readonly stats = new Stats();
  /** When the dest went to the trash (ms), or -1 while linked. */
  trashedAt = -1;
  /** When the trash timer first found it unreferenced (the kernel's idle_start), or -1. */
  idleStart = -1;
  /** Scheduler-private slot (e.g. a position in an index structure). */
  schedSlot = -1;

  constructor(id: number, svc: DestService, cfg: DestConfig) {
    this.id = id;
    this.svc = svc;
    this.addr = cfg.addr;
    this.port = cfg.port;
    this.af = cfg.af;
    const b = ipBytes(cfg.addr);
    this.addrBytes = b ?? new Uint8Array(cfg.af === 6 ? 16 : 4);
  }

  /** True when the dest takes part in scheduling: linked to its service. */
  get available(): boolean {
    return (this.flags & DEST_F.AVAILABLE) !== 0;
  }

  /** True while OVERLOAD is set by the upper threshold. */
  get overloaded(): boolean {
    return (this.flags & DEST_F.OVERLOAD) !== 0;
  }

  /**
   * Applies new settings as __ip_vs_update_dest does: AVAILABLE set, OVERLOAD cleared when the
   * new upper threshold is 0 or above the old one. last_weight follows every add (even weight 0,
   * so a dest revived from the trash with weight 0 drops out of mh) and every non-zero edit.
   */
  update(cfg: DestConfig, add = false): void {
    this.fwd = cfg.fwd;
    this.weight = cfg.weight;
    if (add || cfg.weight !== 0) this.lastWeight = cfg.weight;
    if (cfg.uThreshold === 0 || cfg.uThreshold > this.uThreshold) this.flags &= ~DEST_F.OVERLOAD;
    this.uThreshold = cfg.uThreshold;
    this.lThreshold = cfg.lThreshold;
    this.tunType = cfg.tunType;
    this.tunPort = cfg.tunPort;
    this.tunFlags = cfg.tunFlags;
    this.proxyProtocol = cfg.proxyProtocol ?? 0;
    this.flags |= DEST_F.AVAILABLE;
  }

  /** The settings as a DestConfig. */
  config(): DestConfig {
    return {
      addr: this.addr,
      port: this.port,
      af: this.af,
      fwd: this.fwd,
      weight: this.weight,
      uThreshold: this.uThreshold,
      lThreshold: this.lThreshold,
      tunType: this.tunType,
      tunPort: this.tunPort,
      tunFlags: this.tunFlags,
      proxyProtocol: this.proxyProtocol,
    };
  }

  /**
   * Counts a new connection or template on this dest; sets OVERLOAD at the upper threshold
   * (ip_vs_bind_dest runs the threshold check for templates too, though they are not counted in it).
   */
  bind(kind: ConnCount): void {
    this.refs++;
    if (kind === CONN_COUNT.TEMPLATE) this.persistConns++;
    else if (kind === CONN_COUNT.ACTIVE) this.activeConns++;
    else this.inactConns++;
    if (this.uThreshold !== 0 && this.activeConns + this.inactConns >= this.uThreshold) {
      this.flags |= DEST_F.OVERLOAD;
    }
    this.svc.sched?.loadChanged?.(this);
  }

  /**
   * Uncounts an expiring connection or template; clears OVERLOAD below the lower threshold, or
   * below 3/4 of the upper one when no lower threshold is set (ip_vs_unbind_dest, which runs
   * these checks after a template is uncounted too).
   */
  unbind(kind: ConnCount): void {
    this.refs--;
    if (kind === CONN_COUNT.TEMPLATE) this.persistConns--;
    else if (kind === CONN_COUNT.ACTIVE) this.activeConns--;
    else this.inactConns--;
    const total = this.activeConns + this.inactConns;
    if (this.lThreshold !== 0) {
      if (total < this.lThreshold) this.flags &= ~DEST_F.OVERLOAD;
    } else if (this.uThreshold !== 0) {
      if (total * 4 < this.uThreshold * 3) this.flags &= ~DEST_F.OVERLOAD;
    } else {
      this.flags &= ~DEST_F.OVERLOAD;
    }
    this.svc.sched?.loadChanged?.(this);
  }

  /** Moves one connection between active and inactive after a state change. */
  setActivity(fromActive: boolean, toActive: boolean): void {
    if (fromActive === toActive) return;
    if (toActive) {
      this.inactConns--;
      this.activeConns++;
    } else {
      this.activeConns--;
      this.inactConns++;
    }
    this.svc.sched?.loadChanged?.(this);
  }
}
