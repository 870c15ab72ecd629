/**
 * ldirectord directive handlers (ldirectord(8), ldirectord `read_config` and `set_defaults`):
 * global settings and per-virtual settings with the same validation messages' meaning.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { LdDirective } from './lexer.js';
import { unquote } from './lexer.js';

/** Services `service=` accepts. */
/** Options of parseLdirectord (parser.ts). */
export interface LdirectordOptions {
  /** Resolves a host name to an address of the given family (ldirectord uses gethostbyname). */
  readonly resolveHost?: (name: string, af: 4 | 6) => string | undefined;
}

export const LD_SERVICES = new Set([
  'dns',
  'ftp',
  'http',
  'https',
  'http_proxy',
  'imap',
  'imaps',
  'ldap',
  'ldaps',
  'nntp',
  'mysql',
  'none',
  'oracle',
  'pop',
  'pops',
  'radius',
  'pgsql',
  'sip',
  'smtp',
  'submission',
  'simpletcp',
]);
/** Check types `checktype=` accepts besides a number. */
export const LD_CHECKTYPES = new Set([
  'connect',
  'negotiate',
  'ping',
  'off',
  'on',
  'external',
  'external-perl',
]);

/** Settings allowed both globally and per virtual (virtual overrides global). */
export interface LdCommon {
  checktimeout?: number;
  negotiatetimeout?: number;
  checkinterval?: number;
  checkcount?: number;
  failurecount?: number;
  fallback?: LdFallback;
  fallbackcommand?: string;
  quiescent?: boolean;
  cleanstop?: boolean;
  emailalert?: string;
  emailalertfreq?: number;
  emailalertstatus?: string;
  smtp?: string;
}

/** A parsed `fallback = host[:port] [gate|masq|ipip]`. */
export interface LdFallback {
  host: string;
  port?: string;
  forward: 'gate' | 'masq' | 'ipip';
  line: number;
}

/** Global-only settings. */
export interface LdGlobals extends LdCommon {
  fallback6?: LdFallback;
  autoreload: boolean;
  callback?: string;
  logfile?: string;
  execute: string[];
  fork: boolean;
  supervised: boolean;
  readdquiescent: boolean;
  emailalertfrom?: string;
  maintenancedir?: string;
}

/** A virtual section's settings. */
export interface LdVirtual extends LdCommon {
  reals: Array<{ spec: string; line: number; v6: boolean }>;
  checktype: string;
  negotiateEvery: number;
  service?: string;
  checkport?: number;
  request: string;
  receive: string;
  httpmethod: 'GET' | 'HEAD';
  virtualhost?: string;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  checkcommand: string;
  scheduler: string;
  persistent?: number;
  netmask?: string;
  protocol?: string;
  ops: boolean;
  schedflags?: string;
  monitorfile?: string;
  servicename?: string;
  comment?: string;
  load?: string;
  fallback6Misuse?: boolean;
}

function posInt(d: Diagnostics, x: LdDirective, what: string, allowZero = false): number | undefined {
  const m = /^(\d+)/.exec(x.value);
  if (!m || (!allowZero && Number(m[1]) === 0)) {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid ${what}`, x);
    return undefined;
  }
  return Number(m[1]);
}

function yesNo(d: Diagnostics, x: LdDirective): boolean | undefined {
  if (x.value === 'yes' || x.value === 'no') return x.value === 'yes';
  d.error('ERR_CONFIG_BAD_VALUE', `${x.key} must be 'yes' or 'no'`, x);
  return undefined;
}

/** Parses `fallback` values (ldirectord `parse_fallback`). */
export function parseFallback(d: Diagnostics, x: LdDirective): LdFallback | undefined {
  const m = /^(\S+?)(?::(\d+|[A-Za-z0-9_-]+))?(?:\s+(\S+))?\s*$/.exec(x.value);
  if (!m || m[1] === '') {
    d.error('ERR_CONFIG_BAD_VALUE', `invalid fallback server: ${x.value}`, x);
    return undefined;
  }
  const fwd = m[3] ?? 'gate';
  if (fwd !== 'gate' && fwd !== 'masq' && fwd !== 'ipip') {
    d.error('ERR_CONFIG_BAD_VALUE', 'forward method must be gate, masq or ipip', x);
    return undefined;
  }
  return { host: m[1]!, ...(m[2] ? { port: m[2] } : {}), forward: fwd, line: x.line };
}

/** Handles a directive valid globally and per virtual; true when consumed. */
export function commonDirective(d: Diagnostics, x: LdDirective, c: LdCommon): boolean {
  const v = x.value;
  switch (x.key) {
    case 'checktimeout':
      c.checktimeout = posInt(d, x, 'check timeout') ?? c.checktimeout;
      return true;
    case 'negotiatetimeout':
      c.negotiatetimeout = posInt(d, x, 'negotiate timeout') ?? c.negotiatetimeout;
      return true;
    case 'connecttimeout':
      d.error(
        'ERR_CONFIG_DEPRECATED',
        'connecttimeout directive deprecated in favour of negotiatetimeout',
        x,
      );
      return true;
    case 'checkinterval':
      c.checkinterval = posInt(d, x, 'checkinterval') ?? c.checkinterval;
      return true;
    case 'checkcount':
      c.checkcount = posInt(d, x, 'check count') ?? c.checkcount;
      d.add(
        'notice',
        'ERR_CONFIG_DEPRECATED',
        "checkcount option is deprecated; please see 'failurecount'",
        x,
      );
      return true;
    case 'failurecount':
      c.failurecount = posInt(d, x, 'failure count') ?? c.failurecount;
      return true;
    case 'fallbackcommand':
      if (unquote(v) === '') d.error('ERR_CONFIG_BAD_VALUE', 'invalid fallback command', x);
      else c.fallbackcommand = unquote(v);
      return true;
    case 'quiescent':
      c.quiescent = yesNo(d, x) ?? c.quiescent;
      return true;
    case 'cleanstop':
      c.cleanstop = yesNo(d, x) ?? c.cleanstop;
      return true;
    case 'emailalert':
      c.emailalert = unquote(v);
      return true;
    case 'emailalertfreq':
      c.emailalertfreq = posInt(d, x, 'email alert frequency', true) ?? c.emailalertfreq;
      return true;
    case 'emailalertstatus': {
      const ok = v.split(/\s*,\s*/).every((s) => /^(all|none|starting|running|stopping|reloading)$/.test(s));
      if (ok) c.emailalertstatus = v;
      else d.error('ERR_CONFIG_BAD_VALUE', `invalid emailalertstatus '${v}'`, x);
      return true;
    }
    case 'smtp':
      if (/^[0-9A-Za-z._+-]+/.test(v)) c.smtp = v;
      else d.error('ERR_CONFIG_BAD_VALUE', 'invalid SMTP server address', x);
      return true;
    default:
      return false;
  }
}

/** Handles a global-only directive; true when consumed. */
export function globalDirective(d: Diagnostics, x: LdDirective, g: LdGlobals): boolean {
  if (x.bare && x.key !== 'supervised') return false;
  const v = x.value;
  switch (x.key) {
    case 'fallback':
    case 'fallback6': {
      const f = parseFallback(d, x);
      if (f && x.key === 'fallback') g.fallback = f;
      else if (f) g.fallback6 = f;
      return true;
    }
    case 'autoreload':
      g.autoreload = yesNo(d, x) ?? g.autoreload;
      return true;
    case 'callback': {
      const m = /^"(.*)"$/.exec(v);
      if (m) g.callback = m[1];
      else d.error('ERR_CONFIG_BAD_VALUE', 'callback must be a quoted path', x);
      return true;
    }
    case 'logfile': {
      const m = /^"(.*)"$/.exec(v);
      if (m) {
        g.logfile = m[1];
        // ldirectord(8): a value with a leading '/' is a file, which lvsd writes its log to as well
        // as stderr (daemon/log-file.ts); anything else is a syslog(3) facility, which lvsd cannot
        // write to, so say so rather than drop it silently.
        if (!m[1]?.startsWith('/'))
          d.add(
            'notice',
            'ERR_CONFIG_IGNORED',
            `logfile="${m[1]}" is ignored: it names a syslog facility, and lvsd does not write to syslog; its log goes to stderr (the journal under systemd); give a path starting with / to have it written to a file too`,
            x,
          );
      } else d.error('ERR_CONFIG_BAD_VALUE', 'logfile must be quoted', x);
      return true;
    }
    case 'execute':
      g.execute.push(v);
      return true;
    case 'fork':
      g.fork = yesNo(d, x) ?? g.fork;
      return true;
    case 'supervised':
      if (x.bare) {
        g.supervised = true;
        d.add(
          'notice',
          'ERR_CONFIG_DEPRECATED',
          'please update your config not to use a bare supervised directive',
          x,
        );
      } else g.supervised = yesNo(d, x) ?? g.supervised;
      return true;
    case 'readdquiescent':
      g.readdquiescent = yesNo(d, x) ?? g.readdquiescent;
      return true;
    case 'emailalertfrom':
      if (v === '') d.error('ERR_CONFIG_MISSING_VALUE', 'no email from address specified', x);
      else g.emailalertfrom = v;
      return true;
    case 'maintenancedir':
      if (v === '') d.error('ERR_CONFIG_MISSING_VALUE', 'maintenance directory not specified', x);
      else g.maintenancedir = v;
      return true;
    case 'timeout':
      d.error(
        'ERR_CONFIG_DEPRECATED',
        'timeout directive deprecated in favour of checktimeout and negotiatetimeout',
        x,
      );
      return true;
    default:
      return commonDirective(d, x, g);
  }
}
