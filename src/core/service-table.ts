/**
 * The virtual service table: add/edit/delete services and destinations with the kernel's
 * validation and errno meanings (ip_vs_ctl.c), the dest trash and its revival
 * (ip_vs_trash_get_dest), and the packet-time service lookup order of ip_vs_service_find.
 */
import { foldAddr, ipBytes, parseIPv4 } from './addr.js';
import { Dest } from './dest.js';
import { TableError } from './errors.js';
import type { SchedulerFactory, SchedulerOptions } from './schedulers/scheduler.js';
import { Service } from './service.js';
import {
  DEST_F,
  type DestConfig,
  type DestKey,
  FWD,
  type ServiceConfig,
  type ServiceKey,
  TUN_TYPE,
} from './types.js';

/** A trash dest with no references is freed after this long idle (IP_VS_DEST_TRASH_PERIOD). */
export const DEST_TRASH_IDLE_MS = 120_000;
/** The trash timer's period: IP_VS_DEST_TRASH_PERIOD >> 1. */
export const DEST_TRASH_TICK_MS = DEST_TRASH_IDLE_MS / 2;

/** Finds a scheduler factory by ipvsadm name; undefined means "Scheduler not found". */
export type SchedulerLookup = (name: string) => SchedulerFactory | undefined;

/** Persistence engines the core knows; the kernel mainline has only `sip`. */
const KNOWN_PES = new Set(['sip']);

/** Options of a service table. */
export interface ServiceTableOptions {
  schedulers: SchedulerLookup;
  schedulerOptions?: SchedulerOptions;
}

/** The table of virtual services and their destinations. */
export class ServiceTable {
  private readonly services: Service[] = [];
  private readonly byAddr = new Map<number, Service[]>();
  private readonly byMark = new Map<number, Service[]>();
  private readonly destsById: (Dest | undefined)[] = [];
  private readonly freeDestIds: number[] = [];
  private readonly trash: Dest[] = [];
  private nextServiceId = 1;
  /** When the trash timer runs next (ms), or -1 while it is not armed. */
  private trashTimerAt = -1;
  private port0Count = 0;
  /** Bumped on every change, so data planes can cheaply notice that the table moved. */
  generation = 0;

  constructor(private readonly opts: ServiceTableOptions) {}

  /** All services, in insertion order. */
  list(): readonly Service[] {
    return this.services;
  }

  /** Number of services. */
  get size(): number {
    return this.services.length;
  }

  /** The dest with this id (linked or in the trash), for connection tables. */
  destById(id: number): Dest | undefined {
    return this.destsById[id];
  }

  /** Dests in the trash: deleted but still referenced by connections. */
  trashed(): readonly Dest[] {
    return this.trash;
  }

  /** Finds a service by its key. */
  find(key: ServiceKey): Service | undefined {
    if (key.kind === 'fwmark') {
      return this.byMark.get(key.fwmark >>> 0)?.find((s) => s.af === key.af);
    }
    const b = ipBytes(key.addr);
    if (!b) return undefined;
    return this.findAddr(key.af, key.protocol, b, key.port);
  }

  private findAddr(af: number, protocol: number, addr: Uint8Array, port: number): Service | undefined {
    const bucket = this.byAddr.get(foldAddr(addr));
    if (!bucket) return undefined;
    for (const s of bucket) {
      if (
        s.af === af &&
        s.protocol === protocol &&
        s.port === port &&
        s.addrBytes &&
        bytesEqual(s.addrBytes, addr)
      ) {
        return s;
      }
    }
    return undefined;
  }

  /**
   * Finds the service for a packet in ip_vs_service_find's order: fwmark first, then the exact
   * <proto, vaddr, vport>, then the port-0 wildcard service. (The FTP data-port step is not
   * modelled: there is no FTP helper.)
   */
  lookup(af: number, protocol: number, addr: Uint8Array, port: number, fwmark: number): Service | undefined {
    if (fwmark !== 0) {
      const bucket = this.byMark.get(fwmark >>> 0);
      if (bucket) for (const s of bucket) if (s.af === af) return s;
    }
    const exact = this.findAddr(af, protocol, addr, port);
    if (exact) return exact;
    if (this.port0Count > 0) return this.findAddr(af, protocol, addr, 0);
    return undefined;
  }

  /** Adds a service (ip_vs_add_service): unknown scheduler or PE → ENOENT, bad netmask → EINVAL, duplicate → EEXIST. */
  addService(key: ServiceKey, config: ServiceConfig): Service {
    this.validateService(key, config);
    if (this.find(key)) throw new TableError('ERR_LVS_SERVICE_EXISTS', 'service already exists');
    const svc = new Service(this.nextServiceId++, key, config);
    svc.sched = this.makeScheduler(config);
    svc.sched?.init(svc);
    this.services.push(svc);
    if (key.kind === 'fwmark') pushTo(this.byMark, key.fwmark >>> 0, svc);
    else {
      pushTo(this.byAddr, foldAddr(svc.addrBytes as Uint8Array), svc);
      if (key.port === 0) this.port0Count++;
    }
    this.generation++;
    return svc;
  }

  /** Replaces a service's settings (ip_vs_edit_service); a new scheduler starts with fresh state. */
  editService(key: ServiceKey, config: ServiceConfig): Service {
    const svc = this.find(key);
    if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    this.validateService(key, config);
    // Only a new scheduler is rebound (ip_vs_edit_service); flags are read at schedule time.
    // It is built before anything changes, so a refused scheduler leaves the service as it was.
    const rebind = svc.config.scheduler !== config.scheduler || svc.config.mhTableSize !== config.mhTableSize;
    const next = rebind ? this.makeScheduler(config) : svc.sched;
    svc.config = config;
    svc.setNetmask(config.netmask);
    if (rebind) {
      svc.sched?.done?.(svc);
      svc.sched = next;
      svc.sched?.init(svc);
    }
    this.generation++;
    return svc;
  }

  /** Deletes a service; its dests go to the trash while connections still use them. */
  delService(key: ServiceKey, now: number): void {
    const svc = this.find(key);
    if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    this.unlinkService(svc, now);
  }

  /** Deletes every service (ipvsadm -C). */
  clear(now: number): void {
    for (const svc of [...this.services]) this.unlinkService(svc, now);
  }

  private unlinkService(svc: Service, now: number): void {
    while (svc.dests.length > 0) {
      const d = svc.dests[0] as Dest;
      this.unlinkDest(svc, d, 0, now);
    }
    svc.sched?.done?.(svc);
    svc.sched = null;
    this.services.splice(this.services.indexOf(svc), 1);
    if (svc.key.kind === 'fwmark') removeFrom(this.byMark, svc.fwmark >>> 0, svc);
    else {
      removeFrom(this.byAddr, foldAddr(svc.addrBytes as Uint8Array), svc);
      if (svc.port === 0) this.port0Count--;
    }
    this.generation++;
  }

  /** Adds a dest at the head of the list, reviving it from the trash if it is there (ip_vs_add_dest). */
  addDest(key: ServiceKey, cfg: DestConfig): Dest {
    const svc = this.find(key);
    if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    this.validateDest(svc, cfg);
    if (this.findDest(svc, cfg)) throw new TableError('ERR_LVS_DEST_EXISTS', 'destination already exists');
    let dest = this.reviveFromTrash(svc, cfg);
    if (!dest) {
      const id = this.freeDestIds.pop() ?? this.destsById.length;
      dest = new Dest(id, svc, cfg);
      this.destsById[id] = dest;
    }
    dest.update(cfg, true);
    svc.dests.unshift(dest);
    svc.sched?.destChanged(svc, 'add', dest, 0);
    this.generation++;
    return dest;
  }

  /** Replaces a dest's settings in place; list order is kept (__ip_vs_update_dest). */
  editDest(key: ServiceKey, cfg: DestConfig): Dest {
    const svc = this.find(key);
    if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    this.validateDest(svc, cfg);
    const dest = this.findDest(svc, cfg);
    if (!dest) throw new TableError('ERR_LVS_NO_DEST', 'no such destination');
    dest.update(cfg);
    svc.sched?.destChanged(svc, 'upd', dest, svc.dests.indexOf(dest));
    this.generation++;
    return dest;
  }

  /** Unlinks a dest; it waits in the trash until no connection references it. */
  delDest(key: ServiceKey, dk: DestKey, now: number): void {
    const svc = this.find(key);
    if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    const dest = this.findDest(svc, dk);
    if (!dest) throw new TableError('ERR_LVS_NO_DEST', 'no such destination');
    this.unlinkDest(svc, dest, svc.dests.indexOf(dest), now);
  }

  /** Finds a linked dest of a service by address and port. */
  findDest(svc: Service, dk: DestKey): Dest | undefined {
    const b = ipBytes(dk.addr);
    if (!b) return undefined;
    return svc.dests.find((d) => d.port === dk.port && bytesEqual(d.addrBytes, b));
  }

  /** Zeroes the counters of one service and its dests, or of everything. */
  zero(key?: ServiceKey): void {
    const targets = key ? [this.find(key)] : this.services;
    if (key && !targets[0]) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
    for (const svc of targets) {
      if (!svc) continue;
      svc.stats.zero();
      for (const d of svc.dests) d.stats.zero();
    }
  }

  /**
   * Runs the trash timer up to `now`, replaying every 60 s run that fell due, as
   * ip_vs_dest_trash_expire does: a run stamps an unreferenced dest's idle start, and a later run
   * at least 120 s after that frees it. The timer is armed 60 s after a delete into an empty
   * trash and re-armed while the trash holds dests, so an idle dest deleted at 0 goes at 180 s.
   * Returns how many dests were freed.
   */
  expireTrash(now: number): number {
    let freed = 0;
    while (this.trashTimerAt >= 0 && now >= this.trashTimerAt) {
      const t = this.trashTimerAt;
      for (let i = this.trash.length - 1; i >= 0; i--) {
        const d = this.trash[i] as Dest;
        if (d.refs > 0) continue;
        if (d.idleStart < 0) {
          d.idleStart = t;
          continue;
        }
        if (t < d.idleStart + DEST_TRASH_IDLE_MS) continue;
        this.trash.splice(i, 1);
        this.destsById[d.id] = undefined;
        this.freeDestIds.push(d.id);
        freed++;
      }
      this.trashTimerAt = this.trash.length > 0 ? t + DEST_TRASH_TICK_MS : -1;
    }
    return freed;
  }

  /**
   * Services in the kernel's dump order, which `ipvsadm --nosort` shows: the 256-bucket address
   * table (hash = proto ^ addr ^ port>>8 ^ port, ip_vs_svc_hashkey without the per-netns salt),
   * newest first within a bucket, then the fwmark table.
   */
  enumerate(): Service[] {
    const addrBuckets: Service[][] = Array.from({ length: 256 }, () => []);
    const markBuckets: Service[][] = Array.from({ length: 256 }, () => []);
    for (const s of this.services) {
      if (s.key.kind === 'fwmark') (markBuckets[s.fwmark & 0xff] as Service[]).unshift(s);
      else {
        const h = (s.protocol ^ foldAddr(s.addrBytes as Uint8Array) ^ (s.port >>> 8) ^ s.port) & 0xff;
        (addrBuckets[h] as Service[]).unshift(s);
      }
    }
    return [...addrBuckets.flat(), ...markBuckets.flat()];
  }

  private unlinkDest(svc: Service, dest: Dest, index: number, now: number): void {
    svc.dests.splice(index, 1);
    dest.flags &= ~DEST_F.AVAILABLE;
    svc.sched?.destChanged(svc, 'del', dest, index);
    dest.trashedAt = now;
    dest.idleStart = -1;
    // __ip_vs_del_dest arms the trash timer when the trash was empty.
    if (this.trash.length === 0) this.trashTimerAt = now + DEST_TRASH_TICK_MS;
    this.trash.push(dest);
    this.generation++;
  }

  private reviveFromTrash(svc: Service, cfg: DestConfig): Dest | undefined {
    const b = ipBytes(cfg.addr);
    if (!b) return undefined;
    const i = this.trash.findIndex(
      (d) =>
        d.port === cfg.port && d.af === cfg.af && bytesEqual(d.addrBytes, b) && sameKey(d.svc.key, svc.key),
    );
    if (i < 0) return undefined;
    const [dest] = this.trash.splice(i, 1) as [Dest];
    // __ip_vs_update_dest: a dest that comes back under a re-created service starts from zero.
    if (dest.svc !== svc) dest.stats.zero();
    dest.svc = svc;
    dest.trashedAt = -1;
    dest.idleStart = -1;
    return dest;
  }

  private makeScheduler(config: ServiceConfig) {
    if (config.scheduler === 'none') return null;
    const factory = this.opts.schedulers(config.scheduler);
    if (!factory) throw new TableError('ERR_LVS_NO_SCHEDULER', `scheduler not found: ${config.scheduler}`);
    const o = this.opts.schedulerOptions ?? {};
    return factory(config.mhTableSize ? { ...o, mhTableSize: config.mhTableSize } : o);
  }

  private validateService(key: ServiceKey, config: ServiceConfig): void {
    if (config.scheduler !== 'none' && !this.opts.schedulers(config.scheduler)) {
      throw new TableError('ERR_LVS_NO_SCHEDULER', `scheduler not found: ${config.scheduler}`);
    }
    if (config.pe && !KNOWN_PES.has(config.pe)) {
      throw new TableError('ERR_LVS_NO_PE', `persistence engine not found: ${config.pe}`);
    }
    if (key.kind === 'fwmark') {
      if (!Number.isInteger(key.fwmark) || key.fwmark <= 0 || key.fwmark > 0xffffffff) {
        throw new TableError('ERR_LVS_INVALID', 'fwmark must be 1..4294967295');
      }
    } else {
      const b = ipBytes(key.addr);
      if (!b || b.length !== (key.af === 6 ? 16 : 4))
        throw new TableError('ERR_LVS_INVALID', 'bad service address');
      if (!Number.isInteger(key.port) || key.port < 0 || key.port > 65535) {
        throw new TableError('ERR_LVS_INVALID', 'bad service port');
      }
    }
    if (key.af === 6) {
      const p = Number(config.netmask);
      if (!Number.isInteger(p) || p < 1 || p > 128)
        throw new TableError('ERR_LVS_INVALID', 'bad IPv6 prefix length');
    } else if (parseIPv4(config.netmask) === undefined) {
      throw new TableError('ERR_LVS_INVALID', 'bad netmask');
    }
  }

  private validateDest(svc: Service, cfg: DestConfig): void {
    if (!Number.isInteger(cfg.weight) || cfg.weight < 0)
      throw new TableError('ERR_LVS_RANGE', 'weight out of range');
    if (cfg.lThreshold > cfg.uThreshold) throw new TableError('ERR_LVS_RANGE', 'lower threshold above upper');
    // ip_vs_add_dest / ip_vs_edit_dest test tun_type alone, whatever the forwarding method.
    if (cfg.tunType === TUN_TYPE.GUE && cfg.tunPort === 0) {
      throw new TableError('ERR_LVS_INVALID', 'GUE tunnel needs a port');
    }
    const b = ipBytes(cfg.addr);
    if (!b || b.length !== (cfg.af === 6 ? 16 : 4))
      throw new TableError('ERR_LVS_INVALID', 'bad destination address');
    // Only tunnels may cross address families (ip_vs_add_dest).
    if (cfg.af !== svc.af && cfg.fwd !== FWD.TUNNEL)
      throw new TableError('ERR_LVS_INVALID', 'address family mismatch');
    // The kernel accepts only unicast or local route types for IPv4 dests.
    if (b.length === 4) {
      const first = b[0] ?? 0;
      const all = ((b[0] ?? 0) & (b[1] ?? 0) & (b[2] ?? 0) & (b[3] ?? 0)) === 255;
      const zero = ((b[0] ?? 0) | (b[1] ?? 0) | (b[2] ?? 0) | (b[3] ?? 0)) === 0;
      if (zero || all || (first >= 224 && first <= 239))
        throw new TableError('ERR_LVS_INVALID', 'not a unicast address');
    } else if (b[0] === 0xff) {
      throw new TableError('ERR_LVS_INVALID', 'not a unicast address');
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameKey(a: ServiceKey, b: ServiceKey): boolean {
  if (a.kind === 'fwmark' || b.kind === 'fwmark') {
    return (
      a.kind === b.kind &&
      a.af === b.af &&
      a.kind === 'fwmark' &&
      b.kind === 'fwmark' &&
      a.fwmark === b.fwmark
    );
  }
  return (
    a.af === b.af &&
    a.protocol === b.protocol &&
    a.port === b.port &&
    bytesEqual(ipBytes(a.addr) ?? new Uint8Array(), ipBytes(b.addr) ?? new Uint8Array())
  );
}

function pushTo<K>(m: Map<K, Service[]>, k: K, s: Service): void {
  const l = m.get(k);
  if (l) l.push(s);
  else m.set(k, [s]);
}

function removeFrom<K>(m: Map<K, Service[]>, k: K, s: Service): void {
  const l = m.get(k);
  if (!l) return;
  const i = l.indexOf(s);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
}
