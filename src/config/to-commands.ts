/**
 * Model → `Command[]`: the table a configuration asks for, built from scratch or as the minimal
 * diff applied on reload (keepalived ipwrapper.c `clear_diff_services`: unchanged services and
 * destinations are not touched, so their connections survive; changed ones get
 * edit-service/edit-dest, never delete+add).
 */
import type { Command, SyncDaemonConfig } from '../control/commands.js';
import { type DestConfig, type ServiceConfig, type ServiceKey, serviceKeyText } from '../core/types.js';
import type { GlobalSettings, LvsModel, RealServer, VirtualService } from './model.js';

/** Health view used to decide which destinations are in the table. */
export interface TableOptions {
  /**
   * Whether a real server is currently alive. Default: alive unless `alpha` (keepalived adds non-alpha
   * servers at startup; alpha ones and every ldirectord server wait for a passing check).
   */
  readonly isAlive?: (svc: VirtualService, rs: RealServer) => boolean;
}

/** One service's wanted state: settings and destinations by `[addr]:port` ({@link destId}). */
export interface TableEntry {
  readonly key: ServiceKey;
  readonly config: ServiceConfig;
  readonly dests: ReadonlyMap<string, DestConfig>;
}

const defaultAlive = (_s: VirtualService, rs: RealServer) => !rs.alpha;

/**
 * Destination identity inside a service (IPVS matches by address and port), written as keepalived
 * writes an address and port in its log (`[198.51.100.12]:8081`, lib/utils.c `inet_sockaddrtopair`), because the id
 * is what health log lines name.
 */
export function destId(d: { addr: string; port: number }): string {
  return `[${d.addr}]:${d.port}`;
}

/**
 * The IPVS table a model implies under a health view: alive servers at their weight, failed
 * inhibited ones at weight 0, and the sorry server instead of the real servers while quorum is
 * lost (keepalived ipwrapper.c `update_quorum_state`; ldirectord fallback).
 */
export function tableOf(model: LvsModel, opts: TableOptions = {}): Map<string, TableEntry> {
  const alive = opts.isAlive ?? defaultAlive;
  const out = new Map<string, TableEntry>();
  for (const svc of model.services) {
    const dests = new Map<string, DestConfig>();
    if (!svc.checksOff) {
      const up = svc.reals.filter((r) => alive(svc, r));
      const sum = up.reduce((a, r) => a + r.dest.weight, 0);
      // Startup rule: quorum is up iff weight_sum >= quorum + hysteresis (ipwrapper.c `set_quorum_states`).
      const quorumUp = sum > 0 && sum >= svc.quorum + svc.hysteresis;
      const sorryActive = svc.sorry !== undefined && !quorumUp;
      for (const r of svc.reals) {
        const isUp = up.includes(r);
        if (isUp && !sorryActive) dests.set(destId(r.dest), r.dest);
        else if (r.inhibitOnFailure) dests.set(destId(r.dest), { ...r.dest, weight: 0 });
      }
      if (svc.sorry && (sorryActive || svc.sorry.inhibit)) {
        dests.set(destId(svc.sorry.dest), sorryActive ? svc.sorry.dest : { ...svc.sorry.dest, weight: 0 });
      }
    }
    for (const key of svc.keys) out.set(serviceKeyText(key), { key, config: svc.config, dests });
  }
  return out;
}

/** Commands that build the model's table from an empty one, plus its global settings. */
export function buildCommands(model: LvsModel, opts: TableOptions = {}): Command[] {
  const cmds: Command[] = [];
  const g = model.globals;
  if (g.lvsFlush) cmds.push({ op: 'clear' });
  const t = g.lvsTimeouts;
  if (t.tcp || t.tcpfin || t.udp) cmds.push({ op: 'set-timeouts', tcp: t.tcp, tcpfin: t.tcpfin, udp: t.udp });
  const sd = g.lvsSyncDaemon;
  if (sd && sd.instance === undefined) {
    // Without a VRRP instance keepalived runs both sync daemons (global_parser.c `lvs_syncd_handler`).
    for (const state of ['master', 'backup'] as const)
      cmds.push({ op: 'start-daemon', daemon: syncDaemonSettings(sd, state, sd.syncId ?? 0) });
  }
  return [...cmds, ...diffTables(new Map(), tableOf(model, opts))];
}

/**
 * The `--start-daemon` settings of `lvs_sync_daemon` for role `state` with syncid `syncId` (the
 * configured one, else the followed instance's VRID, else 0): the options the file gave, the
 * rest left to the daemon's defaults.
 */
export function syncDaemonSettings(
  sd: NonNullable<GlobalSettings['lvsSyncDaemon']>,
  state: 'master' | 'backup',
  syncId: number,
): SyncDaemonConfig {
  return {
    state,
    mcastInterface: sd.ifname,
    syncId,
    ...(sd.maxLen !== undefined ? { syncMaxLen: sd.maxLen } : {}),
    ...(sd.group !== undefined ? { mcastGroup: sd.group } : {}),
    ...(sd.port !== undefined ? { mcastPort: sd.port } : {}),
    ...(sd.ttl !== undefined ? { mcastTtl: sd.ttl } : {}),
  };
}

/**
 * Reload diff between two models under the same health view (keepalived ipwrapper.c
 * `clear_diff_services`).
 */
export function diffCommands(current: LvsModel, desired: LvsModel, opts: TableOptions = {}): Command[] {
  return diffTables(tableOf(current, opts), tableOf(desired, opts));
}

function sameConfig(a: ServiceConfig, b: ServiceConfig): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.flags === b.flags &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    a.pe === b.pe &&
    (a.mhTableSize ?? 0) === (b.mhTableSize ?? 0)
  );
}

function sameDest(a: DestConfig, b: DestConfig): boolean {
  return (
    a.af === b.af &&
    a.fwd === b.fwd &&
    a.weight === b.weight &&
    a.uThreshold === b.uThreshold &&
    a.lThreshold === b.lThreshold &&
    a.tunType === b.tunType &&
    a.tunPort === b.tunPort &&
    a.tunFlags === b.tunFlags &&
    (a.proxyProtocol ?? 0) === (b.proxyProtocol ?? 0)
  );
}

/** Minimal commands turning table `cur` into `want`: deletes first, then edits, then adds. */
export function diffTables(
  cur: ReadonlyMap<string, TableEntry>,
  want: ReadonlyMap<string, TableEntry>,
): Command[] {
  const dels: Command[] = [];
  const edits: Command[] = [];
  const adds: Command[] = [];
  for (const [id, e] of cur) if (!want.has(id)) dels.push({ op: 'del-service', service: e.key });
  for (const [id, w] of want) {
    const c = cur.get(id);
    if (!c) {
      adds.push({ op: 'add-service', service: w.key, config: w.config });
      for (const d of w.dests.values()) adds.push({ op: 'add-dest', service: w.key, dest: d });
      continue;
    }
    if (!sameConfig(c.config, w.config)) edits.push({ op: 'edit-service', service: w.key, config: w.config });
    for (const [did, d] of c.dests) {
      if (!w.dests.has(did))
        dels.push({ op: 'del-dest', service: w.key, dest: { addr: d.addr, port: d.port } });
    }
    for (const [did, d] of w.dests) {
      const old = c.dests.get(did);
      if (!old) adds.push({ op: 'add-dest', service: w.key, dest: d });
      else if (!sameDest(old, d)) edits.push({ op: 'edit-dest', service: w.key, dest: d });
    }
  }
  return [...dels, ...edits, ...adds];
}
