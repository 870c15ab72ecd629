/**
 * Post-parse VRRP checks and fix-ups (keepalived vrrp.c `vrrp_complete_instance`, `chk_min_cfg`),
 * plus address/route/rule line checks for static_* and virtual_routes/rules blocks.
 */
import { canonicalIp } from '../../core/addr.js';
import type { Diagnostics, SourcePos } from '../diagnostics.js';
import type { TrackRef, VrrpInstance, VrrpModel, VrrpScript, VrrpSyncGroup } from '../model.js';
import type { MInstance } from './vrrp.js';
import { reportSyncWeights } from './vrrp-sync-weights.js';
import type { TrackerBlocks } from './vrrp-trackers.js';

/** Optional environment knowledge used by the checks keepalived does against the host. */
export interface HostFacts {
  /** True when a network interface exists; unset means interfaces are not checked. */
  readonly interfaceExists?: (name: string) => boolean;
  /** True when the host knows the user (getpwnam); unset means script users are not checked. */
  readonly userExists?: (name: string) => boolean;
  /** True when the host knows the group (getgrnam); unset means script groups are not checked. */
  readonly groupExists?: (name: string) => boolean;
}

/**
 * Reports a missing interface as a warning, as keepalived 2.2.7 does (`WARNING - interface X for
 * vrrp_instance VI_1 doesn't exist`, then "Non-existent interface specified in configuration" and
 * exit 5 from `keepalived -t`, as observed with Debian's 2.2.7; test/e2e/keepalived-oracle-vocab.test.ts).
 */
export function checkIf(
  d: Diagnostics,
  host: HostFacts,
  name: string | undefined,
  what: string,
  pos: SourcePos,
): void {
  if (name === undefined || !host.interfaceExists || host.interfaceExists(name)) return;
  d.warn('ERR_CONFIG_NO_INTERFACE', `interface ${name} for ${what} doesn't exist`, pos);
}

const ADDR_AFTER = new Set(['via', 'gw', 'from', 'to', 'src', 'or', 'peer', 'brd']);
const DEV_AFTER = new Set(['dev', 'oif', 'iif']);
const ROUTE_TYPES = new Set([
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'local',
  'broadcast',
  'multicast',
  'unicast',
  'nat',
  'anycast',
]);

/** Validates one `ip address|route|rule`-style line: addresses and `dev` interfaces. */
export function checkIpLine(
  d: Diagnostics,
  host: HostFacts,
  words: readonly string[],
  what: string,
  pos: SourcePos,
): void {
  const isAddr = (w: string) => {
    if (w === 'all' || w === 'default') return true;
    const [a, p] = w.split('/', 2);
    const ok = canonicalIp(a ?? '') !== undefined;
    return ok && (p === undefined || /^\d{1,3}$/.test(p));
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    const first = i === 0 || (i === 1 && ROUTE_TYPES.has(words[0]!));
    if (
      (first && /^[\d:a-fA-F.]+(\/\d+)?$/.test(w) && /[.:]/.test(w)) ||
      (ADDR_AFTER.has(w) && next !== undefined)
    ) {
      const target = first && !ADDR_AFTER.has(w) ? w : next!;
      if (!isAddr(target)) d.error('ERR_CONFIG_BAD_VALUE', `invalid IP ${target} in ${what} - skipping`, pos);
    }
    if (DEV_AFTER.has(w)) checkIf(d, host, next, what, pos);
  }
}

/** Applies keepalived's instance fix-ups and cross-references; returns the VRRP model part. */
export function completeVrrp(
  d: Diagnostics,
  host: HostFacts,
  raw: MInstance[],
  groups: VrrpSyncGroup[],
  scripts: VrrpScript[],
  trackers: TrackerBlocks,
  globals: { strict: boolean; version: 2 | 3; mcast4: string; mcast6: string },
): VrrpModel {
  const instances: VrrpInstance[] = [];
  const scriptNames = new Set(scripts.map((s) => s.name));
  for (const vi of raw) {
    const tag = `(${vi.name})`;
    if (!vi.prioritySet) vi.priority = vi.stateSet && vi.state === 'MASTER' ? 255 : 100;
    if (!vi.stateSet) vi.state = vi.priority === 255 ? 'MASTER' : 'BACKUP';
    if (vi.vrid === 0) {
      d.error('ERR_CONFIG_MISSING_VALUE', `${tag} the virtual router id must be set`, vi);
      continue;
    }
    if (vi.interface === undefined && vi.unicastPeers.length === 0) {
      d.error('ERR_CONFIG_MISSING_VALUE', `${tag} unknown interface!`, vi);
      continue;
    }
    checkIf(d, host, vi.interface, `vrrp_instance ${vi.name}`, vi.ifPos ?? vi);
    for (const t of vi.trackInterfaces) checkIf(d, host, t.name, `${tag} track_interface`, t);
    for (const v of [...vi.vips, ...vi.vipsExcluded]) checkIf(d, host, v.dev, `ip address ${v.addr}`, v);
    for (const [k, lines] of Object.entries(vi.extra)) {
      if (k === 'virtual_routes' || k === 'virtual_rules')
        for (const l of lines) checkIpLine(d, host, l, k, vi);
    }
    if (vi.vips.some((v) => v.af === 6)) vi.version = 3;
    if (vi.version === 2) {
      if (vi.advertInt % 1000 !== 0) {
        d.warn('ERR_CONFIG_ADJUSTED', `${tag} advert_int must be whole seconds for VRRPv2 - rounding`, vi);
        vi.advertInt = Math.max(1000, Math.round(vi.advertInt / 1000) * 1000);
      }
      if (vi.advertInt > 255_000) {
        d.warn('ERR_CONFIG_ADJUSTED', `${tag} advert_int above 255 s - using 255`, vi);
        vi.advertInt = 255_000;
      }
    } else {
      const r = Math.min(40_950, Math.max(10, Math.round(vi.advertInt / 10) * 10));
      if (r !== vi.advertInt)
        d.warn('ERR_CONFIG_ADJUSTED', `${tag} advert_int rounded to ${r / 1000} s for VRRPv3`, vi);
      vi.advertInt = r;
    }
    if (vi.state === 'MASTER' && !vi.preempt) {
      d.warn('ERR_CONFIG_ADJUSTED', `${tag} nopreempt is incompatible with state MASTER - clearing`, vi);
      vi.preempt = true;
    }
    if (vi.state === 'MASTER' && vi.preemptDelay > 0) {
      d.warn('ERR_CONFIG_ADJUSTED', `${tag} preempt_delay is incompatible with state MASTER - clearing`, vi);
      vi.preemptDelay = 0;
    }
    if (vi.auth && vi.version === 3) {
      d.warn('ERR_CONFIG_IGNORED', `${tag} authentication is not supported with VRRPv3 - ignoring`, vi);
      vi.auth = undefined;
    }
    if (vi.auth?.type === 'AH' && vi.state === 'MASTER' && vi.priority !== 255) {
      d.warn(
        'ERR_CONFIG_ADJUSTED',
        `${tag} initial state master is incompatible with AH authentication - clearing`,
        vi,
      );
      vi.state = 'BACKUP';
    }
    if (globals.strict) {
      if (vi.state === 'MASTER' && vi.priority !== 255) {
        d.error('ERR_CONFIG_CONFLICT', `${tag} state MASTER must match being address owner`, vi);
        vi.state = 'BACKUP';
      }
      if (vi.auth) {
        d.warn('ERR_CONFIG_IGNORED', `${tag} strict mode does not support authentication - ignoring`, vi);
        vi.auth = undefined;
      }
      if (vi.unicastPeers.length > 0)
        d.error('ERR_CONFIG_CONFLICT', `${tag} strict mode does not support unicast peers`, vi);
      if (vi.vips.length === 0)
        d.error('ERR_CONFIG_CONFLICT', `${tag} strict mode requires at least one VIP`, vi);
    }
    vi.trackScripts = vi.trackScripts.filter((t) => {
      if (scriptNames.has(t.name)) return true;
      d.error('ERR_CONFIG_IGNORED', `${tag} track script ${t.name} not found, ignoring`, t);
      return false;
    });
    const { stateSet: _s, prioritySet: _p, ifPos: _i, ...rest } = vi;
    instances.push(rest);
  }
  unweightTrackFiles(d, instances, groups);
  const names = new Set(instances.map((i) => i.name));
  const syncGroups = groups.filter((g) => {
    for (const m of g.members)
      if (!names.has(m)) d.error('ERR_CONFIG_IGNORED', `sync group ${g.name}: instance ${m} not found`, g);
    if (g.members.length === 0) {
      d.error('ERR_CONFIG_IGNORED', `sync group ${g.name} has no members - removing`, g);
      return false;
    }
    return true;
  });
  reportSyncWeights(d, instances, syncGroups, scripts);
  return {
    instances,
    syncGroups,
    scripts,
    ...(trackers.files.length > 0 ? { trackFiles: trackers.files } : {}),
    ...(trackers.processes.length > 0 ? { trackProcesses: trackers.processes } : {}),
    strict: globals.strict,
    version: globals.version,
    mcastGroup4: globals.mcast4,
    mcastGroup6: globals.mcast6,
  };
}

/**
 * A member of a sync group, or an address owner, cannot float its priority: its own track_file
 * entries with the default weight 1 become weight 0, other weighted ones are dropped; a group
 * with an owner member has its own track_file and track_process weights cleared
 * (keepalived/vrrp/vrrp.c vrrp_complete_instance(), sync_group_tracking_init()).
 */
function unweightTrackFiles(d: Diagnostics, instances: VrrpInstance[], groups: VrrpSyncGroup[]): void {
  for (const [i, vi] of instances.entries()) {
    if (!vi.trackFiles) continue;
    const inGroup = groups.some((g) => g.members.includes(vi.name) && !g.trackingWeight);
    if (!inGroup && vi.priority !== 255) continue;
    const why = inGroup ? 'SYNC group' : 'address_owner';
    const kept = vi.trackFiles.flatMap((t) => {
      if (t.weight === 1) {
        d.error(
          'ERR_CONFIG_ADJUSTED',
          `(${vi.name}) ignoring weight from tracked file ${t.name} due to ${why}. specify weight 0`,
          t,
        );
        return [{ ...t, weight: 0 }];
      }
      if (t.weight) {
        d.error(
          'ERR_CONFIG_IGNORED',
          `(${vi.name}) ignoring tracked file ${t.name} with weight ${t.weight} due to ${why}`,
          t,
        );
        return [];
      }
      return [t];
    });
    instances[i] = { ...vi, trackFiles: kept };
  }
  for (const [i, g] of groups.entries()) {
    const owner = g.members.some((m) => instances.find((x) => x.name === m)?.priority === 255);
    if (!owner) continue;
    const clear = (refs: readonly TrackRef[] | undefined, what: string) =>
      refs?.map((t) => {
        if (!t.weight) return t;
        d.error(
          'ERR_CONFIG_ADJUSTED',
          `(${g.name}) Cannot have weighted track ${what} '${t.name}' with member having priority 255 - setting weight 0`,
          t,
        );
        return { ...t, weight: 0 };
      });
    const trackFiles = clear(g.trackFiles, 'file');
    const trackProcesses = clear(g.trackProcesses, 'process');
    groups[i] = {
      ...g,
      ...(trackFiles ? { trackFiles } : {}),
      ...(trackProcesses ? { trackProcesses } : {}),
    };
  }
}
