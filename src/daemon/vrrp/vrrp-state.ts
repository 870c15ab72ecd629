/**
 * What the VRRP runner keeps for each running instance beside its pure state machine, and the
 * `lvsadm --vrrp` view built from it.
 */
import type {
  LvsModel,
  ScriptSpec,
  VrrpInstance as VrrpInstanceModel,
  VrrpSyncGroup as VrrpSyncGroupModel,
} from '../../config/model.js';
import type { VrrpVip } from '../../control/ports.js';
import type { VrrpInstanceView } from '../../control/vrrp-views.js';
import { bindVrrpInstance, type VrrpBinding } from '../../vrrp/vrrp-config.js';
import { VrrpInstance } from '../../vrrp/vrrp-instance.js';
import type { VrrpNotifyState } from '../../vrrp/vrrp-notify.js';
import type { VrrpSyncGroup } from '../../vrrp/vrrp-sync-group.js';
import type { VrrpChannel } from '../../vrrp/vrrp-transport.js';
import { vrrpVipOf } from './vrrp-vips.js';

/** One running vrrp_sync_group: its coordinator and the state its notify scripts last heard. */
export interface GroupRt {
  readonly spec: VrrpSyncGroupModel;
  /** Members and notify scripts as text: a reload keeps a group whose key is unchanged. */
  readonly key: string;
  readonly sync: VrrpSyncGroup;
  last: VrrpNotifyState | 'INIT';
}

/** One running instance: its binding, state machine, channel, timer and counters. */
export interface InstanceRt {
  readonly name: string;
  readonly b: VrrpBinding;
  readonly m: VrrpInstance;
  /** The whole binding as text: a reload keeps an instance whose key is unchanged. */
  readonly key: string;
  readonly ifname: string;
  /** `unicast_src_ip` or `mcast_src_ip` when configured: the channel binds to it. */
  readonly srcAddr: string | undefined;
  readonly vips: readonly VrrpVip[];
  readonly group: GroupRt | undefined;
  readonly notify: Readonly<Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>>;
  /** The instance's own interface counts as a weight-0 tracker (not with `dont_track_primary`). */
  readonly trackOwnLink: boolean;
  ch: VrrpChannel | undefined;
  /** The socket could not be opened: the instance stays in FAULT (it could hear no master). */
  noSocket?: boolean;
  /**
   * The interface had no address of the family when the instance was bound (a placeholder stands
   * in): held in FAULT until one appears, as keepalived 2.2.7 does ("entering FAULT state (no
   * IPv4 address for interface)"), then rebound with it (vrrp-reload.ts readdressInstances()).
   */
  noAddress?: boolean;
  timer: unknown;
  timerAt: number | undefined;
  /** Wall-clock ms of the last transition (or of the start). */
  since: number;
  transitions: number;
  sent: number;
  received: number;
  /** Discarded adverts by VRRP_RX reason, and counted notes by VRRP_RX_NOTE code. */
  readonly rxErrors: Map<string, number>;
  /** The trackers' verdict last fed to the instance or its group. */
  fault: boolean;
  /** While restoring state on reload: actions are not performed. */
  quiet: boolean;
}

/**
 * Binds `vi` (src/vrrp/vrrp-config.ts) with the primary address found for it and builds its
 * state machine, not started. Throws the binding's VrrpError for a configuration it refuses.
 */
export function newInstanceRt(
  vi: VrrpInstanceModel,
  model: LvsModel,
  ifname: string,
  primary: string,
  groupOf: (name: string) => GroupRt | undefined,
  now: number,
): InstanceRt {
  const b = bindVrrpInstance(vi, model.vrrp, model.globals.extra, primary);
  // With use_vmac the VIPs go on the macvlan (keepalived: vrrp->ifp is the vmac).
  const vipIf = b.vmac?.ifname ?? ifname;
  const vips = vi.vips.filter((x) => x.af === b.instance.af).map((x) => vrrpVipOf(x, vipIf));
  return {
    name: vi.name,
    b,
    m: new VrrpInstance(b.instance),
    key: JSON.stringify([b, [...b.instance.authData], vips, vi.notify, ifname]),
    ifname,
    srcAddr: vi.unicastSrcIp ?? vi.mcastSrcIp,
    vips,
    group: b.syncGroup !== undefined ? groupOf(b.syncGroup) : undefined,
    notify: vi.notify,
    trackOwnLink: vi.extra.dont_track_primary === undefined,
    ch: undefined,
    timer: undefined,
    timerAt: undefined,
    since: now,
    transitions: 0,
    sent: 0,
    received: 0,
    rxErrors: new Map(),
    fault: false,
    quiet: false,
  };
}

/** The `--vrrp` view of one instance. */
export function instanceView(rt: InstanceRt): VrrpInstanceView {
  const c = rt.b.instance;
  const master = rt.m.state === 'MASTER' ? c.primaryAddr : rt.m.master?.addr;
  return {
    name: rt.name,
    vrid: c.vrid,
    version: c.version,
    af: c.af,
    interface: rt.ifname,
    state: rt.m.state,
    basePriority: c.priority,
    effectivePriority: rt.m.priority,
    primaryAddr: c.primaryAddr,
    ...(master !== undefined ? { masterAddr: master } : {}),
    advertIntMs: c.advertIntCs * 10,
    masterAdvertIntMs: rt.m.masterAdverIntCs * 10,
    since: rt.since,
    transitions: rt.transitions,
    advertsSent: rt.sent,
    advertsReceived: rt.received,
    rxErrors: Object.fromEntries([...rt.rxErrors].sort(([a], [b]) => (a < b ? -1 : 1))),
    ...(rt.b.syncGroup !== undefined ? { syncGroup: rt.b.syncGroup } : {}),
    vips: rt.vips.map((v) => `${v.addr}/${v.prefix}`),
  };
}
