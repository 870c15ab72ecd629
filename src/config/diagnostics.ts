/**
 * Configuration diagnostics: every problem found in keepalived.conf or ldirectord.cf becomes a
 * {@link ConfigDiagnostic} (a ConfigError with a severity), collected rather than thrown, because
 * keepalived warns and continues on nearly every mistake (its check_parser.c and vrrp_parser.c
 * handlers log an invalid value and ignore it or fall back to a default).
 */
import { ConfigError, type TableErrorCode } from '../core/errors.js';

/** Stable diagnostic codes; tests and tooling match on these, never on message text. */
export const CONFIG_CODES = [
  'ERR_CONFIG_SYNTAX',
  'ERR_CONFIG_UNKNOWN_KEYWORD',
  'ERR_CONFIG_BAD_VALUE',
  'ERR_CONFIG_MISSING_VALUE',
  'ERR_CONFIG_FILE_NOT_FOUND',
  'ERR_CONFIG_INCLUDE_MISSING',
  'ERR_CONFIG_DEPRECATED',
  'ERR_CONFIG_DEFAULTED',
  'ERR_CONFIG_ADJUSTED',
  'ERR_CONFIG_DUPLICATE',
  'ERR_CONFIG_IGNORED',
  'ERR_CONFIG_CONFLICT',
  'ERR_CONFIG_NO_INTERFACE',
  'ERR_CONFIG_INCLUDE_DEPTH',
  'ERR_CONFIG_INCLUDE_LIMIT',
  'ERR_CONFIG_SCRIPT_INSECURE',
  'ERR_CONFIG_SCRIPT_UNAVAILABLE',
  'ERR_CONFIG_SCRIPT_USER',
  'ERR_CONFIG_LOAD_TIMEOUT',
  'ERR_CONFIG_LOAD_FAILED',
] as const;
/**
 * One of {@link CONFIG_CODES}, or the table's own code for a value the service table would
 * refuse (table-check.ts), or the sync service's for a missing sync interface, so
 * `--check-config` and lvsd's start log name it alike.
 */
export type ConfigCode = (typeof CONFIG_CODES)[number] | TableErrorCode | 'ERR_LVS_NO_DEVICE';

/**
 * How bad a finding is. `notice` is logged only (keepalived's plain `include` of a missing file);
 * `warning` is a value keepalived silently fixed and `error` a thing it dropped — both make
 * `keepalived -t` exit 5; `fatal` means the daemon cannot start (exit 4).
 */
export type Severity = 'notice' | 'warning' | 'error' | 'fatal';

/** A located configuration finding; a ConfigError so callers can throw it when they must. */
export class ConfigDiagnostic extends ConfigError {
  readonly severity: Severity;
  /** The message without the `file:line:` prefix. */
  readonly text: string;
  constructor(severity: Severity, code: ConfigCode, text: string, file: string, line: number) {
    super(code, text, file, line);
    this.name = 'ConfigDiagnostic';
    this.severity = severity;
    this.text = text;
  }
}

/** Where a token or block came from. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
}

/** Collects diagnostics during one parse. */
export class Diagnostics {
  readonly list: ConfigDiagnostic[] = [];
  /** Records a finding at `pos`. */
  add(severity: Severity, code: ConfigCode, text: string, pos: SourcePos): void {
    this.list.push(new ConfigDiagnostic(severity, code, text, pos.file, pos.line));
  }
  /** Shorthand for a dropped/ignored item (exit 5). */
  error(code: ConfigCode, text: string, pos: SourcePos): void {
    this.add('error', code, text, pos);
  }
  /** Shorthand for a silently fixed value (exit 5, as keepalived reports it as a config error). */
  warn(code: ConfigCode, text: string, pos: SourcePos): void {
    this.add('warning', code, text, pos);
  }
}

/**
 * `keepalived -t` exit status for a list of findings (keepalived/core/main.c `config_test_exit`):
 * 0 clean, 4 fatal, 5 non-fatal configuration errors. Notices do not count (a missing plain
 * `include` exits 0, as observed with Debian 2.2.7).
 */
export function exitCodeFor(diags: readonly ConfigDiagnostic[]): 0 | 4 | 5 {
  if (diags.some((d) => d.severity === 'fatal')) return 4;
  if (diags.some((d) => d.severity === 'warning' || d.severity === 'error')) return 5;
  return 0;
}
