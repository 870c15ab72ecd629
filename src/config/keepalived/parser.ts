/**
 * keepalived.conf front end: lexes, builds the block tree, dispatches top-level blocks, applies
 * keepalived's fix-ups and returns the normalised model with every diagnostic. Never throws on
 * bad input: all findings are ConfigDiagnostics located by file:line.
 */
import { type ConfigDiagnostic, Diagnostics, exitCodeFor } from '../diagnostics.js';
import { DEFAULT_GLOBALS, type LvsModel, type VrrpScript, type VrrpSyncGroup } from '../model.js';
import { parseGlobalDefs, type RawGlobals } from './global-defs.js';
import { parseGroup } from './group.js';
import { type ConfigIo, type LexOptions, lexKeepalived } from './lexer.js';
import type { RawGroup, RawVs } from './raw.js';
import { checkScriptUsers } from './script-users.js';
import { buildTree, type Node } from './tree.js';
import { completeServices } from './validate.js';
import { parseVirtualServer } from './virtual-server.js';
import { type MInstance, parseInstance, parseScript, parseSyncGroup } from './vrrp.js';
import { parseTrackFile, parseTrackProcess, type TrackerBlocks } from './vrrp-trackers.js';
import { checkIpLine, completeVrrp, type HostFacts } from './vrrp-validate.js';

/** Options of {@link parseKeepalived}: lexer options plus host facts for `-t` style checks. */
export interface KeepalivedOptions extends LexOptions, HostFacts {}

/** Result of parsing a keepalived.conf. */
export interface ParseResult {
  readonly model: LvsModel;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Top-level blocks accepted and not modelled (keepalived.conf(5) "TOP HIERACHY"). */
const ACCEPTED_BLOCKS = new Set([
  'linkbeat_interfaces',
  'track_group',
  'bfd_instance',
  'garp_group',
  'interface_up_down_delays',
  'SSL',
]);
/** Top-level statements outside blocks (keepalived.conf(5) "Global definitions"). */
const ACCEPTED_STATEMENTS = new Set([
  'net_namespace',
  'net_namespace_ipvs',
  'instance',
  'use_pid_dir',
  'linkbeat_use_polling',
  'child_wait_time',
]);
const BLOCKS = new Set([
  'global_defs',
  'virtual_server',
  'virtual_server_group',
  'vrrp_instance',
  'vrrp_sync_group',
  'vrrp_script',
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'track_file',
  'vrrp_track_file',
  'vrrp_track_process',
  ...ACCEPTED_BLOCKS,
]);

/** Parses keepalived.conf at `path` (absolute) into the model. */
export function parseKeepalived(path: string, io: ConfigIo, opts: KeepalivedOptions = {}): ParseResult {
  const d = new Diagnostics();
  const lines = lexKeepalived(path, io, d, opts);
  const tree = buildTree(lines, d);
  const rg: RawGlobals = {
    g: { ...DEFAULT_GLOBALS, extra: {} },
    vrrpStrict: false,
    vrrpVersion: 2,
    mcast4: '224.0.0.18',
    mcast6: 'ff02::12',
    extra: {},
  };
  const vss: RawVs[] = [];
  const groups = new Map<string, RawGroup>();
  const instances: MInstance[] = [];
  const syncGroups: VrrpSyncGroup[] = [];
  const scripts: VrrpScript[] = [];
  const trackers: TrackerBlocks = { files: [], processes: [], bfds: [] };
  // global_defs first: vrrp_version and friends are defaults for instances wherever they appear.
  for (const n of tree) if (n.kw === 'global_defs' && n.children) parseGlobalDefs(d, n, rg);
  syncInterfaceFinding(d, opts, tree, rg);
  for (const n of tree) {
    if (BLOCKS.has(n.kw) && n.children === undefined) {
      d.error('ERR_CONFIG_SYNTAX', `missing '{' at beginning of configuration block ${n.kw}`, n);
      continue;
    }
    topLevel(d, n, opts, { rg, vss, groups, instances, syncGroups, scripts, trackers });
  }
  checkScriptUsers(d, tree, opts);
  const services = completeServices(d, vss, groups);
  const vrrp = completeVrrp(d, opts, instances, syncGroups, scripts, trackers, {
    strict: rg.vrrpStrict,
    version: rg.vrrpVersion,
    mcast4: rg.mcast4,
    mcast6: rg.mcast6,
  });
  const model: LvsModel = {
    source: 'keepalived',
    globals: { ...rg.g, extra: rg.extra },
    services,
    vrrp,
  };
  return { model, diagnostics: d.list };
}

interface Acc {
  rg: RawGlobals;
  vss: RawVs[];
  groups: Map<string, RawGroup>;
  instances: MInstance[];
  syncGroups: VrrpSyncGroup[];
  scripts: VrrpScript[];
  trackers: TrackerBlocks;
}

function topLevel(d: Diagnostics, n: Node, opts: KeepalivedOptions, a: Acc): void {
  switch (n.kw) {
    case 'global_defs':
      return;
    case 'virtual_server': {
      const vs = parseVirtualServer(d, n);
      if (vs) a.vss.push(vs);
      return;
    }
    case 'virtual_server_group': {
      const g = parseGroup(d, n);
      if (g && a.groups.has(g.name))
        d.error('ERR_CONFIG_DUPLICATE', `virtual_server_group ${g.name} defined twice`, n);
      else if (g && g.entries.length > 0) a.groups.set(g.name, g);
      return;
    }
    case 'vrrp_instance': {
      const vi = parseInstance(d, n, a.rg.vrrpVersion, a.trackers, a.instances);
      if (vi && a.instances.some((x) => x.name === vi.name))
        d.error('ERR_CONFIG_DUPLICATE', `vrrp_instance ${vi.name} defined twice`, n);
      else if (vi) a.instances.push(vi);
      return;
    }
    case 'vrrp_sync_group': {
      const g = parseSyncGroup(d, n, a.trackers);
      if (g) a.syncGroups.push(g);
      return;
    }
    case 'vrrp_script': {
      const s = parseScript(d, n);
      if (s) a.scripts.push(s);
      return;
    }
    case 'track_file':
    case 'vrrp_track_file': {
      const f = parseTrackFile(d, n);
      // A later block of the same name is a second file; references find the first (find_tracked_file_by_name()).
      if (f) a.trackers.files.push(f);
      return;
    }
    case 'vrrp_track_process': {
      const p = parseTrackProcess(d, n);
      if (p) a.trackers.processes.push(p);
      return;
    }
    case 'static_ipaddress':
    case 'static_routes':
    case 'static_rules':
      for (const c of n.children ?? []) {
        checkIpLine(d, opts, [c.kw, ...c.args], n.kw, c);
        a.rg.extra[n.kw] = [...(a.rg.extra[n.kw] ?? []), [c.kw, ...c.args].join(' ')];
      }
      return;
    default:
      if (ACCEPTED_BLOCKS.has(n.kw) || ACCEPTED_STATEMENTS.has(n.kw)) {
        if (n.kw === 'bfd_instance' && n.args[0] !== undefined) a.trackers.bfds.push(n.args[0]);
        a.rg.extra[n.kw] = [...n.args];
        return;
      }
      d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${n.kw}'`, n);
  }
}

/** Verdict of `keepalived -t`: the findings and the exit code (0 ok, 4 fatal, 5 config errors). */
export interface CheckResult {
  readonly diagnostics: readonly ConfigDiagnostic[];
  readonly exitCode: 0 | 4 | 5;
}

/** Validates like `keepalived -t -f path` (keepalived main.c `config_test_exit`). */
export function checkKeepalived(path: string, io: ConfigIo, opts: KeepalivedOptions = {}): CheckResult {
  const { diagnostics } = parseKeepalived(path, io, opts);
  return { diagnostics, exitCode: exitCodeFor(diagnostics) };
}

/**
 * `lvs_sync_daemon IF` on an interface the host lacks: keepalived -t says nothing, and the
 * kernel refuses the sync daemons with ENODEV at start (ip_vs_sync.c start_sync_thread), as lvsd's
 * sync service does (ERR_LVS_NO_DEVICE): a finding with that code, at the line.
 */
function syncInterfaceFinding(d: Diagnostics, host: HostFacts, tree: readonly Node[], rg: RawGlobals): void {
  const sd = rg.g.lvsSyncDaemon;
  if (!sd || !host.interfaceExists || host.interfaceExists(sd.ifname)) return;
  const at = tree
    .flatMap((n) => (n.kw === 'global_defs' ? (n.children ?? []) : []))
    .find((c) => c.kw === 'lvs_sync_daemon');
  if (at)
    d.error(
      'ERR_LVS_NO_DEVICE',
      `lvs_sync_daemon interface ${sd.ifname} doesn't exist: the sync daemons cannot start (No such device)`,
      at,
    );
}
