/**
 * One keepalived checker block to its model form: timing resolved checker → real_server →
 * virtual_server → keepalived's built-in default (check_api.c `queue_checker`), and the connection
 * target defaulting to the real server. Split from validate.ts, which completes whole virtual
 * servers.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { CheckerConfig, CheckerConn, CheckerTiming } from '../model.js';
import type { RawChecker, RawReal, RawVs } from './raw.js';

/** keepalived built-in retry per checker type (check_api.c `queue_checker` and per-checker handlers). */
const DEFAULT_RETRY: Record<RawChecker['type'], number> = {
  tcp: 1,
  http: 1,
  https: 1,
  smtp: 1,
  dns: 3,
  udp: 1,
  ping: 1,
  misc: 0,
  file: 0,
  bfd: 0,
};

/** The model checker for `c` on real server `rs` (resolved `port`) of `vs`; undefined for unsupported types. */
export function completeChecker(
  d: Diagnostics,
  c: RawChecker,
  rs: RawReal,
  vs: RawVs,
  port: number,
): CheckerConfig | undefined {
  const delayLoop = c.delayLoop ?? rs.delayLoop ?? vs.delayLoop ?? 60_000;
  const timing: CheckerTiming = {
    connectTimeout: c.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout ?? 5000,
    retry: c.retry ?? rs.retry ?? vs.retry ?? DEFAULT_RETRY[c.type],
    delayBeforeRetry:
      c.delayBeforeRetry ??
      rs.delayBeforeRetry ??
      vs.delayBeforeRetry ??
      (c.type === 'http' || c.type === 'https' ? 3000 : c.type === 'dns' ? delayLoop : 1000),
    delayLoop,
    warmup: c.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop,
    alpha: c.alpha ?? rs.alpha ?? vs.alpha ?? false,
    logAllFailures: c.logAllFailures ?? false,
    immediateFirstDown: true,
  };
  const conn: CheckerConn = {
    connectIp: c.connectIp ?? rs.addr,
    connectPort: c.connectPort ?? port,
    ...(c.bindTo ? { bindTo: c.bindTo } : {}),
    ...(c.bindIf ? { bindIf: c.bindIf } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
    ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}),
  };
  const pos = { file: c.file, line: c.line };
  switch (c.type) {
    case 'tcp':
    case 'ping':
      return { type: c.type, ...conn, ...timing, ...pos };
    case 'http':
    case 'https':
      return {
        type: c.type,
        urls: c.urls,
        httpProtocol: c.httpProtocol ?? '1.0',
        method: 'GET',
        ...((c.virtualhost ?? rs.virtualhost ?? vs.virtualhost)
          ? { virtualhost: c.virtualhost ?? rs.virtualhost ?? vs.virtualhost }
          : {}),
        fastRecovery: c.fastRecovery ?? false,
        enableSni: c.enableSni ?? false,
        ...(c.sniName ? { sniName: c.sniName } : {}),
        ...conn,
        ...timing,
        ...pos,
      };
    case 'smtp':
      return {
        type: 'smtp',
        heloName: c.heloName ?? 'smtpchecker.keepalived.org',
        ...conn,
        ...timing,
        ...pos,
      };
    case 'dns':
      return {
        type: 'dns',
        queryType: c.dnsType ?? 'SOA',
        name: c.dnsName ?? '',
        ...conn,
        ...timing,
        ...pos,
      };
    case 'udp':
      return {
        type: 'udp',
        payload: c.payload ?? new Uint8Array(0),
        ...(c.requireReply ? { requireReply: c.requireReply } : {}),
        minReplyLength: c.minReplyLength ?? 0,
        maxReplyLength: c.maxReplyLength ?? 255,
        ...conn,
        ...timing,
        ...pos,
      };
    case 'misc':
      return {
        type: 'misc',
        script: c.script!,
        timeout: c.miscTimeout ?? delayLoop,
        dynamic: c.miscDynamic ?? false,
        ...timing,
        ...pos,
      };
    case 'file':
      return {
        type: 'file',
        trackFile: c.trackFile!,
        weight: c.fileWeight ?? 1,
        reverse: c.fileReverse ?? false,
        ...timing,
        ...pos,
      };
    default:
      d.warn('ERR_CONFIG_IGNORED', `${c.type.toUpperCase()}_CHECK is not supported - ignoring`, c);
      return undefined;
  }
}
