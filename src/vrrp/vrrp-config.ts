/**
 * Binds the parsed configuration (src/config model: VrrpInstance, VrrpSyncGroup, VrrpScript,
 * global_defs) to what the VRRP state machine, the receive checks and the trackers use, with
 * keepalived's defaults (keepalived/vrrp/vrrp_data.c alloc_vrrp(), vrrp_parser.c, vrrp.c
 * vrrp_complete_instance(); keepalived.conf(5) "VRRP instance(s)" and global_defs).
 */

import type { TrackRef, VrrpInstance as VrrpInstanceModel, VrrpModel } from '../config/model.js';
import { ipBytes } from '../core/addr.js';
import { ahKey } from './vrrp-ah.js';
import { VRRP_ERR, VrrpError } from './vrrp-error.js';
import type { VrrpInstanceConfig } from './vrrp-instance-types.js';
import { VRRP_AUTH } from './vrrp-packet.js';
import type { VrrpRxConfig } from './vrrp-receive.js';
import type { TrackedObject } from './vrrp-track.js';
import { bindVmac, type VrrpVmacBinding } from './vrrp-vmac.js';

/** A tracker of one instance, with its weight resolved (instance weight, else the script's). */
export interface VrrpTrackBinding extends Omit<TrackedObject, 'up'> {
  readonly kind: 'interface' | 'script' | 'file' | 'process';
  readonly name: string;
}

/** Everything the daemon needs to run one instance. */
export interface VrrpBinding {
  readonly instance: VrrpInstanceConfig;
  readonly rx: VrrpRxConfig;
  readonly interface: string | undefined;
  /** Where adverts go: the multicast group, or each unicast peer. */
  readonly destinations: readonly string[];
  /** `skip_check_adv_addr`: compare VIPs only when the master changes. */
  readonly skipCheckAdvAddr: boolean;
  readonly tracks: readonly VrrpTrackBinding[];
  /** Name of the vrrp_sync_group the instance belongs to, if any. */
  readonly syncGroup: string | undefined;
  /** `use_vmac`: the macvlan the instance's VIPs (and, unless vmac_xmit_base, adverts) use. */
  readonly vmac: VrrpVmacBinding | undefined;
}

type Extra = Readonly<Record<string, ReadonlyArray<readonly string[]>>>;
type GlobalExtra = Readonly<Record<string, readonly string[]>>;

/** The last occurrence's arguments of an instance keyword, or undefined if absent. */
function last(extra: Extra, kw: string): readonly string[] | undefined {
  const v = extra[kw];
  return v && v.length > 0 ? v[v.length - 1] : undefined;
}

/** A `<BOOL>` keyword: absent → undefined, bare → true (lib/parser.c check_true_false()). */
function flag(args: readonly string[] | undefined): boolean | undefined {
  if (!args) return undefined;
  const s = args[0];
  return s === undefined || s === 'on' || s === 'true' || s === 'yes';
}

/** Seconds (decimal) as written → ms, or undefined. */
function seconds(args: readonly string[] | undefined): number | undefined {
  const v = Number(args?.[0]);
  return args && Number.isFinite(v) && v >= 0 ? Math.round(v * 1e6) / 1e3 : undefined;
}

function count(args: readonly string[] | undefined): number | undefined {
  const v = Number(args?.[0]);
  return args && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Binds instance `vi` of `model`. `primaryAddr` is the interface's primary address of the
 * instance's family (an I/O fact the caller looks up); unicast_src_ip / mcast_src_ip override it.
 * Limitation: the model keeps garp_master_delay/repeat already defaulted to 5 s / 5, so a global
 * vrrp_garp_master_* applies only to instances whose value equals that default.
 */
export function bindVrrpInstance(
  vi: VrrpInstanceModel,
  model: VrrpModel,
  globals: GlobalExtra,
  primaryAddr: string,
): VrrpBinding {
  if (vi.vrid < 1 || vi.vrid > 255)
    throw new VrrpError(VRRP_ERR.BAD_CONFIG, `(${vi.name}) virtual_router_id must be 1..255`);
  const af = vi.vips[0]?.af ?? (ipBytes(primaryAddr)?.length === 16 ? 6 : 4);
  const version = af === 6 ? 3 : vi.version;
  const g = (kw: string) => globals[kw];
  const x = vi.extra;
  const strict = model.strict || flag(last(x, 'strict_mode')) === true;
  const minGarp = flag(g('vrrp_min_garp')) === true;
  let masterRepeat = vi.garpMasterRepeat;
  if (masterRepeat === 5) masterRepeat = count(g('vrrp_garp_master_repeat')) ?? 5;
  let masterDelayMs = vi.garpMasterDelay;
  if (masterDelayMs === 5000) masterDelayMs = seconds(g('vrrp_garp_master_delay')) ?? 5000;
  // vrrp_min_garp: one GARP and no second burst (keepalived.conf(5) global_defs).
  if (minGarp) [masterRepeat, masterDelayMs] = [1, 0];
  const lowerPrioRepeat =
    count(last(x, 'garp_lower_prio_repeat')) ?? count(g('vrrp_garp_lower_prio_repeat')) ?? masterRepeat;
  const lowerPrioDelayMs =
    seconds(last(x, 'garp_lower_prio_delay')) ?? seconds(g('vrrp_garp_lower_prio_delay')) ?? masterDelayMs;
  const auth = version === 2 && vi.auth?.type === 'PASS' ? vi.auth.pass : undefined;
  const authData = new Uint8Array(8);
  if (auth !== undefined) authData.set(new TextEncoder().encode(auth).subarray(0, 8));
  // AH: the advert's Authentication Data stays zero; the password keys the AH ICV (vrrp-ah.ts).
  const ah = version === 2 && af === 4 && vi.auth?.type === 'AH' ? ahKey(vi.auth.pass) : undefined;
  const vips = vi.vips.filter((v) => v.af === af).map((v) => v.addr);
  const src = vi.unicastSrcIp ?? vi.mcastSrcIp ?? primaryAddr;
  const advertIntCs = Math.round(vi.advertInt / 10);
  const group = model.syncGroups.find((sg) => sg.members.includes(vi.name));
  const instance: VrrpInstanceConfig = {
    name: vi.name,
    vrid: vi.vrid,
    version,
    af,
    priority: vi.priority,
    advertIntCs,
    initialState: vi.state,
    preempt: vi.preempt,
    preemptDelayMs: vi.preemptDelay,
    primaryAddr: src,
    vips,
    authType: auth !== undefined ? VRRP_AUTH.PASS : ah !== undefined ? VRRP_AUTH.AH : VRRP_AUTH.NONE,
    authData,
    garp: {
      masterRepeat,
      masterDelayMs,
      masterRefreshMs: seconds(last(x, 'garp_master_refresh')) ?? seconds(g('vrrp_garp_master_refresh')) ?? 0,
      masterRefreshRepeat:
        count(last(x, 'garp_master_refresh_repeat')) ?? count(g('vrrp_garp_master_refresh_repeat')) ?? 1,
      // Strict mode sends no lower-priority GARP repeats (vrrp.c vrrp_complete_instance()).
      lowerPrioRepeat: strict ? 0 : lowerPrioRepeat,
      lowerPrioDelayMs: strict ? 0 : lowerPrioDelayMs,
      intervalMs: seconds(g('vrrp_garp_interval')) ?? 0,
    },
    lowerPrioNoAdvert:
      strict || (flag(last(x, 'lower_prio_no_advert')) ?? flag(g('vrrp_lower_prio_no_advert')) ?? false),
    higherPrioSendAdvert:
      flag(last(x, 'higher_prio_send_advert')) ?? flag(g('vrrp_higher_prio_send_advert')) ?? false,
    downTimerAdverts: count(last(x, 'down_timer_adverts')) ?? count(g('vrrp_down_timer_adverts')) ?? 3,
    inSyncGroup: group !== undefined,
  };
  const unicast = vi.unicastPeers.length > 0;
  const rx: VrrpRxConfig = {
    vrid: vi.vrid,
    version,
    af,
    authType: instance.authType,
    authData,
    ...(ah !== undefined ? { ahKey: ah } : {}),
    interval: version === 2 ? advertIntCs / 100 : advertIntCs,
    vips,
    unicast,
    unicastPeers: vi.unicastPeers.map((addr) => ({ addr })),
    checkUnicastSrc: flag(last(x, 'check_unicast_src')) ?? flag(g('vrrp_check_unicast_src')) ?? false,
    v3ChecksumAsV2: flag(last(x, 'v3_checksum_as_v2')) ?? flag(g('v3_checksum_as_v2')) ?? false,
    ownerIgnoreAdverts: flag(last(x, 'owner_ignore_adverts')) ?? false,
    mcastGroup4: model.mcastGroup4,
    oldUnicastChecksum: last(x, 'old_unicast_checksum')?.[0] !== 'never',
  };
  // A member of a sync group without sync_group_tracking_weight must not float its priority:
  // keepalived 2.2.7 keeps a weighted track_interface at weight 0 (FAULT while down) and stops
  // tracking a weighted track_script altogether; weight-0 ones stay as they are (keepalived/vrrp/
  // vrrp.c vrrp_complete_instance(), "ignoring ... due to SYNC group").
  const unweighted = group !== undefined && !group.trackingWeight;
  const tracks: VrrpTrackBinding[] = [
    ...vi.trackInterfaces.map((t) => ({
      kind: 'interface' as const,
      name: t.name,
      weight: unweighted ? 0 : (t.weight ?? 0),
      reverse: t.reverse,
    })),
    ...vi.trackScripts.flatMap((t) => {
      const s = model.scripts.find((x) => x.name === t.name);
      if (!s) return [];
      const weight = t.weight ?? s.weight;
      if (unweighted && weight !== 0) return [];
      return [
        {
          kind: 'script' as const,
          name: t.name,
          weight,
          reverse: t.weight !== undefined ? t.reverse : s.weightReverse,
        },
      ];
    }),
  ];
  tracks.push(...groupScriptTracks(model, group, tracks), ...fileAndProcessTracks(vi, group));
  const mcast = af === 4 ? model.mcastGroup4 : model.mcastGroup6;
  return {
    instance,
    rx,
    interface: vi.interface,
    destinations: unicast ? vi.unicastPeers : [mcast],
    skipCheckAdvAddr: flag(last(x, 'skip_check_adv_addr')) ?? flag(g('vrrp_skip_check_adv_addr')) ?? false,
    tracks,
    syncGroup: group?.name,
    vmac: bindVmac(vi, model, g('vmac_prefix')?.[0], af, strict),
  };
}

/**
 * The sync group's own track_script entries, which every member tracks with the group's weight
 * (cleared to 0 when a member is an address owner); a script the member tracks itself keeps the
 * member's entry, with the group's weight unless the member's is 0 (keepalived/vrrp/vrrp.c
 * sync_group_tracking_init(), add_vrrp_to_track_script()). `tracks` is updated in place.
 */
function groupScriptTracks(
  model: VrrpModel,
  group: VrrpModel['syncGroups'][number] | undefined,
  tracks: VrrpTrackBinding[],
): VrrpTrackBinding[] {
  if (!group) return [];
  const owner = group.members.some((m) => model.instances.find((i) => i.name === m)?.priority === 255);
  const out: VrrpTrackBinding[] = [];
  for (const t of group.trackScripts) {
    const s = model.scripts.find((x) => x.name === t.name);
    if (!s || out.some((o) => o.name === t.name)) continue;
    const b = {
      kind: 'script' as const,
      name: t.name,
      weight: owner ? 0 : (t.weight ?? s.weight),
      reverse: t.weight !== undefined ? t.reverse : s.weightReverse,
    };
    const i = tracks.findIndex((o) => o.kind === 'script' && o.name === t.name);
    if (i < 0) out.push(b);
    else if (tracks[i]?.weight !== 0) tracks[i] = b;
  }
  return out;
}

/**
 * The instance's track_file and track_process entries, then its sync group's, which every member
 * tracks with the group's weight; a file on both keeps the instance's entry, with the group's
 * weight unless the instance's is 0 (keepalived/trackers/track_file.c add_obj_to_track_file()).
 */
function fileAndProcessTracks(
  vi: VrrpInstanceModel,
  group:
    | { readonly trackFiles?: readonly TrackRef[]; readonly trackProcesses?: readonly TrackRef[] }
    | undefined,
): VrrpTrackBinding[] {
  const out: VrrpTrackBinding[] = [];
  const add = (kind: 'file' | 'process', refs: readonly TrackRef[] | undefined, fromGroup: boolean) => {
    for (const t of refs ?? []) {
      const i = out.findIndex((o) => o.kind === kind && o.name === t.name);
      const b = { kind, name: t.name, weight: t.weight ?? 0, reverse: t.reverse };
      if (i < 0) out.push(b);
      else if (fromGroup && kind === 'file' && out[i]?.weight !== 0) out[i] = b;
    }
  };
  add('file', vi.trackFiles, false);
  add('process', vi.trackProcesses, false);
  add('file', group?.trackFiles, true);
  add('process', group?.trackProcesses, true);
  return out;
}
