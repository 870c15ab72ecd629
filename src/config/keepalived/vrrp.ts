/**
 * vrrp_instance, vrrp_sync_group and vrrp_script blocks (keepalived.conf(5); keepalived vrrp_parser.c and
 * `vrrp_complete_instance`). Parsed and validated into the model now; the VRRP layer applies them.
 */
import { type Af, canonicalIp, ipFamily } from '../../core/addr.js';
import type { Diagnostics } from '../diagnostics.js';
import type { ScriptSpec, TrackRef, VipSpec, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../model.js';
import type { Node } from './tree.js';
import { int, script, str, timer } from './values.js';
import { checkInstanceExtra } from './vrrp-extra.js';
import { type TrackerBlocks, trackerRefs } from './vrrp-trackers.js';
import { parseUseVmac, type UseVmac } from './vrrp-vmac.js';

type Notify = Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>;
const NOTIFY: Record<string, keyof Notify> = {
  notify_master: 'master',
  notify_backup: 'backup',
  notify_fault: 'fault',
  notify_stop: 'stop',
  notify: 'any',
};

/** Takes a notify_* keyword (instance or sync group alike) into `notify`; false for any other keyword. */
function takeNotify(d: Diagnostics, c: Node, notify: Notify): boolean {
  const k = NOTIFY[c.kw];
  if (!k) return false;
  const s = script(d, c);
  if (s) notify[k] = s;
  return true;
}

/** vrrp_instance keywords accepted and kept as written (keepalived.conf(5) "VRRP instance(s)"). */
const INSTANCE_EXTRA = new Set(
  (
    'virtual_routes virtual_rules track_bfd dont_track_primary track_src_ip ' +
    'use_vmac_addr vmac_xmit_base use_ipvlan garp_master_refresh garp_master_refresh_repeat ' +
    'garp_lower_prio_delay garp_lower_prio_repeat garp_extra_if down_timer_adverts lower_prio_no_advert ' +
    'higher_prio_send_advert old_unicast_checksum skip_check_adv_addr strict_mode promote_secondaries kernel_rx_buf_size debug ' +
    'linkbeat_use_polling native_ipv6 unicast_ttl unicast_fault_no_peer check_unicast_src mcast_dst_ip ' +
    'notify_deleted notify_master_rx_lower_pri smtp_alert notify_priority_changes'
  ).split(' '),
);

/** Instance keywords of keepalived after 2.2.7 that lvsd's VRRP binding reads (src/vrrp/vrrp-config.ts). */
const LATER = new Set(['owner_ignore_adverts', 'v3_checksum_as_v2']);

/** Parses one `ip[/prefix] [options...]` line of virtual_ipaddress. */
function vip(d: Diagnostics, n: Node): VipSpec | undefined {
  const [a, p] = n.kw.split('/', 2);
  const addr = canonicalIp(a ?? '');
  if (!addr) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid virtual IP '${n.kw}' - skipping`, n);
    return undefined;
  }
  const af: Af = ipFamily(addr) === 6 ? 6 : 4;
  const max = af === 4 ? 32 : 128;
  const prefix = p === undefined ? max : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid prefix in '${n.kw}' - skipping`, n);
    return undefined;
  }
  const di = n.args.indexOf('dev');
  const dev = di >= 0 ? n.args[di + 1] : undefined;
  return { addr, prefix, af, ...(dev ? { dev } : {}), raw: [n.kw, ...n.args], file: n.file, line: n.line };
}

function tracks(d: Diagnostics, n: Node): TrackRef[] {
  const out: TrackRef[] = [];
  for (const c of n.children ?? []) {
    const wi = c.args.indexOf('weight');
    let weight: number | undefined;
    if (wi >= 0) {
      const w = Number(c.args[wi + 1]);
      if (Number.isInteger(w) && w >= -253 && w <= 253) weight = w;
      else d.error('ERR_CONFIG_BAD_VALUE', `${c.kw}: weight must be -253..253`, c);
    }
    out.push({
      name: c.kw,
      reverse: c.args.includes('reverse'),
      ...(weight !== undefined ? { weight } : {}),
      file: c.file,
      line: c.line,
    });
  }
  return out;
}

/** Mutable instance while parsing (with flags telling whether state/priority were set). */
export type MInstance = { -readonly [K in keyof VrrpInstance]: VrrpInstance[K] } & {
  stateSet: boolean;
  prioritySet: boolean;
  extra: Record<string, Array<readonly string[]>>;
  /** Where `interface` was set: keepalived reports a missing interface at that line. */
  ifPos?: { file: string; line: number };
};

const NO_BLOCKS: TrackerBlocks = { files: [], processes: [], bfds: [] };

/**
 * Parses a vrrp_instance block (defaults from vrrp_data.c `alloc_vrrp`); `blocks` are the
 * track_file / vrrp_track_process blocks defined above it, `earlier` the instances parsed before
 * it (a use_vmac name they took is refused).
 */
export function parseInstance(
  d: Diagnostics,
  n: Node,
  version: 2 | 3,
  blocks: TrackerBlocks = NO_BLOCKS,
  earlier: readonly MInstance[] = [],
): MInstance | undefined {
  const name = str(d, n, 0);
  if (name === undefined) return undefined;
  const vi: MInstance = {
    name,
    file: n.file,
    line: n.line,
    state: 'BACKUP',
    vrid: 0,
    priority: 100,
    advertInt: 1000,
    version,
    preempt: true,
    preemptDelay: 0,
    vips: [],
    vipsExcluded: [],
    unicastPeers: [],
    accept: true,
    useVmac: false,
    trackInterfaces: [],
    trackScripts: [],
    notify: {},
    garpMasterDelay: 5000,
    garpMasterRepeat: 5,
    stateSet: false,
    prioritySet: false,
    extra: {},
  };
  const notify: Notify = {};
  const vmac: UseVmac = {};
  let vmacAt: Node | undefined;
  for (const c of n.children ?? []) {
    if (takeNotify(d, c, notify)) continue;
    switch (c.kw) {
      case 'state': {
        const s = (c.args[0] ?? '').toUpperCase();
        vi.state = s === 'MASTER' ? 'MASTER' : 'BACKUP';
        if (s !== 'MASTER' && s !== 'BACKUP')
          d.error('ERR_CONFIG_BAD_VALUE', `unknown state '${c.args[0] ?? ''}' - using BACKUP`, c);
        vi.stateSet = true;
        break;
      }
      case 'interface':
        vi.interface = str(d, c) ?? vi.interface;
        vi.ifPos = { file: c.file, line: c.line };
        if (vi.interface === 'lo') {
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `(${name}) cannot use a loopback interface (lo) for vrrp - ignoring`,
            c,
          );
          vi.interface = undefined;
        }
        break;
      case 'virtual_router_id':
        vi.vrid = int(d, c, 0, 1, 255) ?? vi.vrid;
        break;
      case 'priority': {
        const p = int(d, c, 0, 1, 255);
        if (p !== undefined) [vi.priority, vi.prioritySet] = [p, true];
        break;
      }
      case 'advert_int': {
        const t = timer(d, c);
        if (t !== undefined) vi.advertInt = t;
        break;
      }
      case 'version': {
        const v = int(d, c, 0, 2, 3);
        if (v !== undefined) vi.version = v as 2 | 3;
        break;
      }
      case 'nopreempt':
        vi.preempt = false;
        break;
      case 'preempt':
        vi.preempt = true;
        break;
      case 'preempt_delay': {
        const t = timer(d, c, 0, 0);
        if (t !== undefined && t <= 1_000_000) vi.preemptDelay = t;
        else if (t !== undefined) d.error('ERR_CONFIG_BAD_VALUE', 'preempt_delay must be 0..1000', c);
        break;
      }
      case 'authentication':
        auth(d, c, vi);
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded': {
        const list = (c.children ?? []).map((x) => vip(d, x)).filter((x): x is VipSpec => x !== undefined);
        if (c.kw === 'virtual_ipaddress') vi.vips = [...vi.vips, ...list];
        else vi.vipsExcluded = [...vi.vipsExcluded, ...list];
        break;
      }
      case 'unicast_src_ip':
      case 'mcast_src_ip': {
        const a = canonicalIp(c.args[0] ?? '');
        if (!a) d.error('ERR_CONFIG_BAD_VALUE', `${c.kw}: invalid address`, c);
        else if (c.kw === 'unicast_src_ip') vi.unicastSrcIp = a;
        else vi.mcastSrcIp = a;
        break;
      }
      case 'unicast_peer':
        for (const x of c.children ?? []) {
          const a = canonicalIp(x.kw);
          if (a) vi.unicastPeers = [...vi.unicastPeers, a];
          else d.error('ERR_CONFIG_BAD_VALUE', `invalid unicast peer '${x.kw}'`, x);
        }
        break;
      case 'accept':
        vi.accept = true;
        break;
      case 'no_accept':
        vi.accept = false;
        break;
      case 'use_vmac':
        vi.useVmac = true;
        vmacAt = c;
        parseUseVmac(d, c, vmac, name, (x) => earlier.find((o) => o.vmacName === x)?.name);
        break;
      case 'track_interface':
        vi.trackInterfaces = [...vi.trackInterfaces, ...tracks(d, c)];
        break;
      case 'track_script':
        vi.trackScripts = [...vi.trackScripts, ...tracks(d, c)];
        break;
      case 'track_file':
        vi.trackFiles = [...(vi.trackFiles ?? []), ...trackerRefs(d, name, c, 'file', blocks)];
        break;
      case 'track_process':
        vi.trackProcesses = [...(vi.trackProcesses ?? []), ...trackerRefs(d, name, c, 'process', blocks)];
        break;
      case 'garp_master_delay':
        vi.garpMasterDelay = timer(d, c, 0, 0) ?? vi.garpMasterDelay;
        break;
      case 'garp_master_repeat':
        vi.garpMasterRepeat = int(d, c, 0, 1, 2147483647) ?? vi.garpMasterRepeat;
        break;
      case 'lvs_sync_daemon_interface':
        d.warn(
          'ERR_CONFIG_DEPRECATED',
          `(${name}) lvs_sync_daemon_interface is deprecated; use global lvs_sync_daemon`,
          c,
        );
        break;
      default:
        if (LATER.has(c.kw)) {
          // keepalived 2.2.7's `-t` reports these as unknown; lvsd applies them, so keep them.
          d.error(
            'ERR_CONFIG_UNKNOWN_KEYWORD',
            `unknown keyword '${c.kw}' in keepalived 2.2.7 (a later keepalived's; lvsd applies it)`,
            c,
          );
          vi.extra[c.kw] = [...(vi.extra[c.kw] ?? []), c.args];
        } else if (INSTANCE_EXTRA.has(c.kw)) {
          checkInstanceExtra(d, c);
          // vrrp_parser.c vrrp_tracked_bfd_handler(): a name no bfd_instance above defined is dropped.
          if (c.kw === 'track_bfd')
            for (const b of c.children ?? [])
              if (!blocks.bfds.includes(b.kw))
                d.error('ERR_CONFIG_IGNORED', `(${name}) track bfd ${b.kw} not found, ignoring...`, b);
          // vrrp_parser.c vrrp_native_ipv6_handler(): refused once an IPv4 address set the family.
          if (
            c.kw === 'native_ipv6' &&
            [...vi.vips, ...vi.unicastPeers].some((v) =>
              typeof v !== 'string' ? v.af === 4 : !v.includes(':'),
            )
          )
            d.error('ERR_CONFIG_CONFLICT', `(${name}) Cannot specify native_ipv6 with IPv4 addresses`, c);
          vi.extra[c.kw] = [
            ...(vi.extra[c.kw] ?? []),
            ...(c.children ? c.children.map((x) => [x.kw, ...x.args]) : [c.args]),
          ];
        } else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  vi.notify = notify;
  if (vmac.name !== undefined) vi.vmacName = vmac.name;
  if (vmac.addr !== undefined) vi.vmacAddr = vmac.addr;
  // Unicast adverts cannot leave by the macvlan (vrrp_parser.c vrrp_end_handler()).
  if (vmacAt && vi.unicastPeers.length > 0 && vi.extra.vmac_xmit_base === undefined) {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `(${name}) unicast with use_vmac requires vmac_xmit_base - setting`,
      vmacAt,
    );
    vi.extra.vmac_xmit_base = [[]];
  }
  return vi;
}

function auth(d: Diagnostics, c: Node, vi: MInstance): void {
  let type: 'PASS' | 'AH' | undefined;
  let pass: string | undefined;
  for (const x of c.children ?? []) {
    if (x.kw === 'auth_type') {
      const t = (x.args[0] ?? '').toUpperCase();
      if (t === 'PASS' || t === 'AH') type = t;
      else d.error('ERR_CONFIG_BAD_VALUE', `unknown auth_type '${x.args[0] ?? ''}'`, x);
    } else if (x.kw === 'auth_pass') {
      pass = x.args[0];
      if (pass !== undefined && pass.length > 8) {
        d.warn('ERR_CONFIG_ADJUSTED', 'auth_pass longer than 8 characters - truncating', x);
        pass = pass.slice(0, 8);
      }
    } else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${x.kw}'`, x);
  }
  if (type && pass) vi.auth = { type, pass };
  else d.error('ERR_CONFIG_IGNORED', `(${vi.name}) incomplete authentication block - ignoring`, c);
}

/**
 * Parses a vrrp_sync_group; members listed outside `group {}` are unknown keywords (keepalived
 * vrrp_parser.c).
 */
export function parseSyncGroup(
  d: Diagnostics,
  n: Node,
  blocks: TrackerBlocks = NO_BLOCKS,
): VrrpSyncGroup | undefined {
  const name = str(d, n, 0);
  if (name === undefined) return undefined;
  let members: string[] = [];
  let trackScripts: TrackRef[] = [];
  let trackingWeight = false;
  let trackFiles: TrackRef[] = [];
  let trackProcesses: TrackRef[] = [];
  const notify: Notify = {};
  for (const c of n.children ?? []) {
    if (takeNotify(d, c, notify)) continue;
    if (c.kw === 'group') members = [...members, ...(c.children ?? []).map((x) => x.kw), ...c.args];
    else if (c.kw === 'track_script') trackScripts = [...trackScripts, ...tracks(d, c)];
    // vrrp_parser.c vrrp_gglobal_tracking_handler(): the deprecated spelling sets the same flag.
    else if (c.kw === 'sync_group_tracking_weight' || c.kw === 'global_tracking') {
      trackingWeight = true;
      if (c.kw === 'global_tracking')
        d.error(
          'ERR_CONFIG_DEPRECATED',
          `(${name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`,
          c,
        );
    } else if (c.kw === 'track_file')
      trackFiles = [...trackFiles, ...trackerRefs(d, name, c, 'file', blocks)];
    else if (c.kw === 'track_process')
      trackProcesses = [...trackProcesses, ...trackerRefs(d, name, c, 'process', blocks)];
    else if (['track_interface', 'track_bfd', 'smtp_alert', 'notify_priority_changes'].includes(c.kw)) {
      // accepted; applied by the VRRP layer when it supports them
    } else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
  }
  return {
    name,
    members,
    trackScripts,
    ...(trackingWeight ? { trackingWeight } : {}),
    ...(trackFiles.length > 0 ? { trackFiles } : {}),
    ...(trackProcesses.length > 0 ? { trackProcesses } : {}),
    notify,
    file: n.file,
    line: n.line,
  };
}

/** Parses a vrrp_script (defaults: interval 1 s, timeout = interval, rise/fall 1, weight 0). */
export function parseScript(d: Diagnostics, n: Node): VrrpScript | undefined {
  const name = str(d, n, 0);
  if (name === undefined) return undefined;
  let sc: ScriptSpec | undefined;
  let interval = 1000;
  let timeout: number | undefined;
  let weight = 0;
  let weightReverse = false;
  let rise = 1;
  let fall = 1;
  let initFail = false;
  let user: [string, string?] | undefined;
  for (const c of n.children ?? []) {
    switch (c.kw) {
      case 'script':
        sc = script(d, c) ?? sc;
        break;
      case 'interval':
        interval = timer(d, c) ?? interval;
        break;
      case 'timeout':
        timeout = timer(d, c) ?? timeout;
        break;
      case 'weight':
        weight = int(d, c, 0, -253, 253) ?? weight;
        weightReverse = c.args[1] === 'reverse';
        break;
      case 'rise':
        rise = int(d, c, 0, 1, 2147483647) ?? rise;
        break;
      case 'fall':
        fall = int(d, c, 0, 1, 2147483647) ?? fall;
        break;
      case 'init_fail':
        initFail = true;
        break;
      case 'user':
        if (c.args[0]) user = [c.args[0], c.args[1]];
        break;
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  if (!sc) {
    d.error('ERR_CONFIG_IGNORED', `no script set for vrrp_script ${name} - removing`, n);
    return undefined;
  }
  if (user) sc = { ...sc, user: user[0], ...(user[1] ? { group: user[1] } : {}) };
  return {
    name,
    script: sc,
    interval,
    timeout: timeout || interval,
    weight,
    weightReverse,
    rise,
    fall,
    initFail,
    file: n.file,
    line: n.line,
  };
}
