/**
 * ldirectord.cf front end: reads globals and virtual sections and maps them to the normalised model
 * (ldirectord(8) and the ldirectord Perl script). Hostnames are resolved only through the caller's
 * optional `resolveHost`, so the parser stays pure; without it only literal addresses are accepted.
 */
import { PROTO, type ServiceKey, SVC_F, serviceKeyText } from '../../core/types.js';
import { type ConfigDiagnostic, Diagnostics } from '../diagnostics.js';
import {
  DEFAULT_GLOBALS,
  EMPTY_VRRP,
  type LvsModel,
  type RealServer,
  type VirtualService,
} from '../model.js';
import { checkersFor } from './checks.js';
import { globalDirective, type LdGlobals, type LdirectordOptions, type LdVirtual } from './directives.js';
import { lexLdirectord } from './lexer.js';
import { fallbackDest, parseReal, resolveAddr, resolvePort } from './reals.js';
import { parseVirtualBody } from './virtual.js';

/** Result of parsing ldirectord.cf. */
export interface LdParseResult {
  readonly model: LvsModel;
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** ldirectord's exit status at startup: 2 on any configuration error, else 0. */
  readonly exitCode: 0 | 2;
}

/** Parses ldirectord.cf text read from `file`. Never throws on bad input. */
export function parseLdirectord(
  file: string,
  text: string | undefined,
  opts: LdirectordOptions = {},
): LdParseResult {
  const d = new Diagnostics();
  if (text === undefined) {
    d.add('fatal', 'ERR_CONFIG_FILE_NOT_FOUND', `can not open file ${file}`, { file, line: 0 });
    return finish(d, { ...DEFAULT_GLOBALS }, []);
  }
  const lf = lexLdirectord(file, text, d);
  const g: LdGlobals = {
    autoreload: false,
    execute: [],
    fork: false,
    supervised: false,
    readdquiescent: false,
  };
  for (const x of lf.globals) {
    if (!globalDirective(d, x, g)) d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown command ${x.key}`, x);
  }
  const services: VirtualService[] = [];
  const seen = new Set<string>();
  for (const sec of lf.sections) {
    const v = parseVirtualBody(d, sec);
    const svc = buildService(d, file, sec.line, sec.value, sec.v6, v, g, opts);
    if (!svc) continue;
    if (seen.has(svc.id)) {
      d.error('ERR_CONFIG_DUPLICATE', 'duplicate virtual server', sec);
      continue;
    }
    if (v.checkinterval !== undefined && !g.fork) {
      d.add(
        'notice',
        'ERR_CONFIG_IGNORED',
        `checkinterval in virtual service ${svc.id} ignored when fork=no`,
        sec,
      );
    }
    seen.add(svc.id);
    services.push(svc);
  }
  const extra: Record<string, readonly string[]> = {};
  for (const k of [
    'logfile',
    'emailalert',
    'emailalertfrom',
    'emailalertstatus',
    'smtp',
    'maintenancedir',
  ] as const) {
    const val = g[k];
    if (val !== undefined) extra[k] = [val];
  }
  if (g.execute.length) extra.execute = g.execute;
  extra.fork = [g.fork ? 'yes' : 'no'];
  extra.readdquiescent = [g.readdquiescent ? 'yes' : 'no'];
  extra.supervised = [g.supervised ? 'yes' : 'no'];
  return finish(
    d,
    {
      ...DEFAULT_GLOBALS,
      autoreload: g.autoreload,
      ...(g.callback ? { callback: { command: g.callback, argv: [g.callback] } } : {}),
      checkInterval: (g.checkinterval ?? 10) * 1000,
      cleanStop: g.cleanstop ?? true,
      notificationEmail: g.emailalert ? g.emailalert.split(/\s*,\s*/) : [],
      ...(g.smtp ? { smtpServer: g.smtp } : {}),
      extra,
    },
    services,
  );
}

/** Wraps up a parse; any warning, error or fatal diagnostic makes the exit status 2 (see LdParseResult). */
function finish(d: Diagnostics, globals: LvsModel['globals'], services: VirtualService[]): LdParseResult {
  const model: LvsModel = { source: 'ldirectord', globals, services, vrrp: EMPTY_VRRP };
  const bad = d.list.some(
    (x) => x.severity === 'error' || x.severity === 'fatal' || x.severity === 'warning',
  );
  return { model, diagnostics: d.list, exitCode: bad ? 2 : 0 };
}

function buildService(
  d: Diagnostics,
  file: string,
  line: number,
  value: string,
  v6: boolean,
  v: LdVirtual,
  g: LdGlobals,
  opts: LdirectordOptions,
): VirtualService | undefined {
  const af: 4 | 6 = v6 ? 6 : 4;
  const pos = { file, line };
  let key: ServiceKey;
  let vport = 0;
  const m = v6
    ? /^\[([0-9A-Fa-f:.]+)\]:([0-9A-Za-z_-]+)$/.exec(value)
    : /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)$/.exec(value);
  if (m) {
    const addr = resolveAddr(m[1]!, af, opts);
    const port = resolvePort(m[2]!);
    if (!addr || port === undefined) {
      d.error('ERR_CONFIG_BAD_VALUE', `invalid address for virtual server '${value}'`, pos);
      return undefined;
    }
    let protocol: 'tcp' | 'udp' = port === 53 ? 'udp' : 'tcp';
    if (v.protocol !== undefined) {
      if (v.protocol === 'tcp' || v.protocol === 'udp') protocol = v.protocol;
      else
        d.error(
          'ERR_CONFIG_BAD_VALUE',
          'protocol must be tcp or udp if the virtual service is an address and port',
          pos,
        );
    }
    vport = port;
    key = { kind: 'addr', af, protocol: protocol === 'tcp' ? PROTO.TCP : PROTO.UDP, addr, port };
  } else if (!v6 && /^\d+$/.test(value)) {
    if (v.protocol !== undefined && v.protocol !== 'fwm')
      d.error(
        'ERR_CONFIG_BAD_VALUE',
        'protocol must be fwm if the virtual service is a fwmark (a number)',
        pos,
      );
    key = { kind: 'fwmark', af, fwmark: Number(value) };
  } else {
    d.error(
      'ERR_CONFIG_BAD_VALUE',
      v6 || !/^\[/.test(value)
        ? `invalid address for virtual server '${value}'`
        : 'cannot specify an IPv6 address here. please use "virtual6" instead.',
      pos,
    );
    return undefined;
  }
  const service = v.service ?? (key.kind === 'fwmark' ? 'none' : (DEFAULT_SERVICE[vport] ?? 'none'));
  const quiescent = v.quiescent ?? g.quiescent ?? false;
  const reals: RealServer[] = [];
  const seenReal = new Set<string>();
  for (const r of v.reals) {
    for (const dst of parseReal(d, file, r.line, r.spec, af, opts)) {
      const k = `${dst.dest.addr}|${dst.dest.port}`;
      if (seenReal.has(k)) continue; // ipvsadm would refuse the duplicate; keep the first
      seenReal.add(k);
      const checkers = checkersFor(v, g, service, key, vport, dst.dest, dst.request, dst.receive, {
        file,
        line: r.line,
      });
      reals.push({
        dest: dst.dest,
        checkers,
        inhibitOnFailure: quiescent,
        alpha: true,
        smtpAlert: false,
        file,
        line: r.line,
      });
    }
  }
  const fb = v.fallback ?? (v6 ? g.fallback6 : g.fallback);
  const sorry = fb ? fallbackDest(d, file, fb, af, vport, opts) : undefined;
  const flags =
    (v.persistent !== undefined ? SVC_F.PERSISTENT : 0) |
    (v.ops ? SVC_F.ONEPACKET : 0) |
    schedFlags(v.schedflags);
  return {
    id: serviceKeyText(key),
    keys: [key],
    config: {
      scheduler: v.scheduler,
      flags,
      timeout: v.persistent ?? 0,
      netmask: v.netmask ?? (v6 ? '128' : '255.255.255.255'),
      pe: '',
    },
    reals,
    ...(sorry ? { sorry: { dest: sorry, inhibit: false } } : {}),
    quorum: 1,
    hysteresis: 0,
    omega: false,
    haSuspend: false,
    checksOff: v.checktype === 'off',
    ...((v.fallbackcommand ?? g.fallbackcommand)
      ? { fallbackCommand: cmd(v.fallbackcommand ?? g.fallbackcommand!) }
      : {}),
    ...(v.virtualhost ? { virtualhost: v.virtualhost } : {}),
    ...(v.servicename ? { name: v.servicename } : {}),
    file,
    line,
  };
}

function cmd(s: string): { command: string; argv: string[] } {
  return { command: s, argv: s.split(/\s+/).filter(Boolean) };
}

function schedFlags(s: string | undefined): number {
  let f = 0;
  for (const x of (s ?? '').split(/[,\s]+/)) {
    if (x === 'flag-1' || x.endsWith('-fallback')) f |= SVC_F.SCHED1;
    if (x === 'flag-2' || x.endsWith('-port')) f |= SVC_F.SCHED2;
    if (x === 'flag-3') f |= SVC_F.SCHED3;
  }
  return f;
}

/** Service chosen from the virtual port when `service=` is absent (ldirectord(8) `service`). */
const DEFAULT_SERVICE: Record<number, string> = {
  21: 'ftp',
  25: 'smtp',
  53: 'dns',
  80: 'http',
  110: 'pop',
  119: 'nntp',
  143: 'imap',
  389: 'ldap',
  443: 'https',
  587: 'submission',
  636: 'ldaps',
  993: 'imaps',
  995: 'pops',
  1521: 'oracle',
  1812: 'radius',
  3128: 'http_proxy',
  3306: 'mysql',
  5060: 'sip',
  5432: 'pgsql',
};
