/**
 * `lvsd --dataplane packet`: one AF_PACKET socket per `--interface`, the packet engine between
 * them (PlaneLoop), routes and interface addresses read from the host itself (re-read whenever
 * `ip monitor` reports a change), and a gratuitous ARP for every VIP and LIP when it first
 * appears, so neighbours learn that lvsd (not the director's kernel) owns it. With
 * `ingressBypass`, nftables netdev tables (ingress-bypass.ts) also stop the director's kernel
 * from routing, only to drop, the frames lvsd takes; they follow the table and host changes.
 * VRRP (vrrp-ownership.ts): the VIPs of an instance that is not MASTER are held back from the
 * engine and the bypass, and are announced only when the runner asks (vrrpAnnounce), never as
 * they appear in the table. Connection synchronisation (plane-sync.ts): the sync daemon attaches
 * its sink to make the engine a master, and hands received datagrams to applySync as a backup.
 */
import { type DataplaneFaultCode, dataplaneFaultChannel } from '../../control/channels.js';
import type { Command } from '../../control/commands.js';
import type { DirectorPort, VrrpVip } from '../../control/ports.js';
import type { DataPlaneCounters, VipStatus } from '../../control/protocol.js';
import { parseIPv6 } from '../../core/addr.js';
import type { Dest } from '../../core/dest.js';
import type { MarkRule } from '../../core/mark-rule.js';
import { DROP_NAME } from '../../engine/drops.js';
import { Engine } from '../../engine/engine.js';
import type { FlowOffloadCounters } from '../../engine/flow-offload.js';
import { MarkTable } from '../../engine/mark-table.js';
import { RouteResult, type RouteTable, StaticRoutes } from '../../engine/routes.js';
import { RouteResult6, StaticRoutes6 } from '../../engine/routes6.js';
import { destUnsupported, localDestUnsupported, serviceSupport } from '../../engine/support.js';
import { type BypassSpec, bypassSpecFromServices } from '../../io/host/bypass-rules.js';
import {
  type HostConfig,
  type HostInterface,
  interfaceForAddr,
  readHostConfig,
  readLocalAddrs,
  watchHostConfig,
} from '../../io/host/host-config.js';
import { HostRoutes6, readHostConfig6 } from '../../io/host/host-config6.js';
import { IngressBypass, removeBypassLeftovers } from '../../io/host/ingress-bypass.js';
import { loadPacketAddon, PacketSocket, packetAddonUnavailableReason } from '../../io/packet-socket/index.js';
import { NapiDeferral } from '../../io/packet-socket/napi-deferral.js';
import type { XdpFlowMap } from '../../io/packet-socket/xdp-flow-map.js';
import type { SyncConnEntry } from '../../sync/sync-entry.js';
import type { SyncSink } from '../../sync/sync-master.js';
import { serviceStatus } from '../serve-status.js';
import { parseVip } from '../vrrp-vip.js';
import {
  OffloadPlane,
  offloadMaps,
  physicalInterface,
  virtualLinkReason,
  type XdpOffloadMode,
} from './offload-plane.js';
import { IF_COUNTER_WORDS, PLANE_COUNTER, type PlaneInterface, PlaneLoop } from './plane-loop.js';
import { fwmarkUnserved, markEndpoints } from './plane-marks.js';
import { PlaneSync, type PlaneSyncCounters, type SyncApplyCounts } from './plane-sync.js';
import { VrrpOwnership } from './vrrp-ownership.js';
import { type XdpMode, XdpPath, type XdpStatus, xdpFailureReason } from './xdp-plane.js';

/** Minimal logger (pino's shape) for progress lines; faults go to `lvs:dataplane:fault`. */
export interface PlaneLogger {
  info(obj: object, msg?: string): void;
  /** Warnings (pino's warn); info when absent. */
  warn?(obj: object, msg?: string): void;
}

/** Options of {@link startPacketDataPlane}. */
export interface PacketPlaneOptions {
  /** Interface names to bind (lvsd's `--interface`, repeatable). */
  readonly interfaces: readonly string[];
  readonly log?: PlaneLogger;
  /** Engine timer period (ARP retries), ms. */
  readonly tickMs?: number;
  /**
   * Logs rate counters (frames, batches, tx drops, ring drops) every this many ms; 0 = never.
   * Default: the LVS_PACKET_STATS_MS environment variable, so a benchmark can see where frames
   * are lost without a control-protocol change.
   */
  readonly statsLogMs?: number;
  /**
   * Installs nftables netdev ingress drops for the traffic lvsd takes (`--ingress-bypass`), so
   * the director's kernel does not route each forwarded frame a second time. Off by default: it
   * writes host firewall state.
   */
  readonly ingressBypass?: boolean;
  /** The nft command of the ingress bypass (default `['nft']`, on PATH). */
  readonly nft?: readonly string[];
  /**
   * The AF_XDP fast path (`--xdp`, xdp-plane.ts): 'auto' uses it when it loads and logs why not,
   * 'on' fails the start without it, 'off' (the default here; lvsd's CLI defaults to auto) keeps
   * AF_PACKET alone.
   */
  readonly xdp?: XdpMode;
  /**
   * `--xdp-offload` (offload-plane.ts): established DR conns forwarded by the XDP program.
   * Default off here (lvsd's CLI defaults to auto); needs the AF_XDP path.
   */
  readonly xdpOffload?: XdpOffloadMode;
  /**
   * The VRRP instances and their VIPs, known before the runner reports any state: each starts
   * held back (as keepalived starts every instance outside MASTER), so a director that comes up
   * as BACKUP never answers or announces its peer's addresses. vrrpOwn then moves them.
   */
  readonly vrrpInstances?: readonly { readonly name: string; readonly vips: readonly VrrpVip[] }[];
}

/** Per-interface and global counters of the running plane. */
export interface PacketPlaneStatus {
  readonly interfaces: {
    name: string;
    ifindex: number;
    rxFrames: number;
    rxBytes: number;
    txFrames: number;
    txBytes: number;
    txDropped: number;
  }[];
  readonly rxFrames: number;
  readonly txFrames: number;
  readonly txDropped: number;
  readonly garpSent: number;
  /** Engine drops by reason name. */
  readonly drops: Record<string, number>;
  /** The AF_XDP path, when it runs. */
  readonly xdp?: XdpStatus;
  /** The XDP flow offload, when it runs. */
  readonly offload?: FlowOffloadCounters;
}

/** The running packet plane, in the daemon's DataPlaneHandle shape plus status(). */
export interface PacketPlaneHandle {
  readonly name: 'packet';
  onChanges(cmd: Command, changes: readonly unknown[]): void;
  vipStatus(): readonly VipStatus[];
  status(): PacketPlaneStatus;
  /** The status counters in the daemon's shape (DataPlaneHandle.counters). */
  counters(): DataPlaneCounters;
  /** Folds the XDP flow offload's counters into the stats (DataPlaneHandle.beforeRead). */
  beforeRead(): void;
  /** VRRP: answer for and forward to `vips` only while `master` (DataPlaneHandle.vrrpOwn). */
  vrrpOwn(instance: string, vips: readonly VrrpVip[], master: boolean): Promise<void>;
  /** VRRP: a gratuitous ARP / unsolicited advert per VIP (DataPlaneHandle.vrrpAnnounce). */
  vrrpAnnounce(vips: readonly VrrpVip[]): void;
  /** The firewall-mark rules classified by from now on, replacing the previous ones (DataPlaneHandle.setMarks). */
  setMarks(rules: readonly MarkRule[]): void;
  /**
   * Sync master role (`--start-daemon master`): from now on the engine hands the conns
   * ip_vs_sync_conn() would send to `sink` (the sync daemon's message builder), from every inbound packet
   * and from each template re-armed while it still controls conns. Replaces an earlier sink.
   */
  attachSyncMaster(sink: SyncSink): void;
  /** Ends the master role (`--stop-daemon master`): no conn is handed to any sink any more. */
  detachSyncMaster(): void;
  /**
   * Sync backup role: applies one received datagram at `now` (ms) as ip_vs_process_message()
   * and ip_vs_proc_conn() do, accepting only `syncId` unless it is 0 (the default, every
   * syncid). The conns it creates are forwarded like any other, to the same real servers.
   */
  applySync(datagram: Uint8Array, now: number, syncId?: number): SyncApplyCounts;
  /**
   * Sync backup role, one entry the sync daemon read: applied as {@link applySync} applies each
   * entry of a datagram (DataPlaneHandle.applySyncEntry).
   */
  applySyncEntry(e: SyncConnEntry, now: number): void;
  /** Totals of {@link applySync} and {@link applySyncEntry} since the plane started. */
  syncCounters(): PlaneSyncCounters;
  close(): Promise<void>;
}

/** Error thrown when the plane cannot start (addon missing, unknown interface). */
export class PacketPlaneError extends Error {
  constructor(
    readonly code: 'ERR_PACKET_PLANE_UNAVAILABLE' | 'ERR_PACKET_PLANE_INTERFACE' | 'ERR_PACKET_PLANE_XDP',
    message: string,
  ) {
    super(message);
    this.name = 'PacketPlaneError';
  }
}

/** A route table whose contents are swapped whole when the host's routes change. */
class HostRoutes implements RouteTable {
  current = new StaticRoutes();
  /** Every StaticRoutes has its own generations, so swapping `current` invalidates the engine's route cache. */
  get generation(): number {
    return this.current.generation;
  }
  lookup4(dst: number, out: RouteResult): boolean {
    return this.current.lookup4(dst, out);
  }
}

function addr4Of(i: HostInterface): number {
  return i.addrs[0]?.addr ?? 0;
}

/** Starts the packet data plane on `o.interfaces` for the daemon's director. */
export function startPacketDataPlane(port: DirectorPort, o: PacketPlaneOptions): PacketPlaneHandle {
  const why = packetAddonUnavailableReason();
  if (why !== undefined)
    throw new PacketPlaneError('ERR_PACKET_PLANE_UNAVAILABLE', `packet data plane unavailable: ${why}`);
  if (o.interfaces.length === 0)
    throw new PacketPlaneError('ERR_PACKET_PLANE_INTERFACE', 'the packet data plane needs --interface');
  let host: HostConfig = readHostConfig();
  const chosen = o.interfaces.map((name) => {
    const i = host.interfaces.find((x) => x.name === name);
    if (!i) throw new PacketPlaneError('ERR_PACKET_PLANE_INTERFACE', `no such interface: ${name}`);
    return i;
  });
  // A SIGKILLed lvsd left its NAPI deferral on these interfaces: write the originals it recorded
  // back first (the AF_XDP path, if it runs, defers again from the true originals).
  const napi = new NapiDeferral();
  for (const i of chosen) {
    const restored = napi.recoverStale(i.name);
    if (restored.length > 0)
      o.log?.info({ interface: i.name, restored }, 'restored NAPI settings a previous lvsd left changed');
  }
  const routes = new HostRoutes();
  // Only routes over bound interfaces are usable: the engine cannot send anywhere else.
  const bound = new Set(chosen.map((i) => i.ifindex));
  const loadRoutes = (h: HostConfig): void => {
    // Local routes stay whatever their device: they lead to the host itself (ACT.LOCAL).
    routes.current = new StaticRoutes(h.routes.filter((r) => r.local || bound.has(r.ifindex)));
  };
  loadRoutes(host);
  // IPv6: the interfaces' own addresses (NDP and ICMPv6 source) and the IPv6 main table.
  const byName = (): Map<string, number> => new Map(host.interfaces.map((i) => [i.name, i.ifindex]));
  const host6 = readHostConfig6(byName());
  const routes6 = new HostRoutes6();
  const loadRoutes6 = (r: ReturnType<typeof readHostConfig6>['routes']): void => {
    routes6.current = new StaticRoutes6(r.filter((x) => bound.has(x.ifindex)));
  };
  loadRoutes6(host6.routes);
  // The loopback device carries frames for a local real server into the host (ACT.LOCAL).
  const lo = host.interfaces.find((i) => i.name === 'lo');
  const engine = new Engine({
    director: port.director,
    routes,
    routes6,
    interfaces: chosen.map((i) => {
      const addr6 = host6.addrs.get(i.ifindex);
      return { ifindex: i.ifindex, mac: i.mac, mtu: i.mtu, addr4: addr4Of(i), ...(addr6 ? { addr6 } : {}) };
    }),
    // Both drivers leave room before every received frame: AF_PACKET its PACKET_RESERVE, AF_XDP
    // the XDP_PACKET_HEADROOM (256) in front of each chunk's data. TUN then encapsulates in place.
    headroom: loadPacketAddon().rxHeadroom ?? 0,
    ...(lo ? { localIfindex: lo.ifindex } : {}),
  });
  const sync = new PlaneSync(engine);
  const sockets: PacketSocket[] = [];
  try {
    for (const i of chosen) sockets.push(new PacketSocket().bind(i.name));
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }
  let localAddrs = o.ingressBypass || (o.xdp ?? 'off') !== 'off' ? readLocalAddrs() : [];
  const vrrp = new VrrpOwnership();
  for (const i of o.vrrpInstances ?? []) vrrp.set(i.name, i.vips, false);
  engine.withhold(vrrp.held4, vrrp.held6);
  engine.own(vrrp.owned4, vrrp.owned6);
  // IPv4 only: IPv6 traffic reaches lvsd through AF_PACKET (the kernel drops it, it holds no VIP).
  // A held-back VRRP VIP is left to the kernel: a BACKUP takes (and so drops) none of its traffic.
  // The mark rules in force (setMarks); their single destinations join the traffic lvsd takes.
  let markRules: readonly MarkRule[] = [];
  const bypassSpec = (): BypassSpec => {
    const services = port.director.table.list().filter((s) => !heldService(vrrp, s.af, s.addrBytes));
    const spec = bypassSpecFromServices(services, { interfaces: o.interfaces, localAddrs, families: [4] });
    const marked = markEndpoints(services, markRules);
    return marked.length ? { ...spec, lips: [...spec.lips, ...marked] } : spec;
  };
  const offMode = o.xdpOffload ?? 'off';
  let offSkipped = false;
  // One warning, once: why offload is off (with on, a start error instead).
  const offSkip = (why: string): void => {
    if (offMode === 'on') throw new PacketPlaneError('ERR_PACKET_PLANE_XDP', `--xdp-offload on: ${why}`);
    if (!offSkipped) (o.log?.warn ?? o.log?.info)?.call(o.log, { reason: why }, 'XDP flow offload off');
    offSkipped = true;
  };
  let flows: XdpFlowMap | undefined;
  try {
    // auto on a virtual link: no maps at all, so the program has no offload lookup to pay for.
    const virtual = chosen.filter((i) => !physicalInterface(i.name)).map((i) => i.name);
    if (offMode === 'auto' && virtual.length > 0) offSkip(virtualLinkReason(virtual));
    else flows = offloadMaps(offMode, offSkip);
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }
  const xdp = startXdp(port, chosen, sockets, bypassSpec(), o, flows);
  let offload: OffloadPlane | undefined;
  try {
    if (!xdp && offMode !== 'off') offSkip('the AF_XDP path is not running');
    offload = xdp
      ? OffloadPlane.start(
          engine,
          port.director,
          xdp,
          offMode,
          offSkip,
          chosen.map((i) => i.name),
        )
      : undefined;
  } catch (e) {
    xdp?.close();
    for (const s of sockets) s.close();
    throw e;
  }
  if (offload)
    o.log?.info({ maxEntries: flows?.maxEntries }, 'XDP flow offload on (DR, NAT requests; IPv4, TCP)');
  const planeIfs = chosen.map(
    (i, k): PlaneInterface => ({
      ifindex: i.ifindex,
      name: i.name,
      mac: i.mac,
      driver: xdp ? xdp.drivers[k]! : sockets[k]!,
    }),
  );
  // Send only, with the smallest ring (never read: the host's own loopback traffic fills it once
  // and is then dropped by the kernel at no further cost to lvsd).
  if (lo && !bound.has(lo.ifindex)) {
    try {
      const driver = new PacketSocket({ blockSize: 1 << 16, blockCount: 1 }).bind(lo.name);
      planeIfs.push({ ifindex: lo.ifindex, name: lo.name, mac: lo.mac, driver, txOnly: true });
    } catch (e) {
      // Without it, frames for a local real server are counted as tx_dropped.
      o.log?.info({ err: String(e) }, 'cannot open a packet socket on lo: local real servers get nothing');
    }
  }
  const loop = new PlaneLoop(engine, planeIfs);
  for (const s of sockets) s.on('error', (e: Error) => fault(port, 'packet-socket-error', e.message));
  loop.start();
  const timer = setInterval(() => loop.tick(), o.tickMs ?? 100);
  timer.unref();
  const statsTimer = startStatsLog(loop, sockets, o, xdp);

  // A real server at one of the host's addresses (a local route): engine/support.ts says what of it is served.
  const isLocalDest = (d: Dest): boolean => {
    const b = d.addrBytes;
    if (d.af !== 4) return false;
    rr.local = false;
    return routes.lookup4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, rr) && rr.local;
  };
  const announced = new Set<number>();
  const announced6 = new Set<string>();
  const rr = new RouteResult();
  const rr6 = new RouteResult6();
  // The VIP's own subnet decides the interface; else its route; else every interface.
  const targets4 = (a: number): number[] => {
    const itf = interfaceForAddr(chosen, a);
    return itf ? [itf.ifindex] : routes.lookup4(a, rr) ? [rr.ifindex] : [...bound];
  };
  const targets6 = (a: Uint8Array): number[] => (routes6.lookup6(a, 0, rr6) ? [rr6.ifindex] : [...bound]);
  // VRRP VIPs are announced by the runner (vrrpAnnounce) when their instance becomes MASTER.
  const announceNew = (): void => {
    const want = new Set<number>();
    for (const s of port.director.table.list()) {
      if (s.af !== 4) continue;
      const b = s.addrBytes;
      if (b) want.add(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
      for (const l of s.laddrs) {
        const p = l.split('.').map(Number);
        if (p.length === 4) want.add(((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
      }
    }
    for (const a of want) {
      if (announced.has(a) || vrrp.isVrrp4(a)) continue;
      announced.add(a);
      for (const t of targets4(a)) loop.announce(t, a);
    }
    for (const a of announced) if (!want.has(a)) announced.delete(a);
    // IPv6 VIPs and LIPs: an unsolicited advert on the interface whose IPv6 routes reach them.
    const want6 = new Set<string>();
    for (const s of port.director.table.list()) {
      if (s.af !== 6) continue;
      // The VIP and the FULLNAT LIPs: the director's kernel holds neither.
      const addrs = s.laddrs.flatMap((l) => parseIPv6(l) ?? []);
      if (s.addrBytes?.length === 16) addrs.push(s.addrBytes);
      for (const a of addrs) {
        const key = Buffer.from(a).toString('hex');
        want6.add(key);
        if (announced6.has(key) || vrrp.isVrrp6(a)) continue;
        announced6.add(key);
        for (const t of targets6(a)) loop.announce6(t, a);
      }
    }
    for (const k of announced6) if (!want6.has(k)) announced6.delete(k);
  };
  announceNew();
  const bypass = o.ingressBypass
    ? new IngressBypass({
        interfaces: o.interfaces,
        ...(o.log ? { log: o.log } : {}),
        ...(o.nft ? { nft: o.nft } : {}),
      })
    : undefined;
  bypass?.update(bypassSpec());
  if (!bypass)
    void removeBypassLeftovers(o.interfaces, o.nft).then((gone) => {
      if (gone.length > 0)
        o.log?.info({ tables: gone }, 'removed ingress-bypass tables a previous lvsd left');
    });
  const stopWatch = watchHostConfig(() => {
    try {
      host = readHostConfig();
      loadRoutes(host);
      loadRoutes6(readHostConfig6(byName()).routes);
      o.log?.info({ routes: host.routes.length }, 'host routes re-read');
    } catch (e) {
      fault(port, 'host-config-unreadable', (e as Error).message);
    }
    if (bypass || xdp) {
      // A new host address may be a LIP or a NAT reply's destination the bypass must spare.
      localAddrs = readLocalAddrs();
      bypass?.update(bypassSpec());
      updateXdp(port, xdp, bypassSpec);
    }
  });
  o.log?.info({ interfaces: o.interfaces }, 'packet data plane started');

  const handle: PacketPlaneHandle = {
    name: 'packet',
    onChanges: () => {
      announceNew();
      bypass?.update(bypassSpec());
      updateXdp(port, xdp, bypassSpec);
    },
    vipStatus: () =>
      port.director.table.list().map((s) => {
        const held = s.key.kind === 'addr' ? vrrp.heldBy({ af: s.af === 6 ? 6 : 4, addr: s.key.addr }) : [];
        const why = held.length
          ? `VRRP instance ${held.join(', ')} is not MASTER here (BACKUP or FAULT): the address is its peer's`
          : undefined;
        const st = serviceStatus(
          s,
          (svc, d) =>
            destUnsupported(svc.af, d) ??
            (isLocalDest(d) ? localDestUnsupported(d, xdp !== undefined || bypass !== undefined) : undefined),
          why ?? fwmarkUnserved(s, markRules, (n) => o.interfaces.includes(n)),
        );
        // serviceSupport words a service of mixed families as served with a caveat.
        const caveat = st.serving ? serviceSupport(s).reason : undefined;
        return caveat ? { ...st, reason: caveat } : st;
      }),
    vrrpOwn: async (instance, vips, master) => {
      vrrp.set(instance, vips, master);
      engine.withhold(vrrp.held4, vrrp.held6);
      engine.own(vrrp.owned4, vrrp.owned6);
      bypass?.update(bypassSpec());
      updateXdp(port, xdp, bypassSpec);
    },
    vrrpAnnounce: (vips) => {
      for (const v of vips) {
        const p = parseVip(v);
        if (p === undefined) continue;
        // The VIP's `dev` when lvsd serves it, else where it would be announced as a plain VIP.
        const dev = chosen.find((i) => i.name === v.dev)?.ifindex;
        if (p.af === 4) for (const t of dev !== undefined ? [dev] : targets4(p.v4)) loop.announce(t, p.v4);
        else for (const t of dev !== undefined ? [dev] : targets6(p.v6)) loop.announce6(t, p.v6);
      }
    },
    setMarks: (rules) => {
      markRules = rules;
      const ifindexOf = new Map(chosen.map((i) => [i.name, i.ifindex]));
      engine.setMarks(new MarkTable(rules, (n) => ifindexOf.get(n)));
      // A rule naming an interface lvsd does not serve never sees a packet: say so once.
      for (const r of rules)
        if (r.iif !== undefined && !ifindexOf.has(r.iif))
          o.log?.info(
            { rule: r.origin, iif: r.iif },
            'mark rule names an interface lvsd does not serve: it never matches',
          );
      o.log?.info({ rules: rules.length }, 'mark rules in force');
      bypass?.update(bypassSpec());
      updateXdp(port, xdp, bypassSpec);
    },
    attachSyncMaster: (sink) => sync.attachMaster(sink),
    detachSyncMaster: () => sync.detachMaster(),
    applySync: (datagram, now, syncId = 0) => sync.apply(datagram, syncId, now),
    applySyncEntry: (e, now) => {
      sync.applyEntry(e, now);
    },
    syncCounters: () => ({ ...sync.counters }),
    status: () => {
      const c = loop.counters;
      const drops: Record<string, number> = {};
      const d = engine.out.drops;
      for (let i = 0; i < d.length; i++) if (d[i]! > 0) drops[DROP_NAME[i] || `drop_${i}`] = d[i]!;
      return {
        interfaces: chosen.map((i, k) => {
          const w = k * IF_COUNTER_WORDS;
          const f = loop.ifCounters;
          return {
            name: i.name,
            ifindex: i.ifindex,
            rxFrames: f[w]!,
            rxBytes: f[w + 1]!,
            txFrames: f[w + 2]!,
            txBytes: f[w + 3]!,
            txDropped: f[w + 4]!,
          };
        }),
        rxFrames: c[PLANE_COUNTER.RX_FRAMES]!,
        txFrames: c[PLANE_COUNTER.TX_FRAMES]!,
        txDropped: c[PLANE_COUNTER.TX_DROPPED]!,
        garpSent: c[PLANE_COUNTER.GARP_SENT]!,
        drops,
        ...(xdp ? { xdp: xdp.status() } : {}),
        ...(offload ? { offload: offload.counters() } : {}),
      };
    },
    beforeRead() {
      offload?.sweep();
    },
    counters() {
      const st = handle.status();
      return {
        ...(st.offload ? { offload: { ...st.offload } } : {}),
        drops: st.drops,
        interfaces: st.interfaces.map(({ ifindex: _, ...c }) => c),
        ...(st.xdp
          ? {
              xdp: st.xdp.interfaces.map((i) => ({
                name: i.name,
                counters: { ...(i.stats ?? {}) } as Record<string, number>,
              })),
            }
          : {}),
      };
    },
    close: async () => {
      clearInterval(timer);
      if (statsTimer) clearInterval(statsTimer);
      stopWatch();
      loop.close();
      offload?.close();
      xdp?.close();
      await bypass?.close();
    },
  };
  return handle;
}

/**
 * Starts the AF_XDP path per `o.xdp`: undefined when off, or (auto) when it cannot start, with
 * the reason published as an `xdp-unavailable` fault; with 'on' a failure stops the plane (sockets closed) with
 * ERR_PACKET_PLANE_XDP.
 */
function startXdp(
  port: DirectorPort,
  chosen: readonly HostInterface[],
  sockets: readonly PacketSocket[],
  spec: BypassSpec,
  o: PacketPlaneOptions,
  flows: XdpFlowMap | undefined,
): XdpPath | undefined {
  const mode = o.xdp ?? 'off';
  if (mode === 'off') {
    flows?.close();
    return undefined;
  }
  try {
    const x = XdpPath.start(chosen, sockets, spec, flows);
    o.log?.info(
      {
        interfaces: chosen.map((i, k) => `${i.name}:${x.modes[k]}`),
        filterEntries: x.program.entries.filter.size,
        busyPoll: x.sockets.every((s) => s.stats().busyPoll === 1),
        ...(x.deferralFailures.length ? { napiDeferralFailed: x.deferralFailures } : {}),
      },
      'AF_XDP fast path attached',
    );
    return x;
  } catch (e) {
    const why = xdpFailureReason(e);
    if (mode === 'on') {
      for (const s of sockets) s.close();
      throw new PacketPlaneError('ERR_PACKET_PLANE_XDP', `--xdp on: AF_XDP path unavailable: ${why}`);
    }
    if (dataplaneFaultChannel.hasSubscribers)
      dataplaneFaultChannel.publish({
        source: port,
        plane: 'packet',
        code: 'xdp-unavailable',
        detail: { reason: why },
      });
    return undefined;
  }
}

/** True when a service on `addr` (4 bytes) has a VRRP VIP this director holds back. */
function heldService(vrrp: VrrpOwnership, af: number, addr: Uint8Array | null): boolean {
  if (af !== 4 || addr?.length !== 4) return false;
  return vrrp.isHeld4(((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) >>> 0);
}

/** Refills the XDP filter maps; a failure is published as a fault (the old entries stay). */
function updateXdp(port: DirectorPort, xdp: XdpPath | undefined, spec: () => BypassSpec): void {
  if (!xdp) return;
  try {
    xdp.update(spec());
  } catch (e) {
    fault(port, 'xdp-filter-update-failed', xdpFailureReason(e));
  }
}

/** Publishes a fault of the packet plane serving `port` on `lvs:dataplane:fault`. */
function fault(port: DirectorPort, code: DataplaneFaultCode, err: unknown): void {
  if (dataplaneFaultChannel.hasSubscribers)
    dataplaneFaultChannel.publish({ source: port, plane: 'packet', code, err });
}

/** Periodic rate log of the plane's counters and the sockets' kernel ring drops (diagnostics). */
function startStatsLog(
  loop: PlaneLoop,
  sockets: readonly PacketSocket[],
  o: PacketPlaneOptions,
  xdp?: XdpPath,
): NodeJS.Timeout | undefined {
  const ms = o.statsLogMs ?? Number(process.env.LVS_PACKET_STATS_MS ?? 0);
  if (!o.log || !(ms > 0)) return undefined;
  const log = o.log;
  const prev = new Float64Array(loop.counters.length);
  const prevDrops = new Float64Array(loop.dropReasons.length);
  const t = setInterval(() => {
    const c = loop.counters;
    const d = (k: number): number => c[k]! - prev[k]!;
    let ringDrops = 0;
    let freezes = 0;
    for (const s of sockets) {
      try {
        const st = s.stats();
        ringDrops += st.drops;
        freezes += st.freezes;
      } catch {
        /* closed */
      }
    }
    const batches = d(PLANE_COUNTER.BATCHES);
    // Engine drops of this interval by reason name (engine/drops.ts), so a stall can be told apart.
    const drops: Record<string, number> = {};
    const r = loop.dropReasons;
    for (let i = 0; i < r.length; i++) {
      const n = r[i]! - prevDrops[i]!;
      if (n > 0) drops[DROP_NAME[i] || `drop_${i}`] = n;
    }
    prevDrops.set(r);
    log.info(
      {
        rx: d(PLANE_COUNTER.RX_FRAMES),
        tx: d(PLANE_COUNTER.TX_FRAMES),
        txDropped: d(PLANE_COUNTER.TX_DROPPED),
        engineDrops: d(PLANE_COUNTER.ENGINE_DROPS),
        ...(Object.keys(drops).length > 0 ? { drops } : {}),
        batches,
        perBatch: batches > 0 ? Math.round(d(PLANE_COUNTER.RX_FRAMES) / batches) : 0,
        ringDrops,
        freezes,
        ms,
        // Cumulative AF_XDP counters (ring drops, zero-copy vs copied transmits, kicks).
        ...(xdp ? { xdp: xdp.status().interfaces.map((i) => ({ name: i.name, ...i.stats })) } : {}),
      },
      'packet plane rates',
    );
    prev.set(c);
  }, ms);
  t.unref();
  return t;
}
