/**
 * lvsd's log lines for the instrumented events: the logger subscribes to the channels of
 * control/channels.ts and turns each message into the line the code used to write itself, so
 * the code paths only publish and the wording of the log lives here, in one place.
 */

import {
  type DataplaneFaultCode,
  type DataplaneFaultMessage,
  type DefenseMessage,
  dataplaneFaultChannel,
  defenseChannel,
  type HealthTransitionMessage,
  healthTransitionChannel,
  type ReloadFinding,
  type ReloadMessage,
  reloadChannel,
  type ServeStatusMessage,
  serveStatusChannel,
  type TableChangeMessage,
  tableChangeChannel,
  type VrrpTransitionMessage,
  vrrpTransitionChannel,
} from '../control/channels.js';
import {
  destTextNotation,
  rsNotation,
  serviceTextNotation,
  vsNotation,
} from '../core/keepalived-notation.js';
import { vrrpStateLogLine } from '../vrrp/vrrp-notify.js';
import { diagnosticLine } from './config-loader.js';

/** The logger the subscriber writes to; pino's Logger has this shape. */
export interface LogSink {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** One log line: its level, message text and structured fields. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The line of an applied table command: `applied` with its op, the service and, for a
 * destination change, the real server, both in keepalived's notation (`[192.0.2.10]:tcp:80`,
 * `[198.51.100.12]:tcp:8081`; core/keepalived-notation.ts), so a line like `add-dest applied`
 * says which server went in, in the words keepalived's own log uses for it; a sysctl write names
 * the sysctl and its value.
 */
export function tableChangeLine(m: TableChangeMessage): LogLine {
  const { cmd } = m;
  return {
    level: 'info',
    msg: 'applied',
    fields: {
      op: cmd.op,
      ...('service' in cmd && cmd.service ? { service: vsNotation(cmd.service) } : {}),
      ...('dest' in cmd && 'service' in cmd && cmd.service
        ? { server: rsNotation(cmd.dest, cmd.service) }
        : {}),
      ...(cmd.op === 'edit-dest' || cmd.op === 'add-dest' ? { weight: cmd.dest.weight } : {}),
      ...(cmd.op === 'set-sysctl' ? { sysctl: cmd.name, value: cmd.value } : {}),
    },
  };
}

/**
 * The line of a health transition, warn when down: `real server R of S DOWN: reason` for a real
 * server, `virtual service S DOWN: lost quorum: ...` for a service's quorum, R and S in
 * keepalived's notation (`[198.51.100.12]:tcp:8081 of [192.0.2.10]:tcp:80`).
 */
export function healthTransitionLine(m: HealthTransitionMessage): LogLine {
  const svc = serviceTextNotation(m.svc);
  const what =
    m.rs === undefined ? `virtual service ${svc}` : `real server ${destTextNotation(m.rs, m.svc)} of ${svc}`;
  return { level: m.up ? 'info' : 'warn', msg: `${what} ${m.up ? 'UP' : 'DOWN'}: ${m.message}`, fields: {} };
}

/**
 * The line of a VRRP transition in keepalived's words, so existing log alerts keep matching
 * (`(VI_1) Entering MASTER STATE`, `(VI_1) sent 0 priority`); undefined for a silent stop.
 */
export function vrrpTransitionLine(m: VrrpTransitionMessage): LogLine | undefined {
  const msg = vrrpStateLogLine(m.instance, m.from, m.to);
  if (msg === undefined) return undefined;
  return {
    level: m.to === 'FAULT' ? 'warn' : 'info',
    msg,
    fields: { instance: m.instance, from: m.from, to: m.to, priority: m.priority },
  };
}

const FAULT_TEXT: Readonly<Record<DataplaneFaultCode, string>> = {
  'packet-socket-error': 'packet socket error',
  'host-config-unreadable': 'cannot re-read host config',
  'xdp-unavailable': 'AF_XDP fast path unavailable, using AF_PACKET only',
  'xdp-filter-update-failed': 'cannot update the XDP filter',
  'bypass-nft-missing':
    'ingress bypass unavailable: nft not found; the kernel keeps routing the frames lvsd forwards',
  'bypass-nft-refused': 'ingress bypass: nft refused the ruleset; removing the tables',
  'bypass-remove-failed': 'could not remove the ingress bypass tables',
  'proxy-listen-failed': 'cannot serve virtual service; will retry',
  'proxy-udp-socket-error': 'udp socket error',
  'native-relay-unavailable': 'native TCP relay unavailable; relaying in JavaScript',
  'native-relay-refused': 'native relay refused a connection; relaying it in JavaScript',
  'rs-connect-failed': 'connect to real server failed',
  'proxy-fd-limit': 'proxy plane at its file-descriptor budget: new connections or UDP flows refused',
  'proxy-local-error': 'director out of local resources: clients refused (not a real server failure)',
  'unserved-change': 'accepted into the table but not served',
  'plane-follow-failed': 'data plane could not follow the change',
  'tick-failed': 'tick failed',
};

/** Plain words for the errnos a proxy-plane listen fails with (bind(2), ip(7)). */
const LISTEN_HINT: Readonly<Record<string, string>> = {
  EADDRINUSE: 'port busy, another program listens there (EADDRINUSE)',
  EADDRNOTAVAIL: 'address not on this host (EADDRNOTAVAIL)',
  EACCES: 'ports below 1024 need root or CAP_NET_BIND_SERVICE (EACCES)',
};

/** The line of a data-plane fault: its detail and error as fields; `tick failed` is an error. */
export function faultLine(m: DataplaneFaultMessage): LogLine {
  const level = m.code === 'tick-failed' ? 'error' : 'warn';
  if (m.code === 'proxy-listen-failed' && m.detail?.service !== undefined) {
    // Say which service and what the errno means for an operator, in the line itself.
    const { service, reason } = m.detail ?? {};
    const why = LISTEN_HINT[String(reason)] ?? String(reason);
    const svc = serviceTextNotation(String(service));
    return { level, msg: `cannot serve ${svc}: ${why}; will retry`, fields: { ...m.detail, service: svc } };
  }
  if (m.code === 'unserved-change') {
    // The refusal's reason is the message ("... not served: -g needs the packet plane").
    const { reason, ...rest } = m.detail ?? {};
    return { level, msg: `${FAULT_TEXT[m.code]}: ${String(reason)}`, fields: rest };
  }
  return {
    level,
    msg: FAULT_TEXT[m.code],
    fields: { ...m.detail, ...(m.err !== undefined ? { err: m.err } : {}) },
  };
}

/**
 * The line of a serving change: `not served: REASON` (warn) for a service or real server, at
 * start for each one the loaded table cannot serve, or `served` (info) when it is again; the
 * service and real server in keepalived's notation, as in the health lines.
 */
export function serveStatusLine(m: ServeStatusMessage): LogLine {
  const service = serviceTextNotation(m.service);
  const dest = m.dest !== undefined ? destTextNotation(m.dest, m.service) : undefined;
  const fields = { service, ...(dest !== undefined ? { dest } : {}) };
  const what = dest !== undefined ? `real server ${dest} of ${service}` : `virtual service ${service}`;
  if (m.serving) return { level: 'info', msg: `${what} served`, fields };
  return { level: 'warn', msg: `${what} not served: ${m.reason ?? 'unknown'}`, fields };
}

function findingLine(d: ReloadFinding): LogLine {
  const level = d.severity === 'notice' ? 'info' : d.severity === 'warning' ? 'warn' : 'error';
  return { level, msg: diagnosticLine(d), fields: { file: d.file, line: d.line, code: d.code } };
}

/** The lines of one load or reload step: one per finding when checked, else one. */
export function reloadLines(m: ReloadMessage): LogLine[] {
  switch (m.phase) {
    case 'started':
      return [{ level: 'info', msg: 'reloading configuration', fields: { file: m.file, reason: m.reason } }];
    case 'checked':
      return m.findings.map(findingLine);
    case 'failed':
      return [
        {
          level: 'error',
          msg: 'configuration has errors: reload refused, the previous configuration stays in force',
          fields: { file: m.file, errors: m.findings.length },
        },
      ];
    case 'finished':
      return [
        m.initial
          ? {
              level: 'info',
              msg: 'configuration loaded',
              fields: { file: m.file, format: m.format, services: m.services, commands: m.commands },
            }
          : {
              level: 'info',
              msg: 'configuration reloaded',
              fields: { file: m.file, services: m.services, commands: m.commands },
            },
      ];
  }
}

/**
 * The lines of a change in the connection-table defenses: `defense engaged: drop_entry,...`
 * (warn) for those that came on, `defense disengaged: ...` (info) for those that went off, with
 * the memory measured and amemthresh, so an operator sees why.
 */
export function defenseLines(m: DefenseMessage): LogLine[] {
  const on = m.active.filter((n) => !m.previous.includes(n));
  const off = m.previous.filter((n) => !m.active.includes(n));
  const fields = {
    ...(m.availableKiB !== undefined ? { availableKiB: m.availableKiB } : {}),
    amemthreshPages: m.amemthresh,
  };
  const out: LogLine[] = [];
  if (on.length > 0) out.push({ level: 'warn', msg: `defense engaged: ${on.join(',')}`, fields });
  if (off.length > 0) out.push({ level: 'info', msg: `defense disengaged: ${off.join(',')}`, fields });
  return out;
}

/**
 * Subscribes `log` to the seven channels and returns the function that unsubscribes it. `accept`
 * keeps only messages from the sources it accepts (a test's own runner or session); lvsd, one
 * director per process, takes everything.
 */
export function subscribeLogger(log: LogSink, accept: (source: object) => boolean = () => true): () => void {
  const write = (l: LogLine): void => log[l.level](l.fields, l.msg);
  const onTable = (m: TableChangeMessage): void => {
    if (accept(m.source)) write(tableChangeLine(m));
  };
  const onHealth = (m: HealthTransitionMessage): void => {
    if (accept(m.source)) write(healthTransitionLine(m));
  };
  const onFault = (m: DataplaneFaultMessage): void => {
    if (accept(m.source)) write(faultLine(m));
  };
  const onReload = (m: ReloadMessage): void => {
    if (accept(m.source)) for (const l of reloadLines(m)) write(l);
  };
  const onServe = (m: ServeStatusMessage): void => {
    if (accept(m.source)) write(serveStatusLine(m));
  };
  const onDefense = (m: DefenseMessage): void => {
    if (accept(m.source)) for (const l of defenseLines(m)) write(l);
  };
  const onVrrp = (m: VrrpTransitionMessage): void => {
    const l = accept(m.source) ? vrrpTransitionLine(m) : undefined;
    if (l) write(l);
  };
  tableChangeChannel.subscribe(onTable);
  healthTransitionChannel.subscribe(onHealth);
  dataplaneFaultChannel.subscribe(onFault);
  reloadChannel.subscribe(onReload);
  vrrpTransitionChannel.subscribe(onVrrp);
  serveStatusChannel.subscribe(onServe);
  defenseChannel.subscribe(onDefense);
  return () => {
    defenseChannel.unsubscribe(onDefense);
    serveStatusChannel.unsubscribe(onServe);
    tableChangeChannel.unsubscribe(onTable);
    healthTransitionChannel.unsubscribe(onHealth);
    dataplaneFaultChannel.unsubscribe(onFault);
    reloadChannel.unsubscribe(onReload);
    vrrpTransitionChannel.unsubscribe(onVrrp);
  };
}
