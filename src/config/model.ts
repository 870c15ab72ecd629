/**
 * The normalised director configuration both keepalived.conf and ldirectord.cf map to. Health
 * checking, reload diffing and VRRP read only this; nothing here is format-specific except the
 * `source` tag and the per-format `extra` bags kept for diagnostics. Times are milliseconds.
 */
import type { Af } from '../core/addr.js';
import type { DestConfig, ServiceConfig, ServiceKey } from '../core/types.js';
import type { SourcePos } from './diagnostics.js';

/**
 * An external command: keepalived `<STRING>|<QUOTED-STRING> [user [:][group]]` (keepalived.conf(5)
 * "Quoted strings").
 */
export interface ScriptSpec {
  /** The command line as written (quotes removed). */
  readonly command: string;
  /** argv after splitting on unquoted spaces, single quotes grouping. */
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
  /**
   * Who runs it, once the daemon has resolved `user`/`group`, `script_user` or keepalived's
   * default (secure-scripts.ts); absent: the daemon's own uid and gid.
   */
  readonly uid?: number;
  readonly gid?: number;
}

/** Options every network checker shares (keepalived `install_checker_common_keywords`). */
export interface CheckerTiming {
  /** Seconds-resolution values converted to ms: time allowed for one probe. */
  readonly connectTimeout: number;
  /** Extra attempts after the first failure before declaring down (keepalived `retry`). */
  readonly retry: number;
  /** Wait before a retry attempt. */
  readonly delayBeforeRetry: number;
  /** Interval between checks. */
  readonly delayLoop: number;
  /** First check is at 1 s + random(0..warmup) (check_api.c `register_checkers_thread`). */
  readonly warmup: number;
  /** The real server starts down and needs one success (keepalived.conf(5) `alpha`). */
  readonly alpha: boolean;
  readonly logAllFailures: boolean;
  /**
   * keepalived: before the first state change a single failure marks the checker down (check_data.c
   * presets retry_it to retry). ldirectord always needs `failurecount` consecutive failures, so it
   * sets false.
   */
  readonly immediateFirstDown: boolean;
}

/** Where a network checker connects from and to. */
export interface CheckerConn {
  /** Target address (default: the real server's address). */
  readonly connectIp: string;
  /** Target port (default: the real server's port). */
  readonly connectPort: number;
  readonly bindTo?: string;
  readonly bindIf?: string;
  readonly bindPort?: number;
  /** SO_MARK for probe packets. */
  readonly fwmark?: number;
}

/** One `url { }` of HTTP_GET/SSL_GET. */
export interface HttpUrl {
  readonly path: string;
  /** Lowercase 32-hex MD5 of the body. */
  readonly digest?: string;
  /** Accepted status ranges, inclusive; default [[200, 299]]. */
  readonly statusCodes: ReadonlyArray<readonly [number, number]>;
  readonly virtualhost?: string;
  readonly regex?: string;
  readonly regexNoMatch: boolean;
}

/**
 * The checker of one real server, a union on `type` (keepalived.conf(5) checkers, ldirectord
 * `checktype`).
 */
export type CheckerConfig = (
  | ({ readonly type: 'tcp' } & CheckerConn)
  | ({
      readonly type: 'http' | 'https';
      readonly urls: readonly HttpUrl[];
      /** `1.0`, `1.0C` or `1.1` (the C/1.1 variants send `Connection: close`). */
      readonly httpProtocol: string;
      /** GET (keepalived) or GET/HEAD (ldirectord `httpmethod`). */
      readonly method: 'GET' | 'HEAD';
      readonly virtualhost?: string;
      readonly fastRecovery: boolean;
      readonly sniName?: string;
      readonly enableSni: boolean;
    } & CheckerConn)
  | ({ readonly type: 'smtp'; readonly heloName: string } & CheckerConn)
  | ({
      readonly type: 'dns';
      readonly queryType: string;
      readonly name: string;
      readonly expect?: string;
    } & CheckerConn)
  | ({
      readonly type: 'udp';
      /** Bytes to send; empty means keepalived's random payload. */
      readonly payload: Uint8Array;
      /** Expected reply prefix (nibble wildcards as `mask`), or undefined when no reply is required. */
      readonly requireReply?: { readonly bytes: Uint8Array; readonly mask: Uint8Array };
      readonly minReplyLength: number;
      readonly maxReplyLength: number;
    } & CheckerConn)
  | ({ readonly type: 'ping' } & CheckerConn)
  | {
      readonly type: 'misc';
      readonly script: ScriptSpec;
      /** Kill the script after this long (ms). */
      readonly timeout: number;
      /** Exit status 2..255 sets weight status−2 (keepalived.conf(5) MISC_CHECK `misc_dynamic`). */
      readonly dynamic: boolean;
    }
  | { readonly type: 'file'; readonly trackFile: string; readonly weight: number; readonly reverse: boolean }
  | ({
      /** ldirectord `simpletcp`: send request, expect a line matching receive. */
      readonly type: 'simpletcp';
      readonly request: string;
      readonly receive?: string;
    } & CheckerConn)
  | ({
      /** An ldirectord negotiate service with no dedicated prober yet (ftp, imap, ldap, sql, ...). */
      readonly type: 'negotiate';
      readonly service: string;
      readonly request: string;
      readonly receive?: string;
      readonly login?: string;
      readonly passwd?: string;
      readonly database?: string;
      readonly secret?: string;
    } & CheckerConn)
) &
  CheckerTiming & {
    /** ldirectord checktype N: TCP connect, and this checker only every N successes (0 = always). */
    readonly negotiateEvery?: number;
  } & SourcePos;

/** A real server (destination) with its checkers and notifications. */
export interface RealServer extends SourcePos {
  readonly dest: DestConfig;
  /** No checker means always alive (keepalived.conf(5); ldirectord `checktype=on`). */
  readonly checkers: readonly CheckerConfig[];
  /** Set weight 0 instead of removing on failure (keepalived inhibit_on_failure, ldirectord quiescent). */
  readonly inhibitOnFailure: boolean;
  readonly notifyUp?: ScriptSpec;
  readonly notifyDown?: ScriptSpec;
  /** Start down and require one passing check (keepalived alpha). */
  readonly alpha: boolean;
  readonly smtpAlert: boolean;
}

/** The server used while quorum is lost (keepalived sorry_server, ldirectord fallback). */
export interface SorryServer {
  readonly dest: DestConfig;
  /** Keep it configured at weight 0 while unused (sorry_server_inhibit). */
  readonly inhibit: boolean;
}

/** One virtual service (or a virtual_server_group: several keys sharing the same real servers). */
export interface VirtualService extends SourcePos {
  /** Stable identity for reload matching, e.g. `TCP 10.0.0.1:80` or `group VSG_1 TCP`. */
  readonly id: string;
  readonly keys: readonly ServiceKey[];
  readonly config: ServiceConfig;
  readonly reals: readonly RealServer[];
  readonly sorry?: SorryServer;
  /** Alive weight sum needed for the service to be "up" (keepalived ipwrapper.c `update_quorum_state`). */
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: ScriptSpec;
  readonly quorumDown?: ScriptSpec;
  /** Run quorum_down and notify_down at shutdown (keepalived omega). */
  readonly omega: boolean;
  /** Checkers run only while the VIP is local (keepalived ha_suspend). */
  readonly haSuspend: boolean;
  /** ldirectord `checktype=off`: never add real servers or fallback. */
  readonly checksOff: boolean;
  /** ldirectord fallbackcommand, run `start|stop vip:port proto`. */
  readonly fallbackCommand?: ScriptSpec;
  readonly virtualhost?: string;
  readonly name?: string;
}

/** A `vrrp_script` (keepalived.conf(5)). */
export interface VrrpScript extends SourcePos {
  readonly name: string;
  readonly script: ScriptSpec;
  readonly interval: number;
  readonly timeout: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

/** A `track_file` block (keepalived.conf(5); keepalived/trackers/track_file.c). */
export interface VrrpTrackFile extends SourcePos {
  readonly name: string;
  readonly path: string;
  /** −254..254, default 1: the file's value × weight is added to the priority. */
  readonly weight: number;
  readonly reverse: boolean;
  /** `init_file [VALUE] [overwrite]`: write VALUE at start if the file is absent (or always). */
  readonly init?: { readonly value: number; readonly overwrite: boolean };
}

/** A `vrrp_track_process` block (keepalived.conf(5); keepalived/vrrp/vrrp_parser.c vrrp_tprocess_*). */
export interface VrrpTrackProcess extends SourcePos {
  readonly name: string;
  /** The process name (its comm) or, with fullCommand, its argv[0]. */
  readonly process: string;
  /** Arguments to match after argv[0]; undefined when none were given. */
  readonly params?: readonly string[];
  readonly paramMatch: 'none' | 'exact' | 'partial' | 'initial';
  readonly fullCommand: boolean;
  readonly weight: number;
  readonly reverse: boolean;
  readonly quorum: number;
  readonly quorumMax: number;
  /** ms before a gained quorum counts (fork_delay / delay), 0 = at once. */
  readonly forkDelay: number;
  /** ms before a lost quorum counts (terminate_delay / delay), 0 = at once. */
  readonly terminateDelay: number;
}

/** A tracked object with an optional weight. */
export interface TrackRef extends SourcePos {
  readonly name: string;
  readonly weight?: number;
  readonly reverse: boolean;
}

/** A virtual IP line of virtual_ipaddress. */
export interface VipSpec extends SourcePos {
  readonly addr: string;
  readonly prefix: number;
  readonly af: Af;
  readonly dev?: string;
  /** The whole line as written, for the VRRP layer's remaining options. */
  readonly raw: readonly string[];
}

/** A `vrrp_instance` (keepalived.conf(5)), parsed and validated now, applied by the VRRP layer. */
export interface VrrpInstance extends SourcePos {
  readonly name: string;
  readonly state: 'MASTER' | 'BACKUP';
  readonly interface?: string;
  readonly vrid: number;
  readonly priority: number;
  readonly advertInt: number;
  readonly version: 2 | 3;
  readonly preempt: boolean;
  readonly preemptDelay: number;
  readonly auth?: { readonly type: 'PASS' | 'AH'; readonly pass: string };
  readonly vips: readonly VipSpec[];
  readonly vipsExcluded: readonly VipSpec[];
  readonly unicastSrcIp?: string;
  readonly unicastPeers: readonly string[];
  readonly mcastSrcIp?: string;
  readonly accept: boolean;
  readonly useVmac: boolean;
  /** `use_vmac NAME`: the macvlan's name (default from vmac_prefix and the VRID). */
  readonly vmacName?: string;
  /** `use_vmac MAC`: its address; five octets ending in ':' take the VRID as the sixth. */
  readonly vmacAddr?: string;
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackScripts: readonly TrackRef[];
  /** `track_file` references, resolved against {@link VrrpModel.trackFiles}. */
  readonly trackFiles?: readonly TrackRef[];
  /** `track_process` references, resolved against {@link VrrpModel.trackProcesses}. */
  readonly trackProcesses?: readonly TrackRef[];
  readonly notify: Readonly<Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>>;
  readonly garpMasterDelay: number;
  readonly garpMasterRepeat: number;
  /** Lines kept as written for keywords the VRRP layer may later honour (routes, rules, ...). */
  readonly extra: Readonly<Record<string, ReadonlyArray<readonly string[]>>>;
}

/** A `vrrp_sync_group`. */
export interface VrrpSyncGroup extends SourcePos {
  readonly name: string;
  readonly members: readonly string[];
  readonly trackScripts: readonly TrackRef[];
  /** The group's `track_file` references: each member tracks them with the group's weight. */
  readonly trackFiles?: readonly TrackRef[];
  /** The group's `track_process` references. */
  readonly trackProcesses?: readonly TrackRef[];
  readonly notify: Readonly<Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>>;
  /** `sync_group_tracking_weight`: members keep their tracking weights. */
  readonly trackingWeight?: boolean;
}

/** VRRP part of the model. */
export interface VrrpModel {
  readonly instances: readonly VrrpInstance[];
  readonly syncGroups: readonly VrrpSyncGroup[];
  readonly scripts: readonly VrrpScript[];
  readonly trackFiles?: readonly VrrpTrackFile[];
  readonly trackProcesses?: readonly VrrpTrackProcess[];
  readonly strict: boolean;
  readonly version: 2 | 3;
  readonly mcastGroup4: string;
  readonly mcastGroup6: string;
}

/** Director-wide settings from global_defs or ldirectord's global section. */
export interface GlobalSettings {
  readonly routerId?: string;
  /** `lvs_timeouts` in seconds, 0 = unchanged. */
  readonly lvsTimeouts: { readonly tcp: number; readonly tcpfin: number; readonly udp: number };
  readonly lvsFlush: boolean;
  readonly lvsSyncDaemon?: {
    readonly ifname: string;
    readonly instance?: string;
    readonly syncId?: number;
    readonly maxLen?: number;
    readonly port?: number;
    readonly ttl?: number;
    readonly group?: string;
  };
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  readonly smtpServer?: string;
  /** ldirectord: reload when the file changes. */
  readonly autoreload: boolean;
  /** ldirectord: run with the config path when the file changes. */
  readonly callback?: ScriptSpec;
  /** ldirectord checkinterval / keepalived default delay_loop (ms), for the scheduler. */
  readonly checkInterval: number;
  /** ldirectord `cleanstop` / keepalived default: remove our services at exit. */
  readonly cleanStop: boolean;
  /** Other keywords as written (format-specific). */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** The whole normalised configuration. */
export interface LvsModel {
  readonly source: 'keepalived' | 'ldirectord';
  readonly globals: GlobalSettings;
  readonly services: readonly VirtualService[];
  readonly vrrp: VrrpModel;
}

/** Defaults of GlobalSettings, shared by both front ends. */
export const DEFAULT_GLOBALS: GlobalSettings = {
  lvsTimeouts: { tcp: 0, tcpfin: 0, udp: 0 },
  lvsFlush: false,
  notificationEmail: [],
  autoreload: false,
  checkInterval: 60_000,
  cleanStop: true,
  extra: {},
};

/** An empty VRRP section (ldirectord has none). */
export const EMPTY_VRRP: VrrpModel = {
  instances: [],
  syncGroups: [],
  scripts: [],
  strict: false,
  version: 2,
  mcastGroup4: '224.0.0.18',
  mcastGroup6: 'ff02::12',
};
