/**
 * The interfaces the layers below the daemon and the data planes need from them, declared here,
 * beside the layer that consumes them, so every implementation imports downward only: the
 * daemon drives a `DataPlaneHandle` that a data plane implements, and the data planes and the
 * control handler reach the table through a `DirectorPort` that the daemon builds.
 */
import type { Director } from '../core/director.js';
import type { MarkRule } from '../core/mark-rule.js';
import type { SyncConnEntry } from '../sync/sync-entry.js';
import type { SyncSink } from '../sync/sync-master.js';
import type { Change, ControlTarget } from './apply.js';
import type { Command } from './commands.js';
import type { DataPlaneCounters, VipStatus } from './protocol.js';
import type { ConnView, DaemonView, TimeoutsView } from './views.js';

/**
 * Data planes: `proxy` (sockets, the default), `packet` (AF_PACKET frames) and `none`, our
 * extension: the table alone, accepting every rule as the kernel table does and forwarding
 * nothing (for checking rule files and scripts, and for ipvsadm-compatibility runs).
 */
export const DATAPLANES = ['proxy', 'packet', 'none'] as const;
/** A `--dataplane` value. */
export type DataplaneName = (typeof DATAPLANES)[number];

/** The running director as the daemon sees it. */
export interface DirectorPort extends ControlTarget {
  /** The core director, for data planes. */
  readonly director: Director;
  /** 2^conn_tab_bits. */
  readonly connTabSize: number;
  timeouts(): TimeoutsView;
  daemons(): readonly DaemonView[];
  conns(now: number): readonly ConnView[];
  /** Runs timers: connection expiry, rate estimation, dest trash. */
  tick(now: number): void;
}

/** The data plane as the daemon drives it: it follows table changes and reports what it serves. */
export interface DataPlaneHandle {
  readonly name: DataplaneName;
  /** Called after every applied command; must not throw for an unservable VIP. */
  onChanges(cmd: Command, changes: readonly Change[]): void;
  /** What is and is not being served, for status and logs. */
  vipStatus(): readonly VipStatus[];
  /** The plane's cumulative counters (drops, relay, rings), for status and metrics. */
  counters?(): DataPlaneCounters;
  /**
   * Folds counters the plane keeps outside the director (the XDP flow offload's) into its stats;
   * called before a listing or status is answered.
   */
  beforeRead?(): void;
  /** Why this plane refuses a control-socket command (e.g. `-g` on the proxy plane), or undefined. */
  refuse?(cmd: Command): string | undefined;
  /**
   * VRRP: this director became MASTER (`master` true) or left MASTER for an instance's
   * addresses. The proxy plane adds or removes them on the interface as keepalived does; the
   * packet plane answers ARP/NDP for them and forwards their traffic only while MASTER.
   */
  vrrpOwn?(instance: string, vips: readonly VrrpVip[], master: boolean): Promise<void>;
  /** VRRP: sends gratuitous ARPs / unsolicited neighbour adverts for `vips` (garp_master_*). */
  vrrpAnnounce?(vips: readonly VrrpVip[]): void;
  /**
   * Sync master role: from now on the plane hands `sink` the conns ip_vs_sync_conn() would send
   * (the packet plane, from every inbound packet). Absent: a master daemon has nothing to send.
   */
  attachSyncMaster?(sink: SyncSink): void;
  /** Sync master role ended: the plane stops feeding the sink. */
  detachSyncMaster?(): void;
  /**
   * Sync backup role: applies one received entry (ip_vs_proc_conn()) with the plane's own
   * per-conn state, so the plane forwards the conn after a takeover. Absent: the daemon applies
   * it to the core table alone.
   */
  applySyncEntry?(e: SyncConnEntry, now: number): void;
  /**
   * The firewall-mark rules in force (`--mark`, `--mark-file`), replacing the previous ones whole:
   * the packet plane classifies by them before the service lookup, as the kernel's fwmark table
   * sees the skb->mark of MARK rules. Absent: the plane cannot serve fwmark services at all.
   */
  setMarks?(rules: readonly MarkRule[]): void;
  /**
   * Writes the plane's start-up lines (its descriptor budget, ...) once the daemon has started:
   * until then a start failure must stay one plain line on stderr.
   */
  logStarted?(): void;
  close(): Promise<void>;
}

/** One `virtual_ipaddress` entry of a VRRP instance (keepalived.conf(5)), as a data plane needs it. */
export interface VrrpVip {
  readonly af: 4 | 6;
  readonly addr: string;
  readonly prefix: number;
  /** The interface the address goes on (`dev`, else the instance's interface). */
  readonly dev: string;
  /** `label` and `scope` as written, when given. */
  readonly label?: string;
  readonly scope?: string;
}
