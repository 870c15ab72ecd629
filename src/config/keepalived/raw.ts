/**
 * keepalived objects as written, before defaults and fix-ups (validate.ts turns them into the
 * normalised model). Optional fields mean "not set here", which matters for inheritance
 * (checker → real_server → virtual_server → built-in, keepalived check_api.c `queue_checker`).
 */
import type { Af } from '../../core/addr.js';
import type { FwdMethod, Protocol } from '../../core/types.js';
import type { SourcePos } from '../diagnostics.js';
import type { HttpUrl, ScriptSpec } from '../model.js';

/** Forwarding method with tunnel options (`lvs_method`). */
export interface RawMethod {
  readonly fwd: FwdMethod;
  readonly tunType: number;
  readonly tunPort: number;
  readonly tunFlags: number;
}

/** Timing/inheritable settings shared by VS, RS and checkers. */
export interface RawTiming {
  connectTimeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

/** A checker block as written. */
export interface RawChecker extends RawTiming, SourcePos {
  type: 'tcp' | 'http' | 'https' | 'smtp' | 'dns' | 'udp' | 'ping' | 'misc' | 'file' | 'bfd';
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindIf?: string;
  bindPort?: number;
  fwmark?: number;
  urls: HttpUrl[];
  httpProtocol?: string;
  virtualhost?: string;
  fastRecovery?: boolean;
  enableSni?: boolean;
  sniName?: string;
  heloName?: string;
  dnsType?: string;
  dnsName?: string;
  payload?: Uint8Array;
  requireReply?: { bytes: Uint8Array; mask: Uint8Array };
  minReplyLength?: number;
  maxReplyLength?: number;
  script?: ScriptSpec;
  miscTimeout?: number;
  miscDynamic?: boolean;
  trackFile?: string;
  fileWeight?: number;
  fileReverse?: boolean;
}

/** A real_server block. */
export interface RawReal extends RawTiming, SourcePos {
  addr: string;
  af: Af;
  port?: number;
  weight?: number;
  method?: RawMethod;
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  uThreshold: number;
  lThreshold: number;
  smtpAlert?: boolean;
  virtualhost?: string;
  inhibit?: boolean;
  checkers: RawChecker[];
}

/** A virtual_server block. */
export interface RawVs extends RawTiming, SourcePos {
  kind: 'addr' | 'fwmark' | 'group';
  addr?: string;
  af: Af;
  port: number;
  fwmark?: number;
  group?: string;
  protocol?: Protocol;
  protocolSetOnFwmark?: boolean;
  sched?: string;
  flags: number;
  ops: boolean;
  method?: RawMethod;
  persistTimeout?: number;
  granularity?: string;
  pe?: string;
  haSuspend: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  ipFamily?: Af;
  weight: number;
  sorry?: { addr: string; af: Af; port?: number; inhibit: boolean; method?: RawMethod; pos: SourcePos };
  inhibit: boolean;
  reals: RawReal[];
  name?: string;
}

/** One entry of a virtual_server_group. */
export type RawGroupEntry =
  | { kind: 'addr'; addr: string; af: Af; port: number; pos: SourcePos }
  | { kind: 'fwmark'; fwmark: number; af?: Af; pos: SourcePos };

/** A virtual_server_group block. */
export interface RawGroup extends SourcePos {
  name: string;
  entries: RawGroupEntry[];
}
