/**
 * net.ipv4.vs.* settings as text: names (`net.ipv4.vs.NAME`, `net/ipv4/vs/NAME` or bare `NAME`),
 * values as the kernel's proc_dointvec() reads them, the checks its proc handlers make, the
 * `set-sysctl` commands that carry a setting, and `sysctl -a` style listing lines. Shared by
 * `lvsd --sysctl`, the sysctl.conf reader and `lvsadm --sysctl`. Pure.
 */
import { LvsError } from '../core/errors.js';
import { sysctlValueError } from '../core/sysctls.js';
import { type Command, SYSCTLS, type SysctlName } from './commands.js';

/** Where the kernel's IPVS sysctls live (ip_vs_ctl.c registers them under "net/ipv4/vs"). */
export const SYSCTL_PREFIX = 'net.ipv4.vs.';

/**
 * net.ipv4.vs names the kernel has (Documentation/networking/ipvs-sysctl.rst, ip_vs_ctl.c
 * vs_vars) that lvsd does not implement: a host's sysctl.conf may set them, and lvsd says so.
 */
export const KERNEL_ONLY_SYSCTLS: readonly string[] = [
  'backup_only',
  'conntrack',
  'debug_level',
  'est_cpulist',
  'est_nice',
  'ignore_tunneled',
  'snat_reroute',
];

/**
 * Names lvsd accepts and stores (SYSCTLS) that no data plane reads yet: setting them would change
 * what `lvsadm --sysctl` shows and nothing else, and lvsd's start log would say so. Empty since
 * cache_bypass, nat_icmp_send, pmtu_disc and schedule_icmp are honoured by the packet plane.
 */
export const NOT_YET_HONOURED: ReadonlySet<SysctlName> = new Set<SysctlName>();

/** Stable codes of sysctl name and value errors. */
export type SysctlErrorCode =
  | 'ERR_LVS_SYSCTL_UNKNOWN'
  | 'ERR_LVS_SYSCTL_UNSUPPORTED'
  | 'ERR_LVS_SYSCTL_VALUE'
  | 'ERR_LVS_SYSCTL_SYNTAX';

/** A refused sysctl name or value. */
export class SysctlError extends LvsError {
  constructor(code: SysctlErrorCode, message: string) {
    super(code, message);
    this.name = 'SysctlError';
  }
}

/**
 * One setting: a name and its values. Only sync_threshold takes two ("threshold period", as the
 * kernel's file holds them, proc_do_sync_threshold()); one value there changes the threshold alone.
 */
export interface SysctlSetting {
  readonly name: SysctlName;
  readonly values: readonly number[];
}

const KNOWN: ReadonlySet<string> = new Set(SYSCTLS);

/**
 * A sysctl key in dotted form. sysctl.d(5): "/" and "." both separate labels; when the first
 * separator is a slash, dots and slashes are interchanged, so `net/ipv4/vs/x` is `net.ipv4.vs.x`.
 */
export function dottedKey(key: string): string {
  const slash = key.indexOf('/');
  const dot = key.indexOf('.');
  if (slash < 0 || (dot >= 0 && dot < slash)) return key;
  return key.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** Whether a (dotted) key is one of IPVS's, i.e. lvsd's business. */
export function isVsKey(key: string): boolean {
  return dottedKey(key).startsWith(SYSCTL_PREFIX);
}

/** Resolves `net.ipv4.vs.NAME`, `net/ipv4/vs/NAME` or `NAME`; throws SysctlError for others. */
export function sysctlName(key: string): SysctlName {
  const k = dottedKey(key.trim());
  const bare = k.startsWith(SYSCTL_PREFIX) ? k.slice(SYSCTL_PREFIX.length) : k;
  if (KNOWN.has(bare)) return bare as SysctlName;
  if (KERNEL_ONLY_SYSCTLS.includes(bare)) {
    throw new SysctlError(
      'ERR_LVS_SYSCTL_UNSUPPORTED',
      `${SYSCTL_PREFIX}${bare} is a kernel IPVS setting lvsd does not implement`,
    );
  }
  throw new SysctlError('ERR_LVS_SYSCTL_UNKNOWN', `unknown sysctl '${key.trim()}'`);
}

// proc_dointvec() reads each value with proc_get_long(): an optional '-', then base 0 as
// simple_strtoul() reads it (0x hex, leading 0 octal, else decimal), separated by spaces or tabs.
const INT = /^-?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

function parseInt0(word: string): number | undefined {
  if (!INT.test(word)) return undefined;
  const neg = word.startsWith('-');
  const w = neg ? word.slice(1) : word;
  const n = /^0[xX]/.test(w)
    ? Number.parseInt(w.slice(2), 16)
    : /^0./.test(w)
      ? Number.parseInt(w, 8)
      : Number(w);
  return neg ? -n : n;
}

/**
 * Parses and checks a value for `name` as the kernel would accept it: one integer, or one or two
 * for sync_threshold, each in the range the proc handler enforces. Throws ERR_LVS_SYSCTL_VALUE.
 */
export function parseSysctlValue(name: SysctlName, text: string): SysctlSetting {
  const words = text
    .trim()
    .split(/[ \t\n]+/)
    .filter((w) => w !== '');
  const max = name === 'sync_threshold' ? 2 : 1;
  if (words.length === 0 || words.length > max) {
    throw new SysctlError(
      'ERR_LVS_SYSCTL_VALUE',
      `${name}: expected ${max === 2 ? 'one or two integers (threshold period)' : 'one integer'}, got '${text.trim()}'`,
    );
  }
  const values: number[] = [];
  for (const w of words) {
    const v = parseInt0(w);
    if (v === undefined) throw new SysctlError('ERR_LVS_SYSCTL_VALUE', `${name}: not an integer: '${w}'`);
    values.push(v);
  }
  const setting = { name, values };
  const bad = settingError(setting);
  if (bad !== undefined) throw new SysctlError('ERR_LVS_SYSCTL_VALUE', bad);
  return setting;
}

/** The single-name writes of a setting: sync_threshold's second value is sync_period. */
function parts(s: SysctlSetting): [SysctlName, number][] {
  const [a, b] = s.values;
  const out: [SysctlName, number][] = [[s.name, a ?? 0]];
  if (s.name === 'sync_threshold' && b !== undefined) out.push(['sync_period', b]);
  return out;
}

/** Why the setting is refused on its own (ranges, and the pair rule when both are given). */
function settingError(s: SysctlSetting): string | undefined {
  for (const [n, v] of parts(s)) {
    const bad = sysctlValueError(n, v);
    if (bad !== undefined) return bad;
  }
  const [t, p] = s.values;
  // proc_do_sync_threshold(): threshold must be below period unless period is 0.
  if (s.name === 'sync_threshold' && t !== undefined && p !== undefined && p !== 0 && t >= p) {
    return `sync_threshold ${t} must be below sync_period ${p}`;
  }
  return undefined;
}

/**
 * The `set-sysctl` commands that write a setting given the current values. A two-value
 * sync_threshold is written in the order that keeps each step valid (threshold first unless it is
 * not below the current period), since the kernel checks the pair as one write.
 */
export function sysctlCommands(s: SysctlSetting, current: Readonly<Record<SysctlName, number>>): Command[] {
  const ps = parts(s);
  const [t] = s.values;
  if (ps.length === 2 && t !== undefined && current.sync_period !== 0 && t >= current.sync_period)
    ps.reverse();
  return ps.map(([name, value]) => ({ op: 'set-sysctl', name, value }));
}

/** A setting's value as `sysctl` prints it (sync_threshold's pair tab-separated, as proc_dointvec). */
export function settingText(s: SysctlSetting): string {
  return s.values.join('\t');
}

/**
 * `sysctl -a` lines for net.ipv4.vs.*: `net.ipv4.vs.NAME = VALUE`, sorted by name as procfs lists
 * them. sync_threshold shows `threshold<TAB>period`; sync_period, our name for the second value,
 * appears only when asked for by name.
 */
export function formatSysctls(values: Readonly<Record<SysctlName, number>>, only?: SysctlName): string {
  const line = (n: SysctlName) => {
    const v = n === 'sync_threshold' ? `${values.sync_threshold}\t${values.sync_period}` : String(values[n]);
    return `${SYSCTL_PREFIX}${n} = ${v}\n`;
  };
  if (only !== undefined) return line(only);
  return [...SYSCTLS]
    .filter((n) => n !== 'sync_period')
    .sort()
    .map(line)
    .join('');
}
