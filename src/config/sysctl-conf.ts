/**
 * sysctl.conf(5) / sysctl.d(5) files, read for lvsd's net.ipv4.vs.* settings: `key = value`
 * lines, blank lines and lines starting with `#` or `;` ignored, `/` or `.` as label separators, a
 * leading `-` meaning "a failing attempt to set the value is ignored". Lines for other keys are
 * skipped silently: they belong to the kernel, not to lvsd. Pure.
 */
import { isVsKey } from '../control/sysctl-values.js';

/** Where a setting came from: a file line, or the command line. */
export type SysctlOrigin = { readonly file: string; readonly line: number } | { readonly arg: string };

/** One `net.ipv4.vs.*` assignment as written. */
export interface SysctlAssignment {
  /** The key as written (either separator). */
  readonly key: string;
  /** The value with surrounding whitespace removed. */
  readonly value: string;
  readonly origin: SysctlOrigin;
  /** The line started with `-`: a refusal is not worth a warning (procps sysctl.conf(5)). */
  readonly ignoreFailure: boolean;
}

/** A problem found while reading sysctl files or settings, located by its origin. */
export interface SysctlFinding {
  readonly origin: SysctlOrigin;
  readonly code: string;
  readonly message: string;
  /** `debug` for refusals of `-` lines, which procps ignores; otherwise `warn`. */
  readonly level: 'warn' | 'debug';
}

/** What one file holds for lvsd. */
export interface SysctlConfParse {
  readonly assignments: SysctlAssignment[];
  readonly findings: SysctlFinding[];
}

/** `file:line` (the file alone for line 0, the whole file) or `--sysctl ARG`, for logs. */
export function originText(o: SysctlOrigin): string {
  if (!('file' in o)) return `--sysctl ${o.arg}`;
  return o.line > 0 ? `${o.file}:${o.line}` : o.file;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Parses one file's text. Never throws: a malformed line becomes a finding. */
export function parseSysctlConf(text: string, file: string): SysctlConfParse {
  const assignments: SysctlAssignment[] = [];
  const findings: SysctlFinding[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const origin = { file, line: i + 1 };
    let s = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (s === '' || s.startsWith('#') || s.startsWith(';')) continue;
    const ignoreFailure = s.startsWith('-');
    if (ignoreFailure) s = s.slice(1).trimStart();
    const eq = s.indexOf('=');
    const key = (eq < 0 ? s : s.slice(0, eq)).trim();
    // sysctl.d(5): `-KEY` alone excludes KEY from a glob pattern's writes; nothing to set.
    if (eq < 0 && ignoreFailure && key !== '') continue;
    if (eq < 0 || key === '') {
      findings.push({
        origin,
        code: 'ERR_LVS_SYSCTL_SYNTAX',
        message: eq < 0 ? `not a 'key = value' line: '${clip(s)}'` : 'missing key before =',
        level: 'warn',
      });
      continue;
    }
    if (!isVsKey(key)) continue;
    assignments.push({ key, value: s.slice(eq + 1).trim(), origin, ignoreFailure });
  }
  return { assignments, findings };
}
