/** What a VrrpRunner is given: the configuration and every piece of I/O, injected. */
import type { LvsModel } from '../../config/model.js';
import type { DataPlaneHandle } from '../../control/ports.js';
import type { Clock } from '../../health/runner.js';
import type { VmacLinks } from '../../io/vrrp/vmac-links.js';
import type { VrrpTransport } from '../../vrrp/vrrp-transport.js';
import type { VrrpHost, VrrpScripts } from './vrrp-host.js';
import type { VrrpTrackIo } from './vrrp-track-io.js';

/** Log sink for what is not a transition: bind failures, send errors, script launches. */
export type VrrpLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Runner options; everything with I/O is injected. */
export interface VrrpRunnerOptions {
  readonly model: LvsModel;
  readonly transport: VrrpTransport;
  readonly host: VrrpHost;
  readonly clock?: Clock;
  readonly scripts?: VrrpScripts;
  /** The data plane, when it already exists; see {@link VrrpRunner.attachPlane}. */
  readonly plane?: DataPlaneHandle;
  /** How often track_interface links are re-read (keepalived follows netlink; we poll). */
  readonly linkPollMs?: number;
  /** track_file / vrrp_track_process reads, and how often they are polled (default 1 s). */
  readonly trackIo?: VrrpTrackIo;
  readonly trackPollMs?: number;
  readonly log?: VrrpLog;
  /** Makes the macvlans of `use_vmac`; without it such instances stay in FAULT (packet plane). */
  readonly vmac?: VmacLinks;
}

/** The message text of a thrown value, for log fields. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
