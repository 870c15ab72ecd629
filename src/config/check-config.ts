/**
 * Format detection and the `--check-config` entry point shared by lvsd: keepalived.conf or
 * ldirectord.cf in, the model plus located diagnostics and the exit code of the original tool out.
 */
import { type ConfigDiagnostic, exitCodeFor } from './diagnostics.js';
import { type ConfigIo, type KeepalivedOptions, parseKeepalived } from './keepalived/index.js';
import type { LdirectordOptions } from './ldirectord/directives.js';
import { parseLdirectord } from './ldirectord/parser.js';
import type { LvsModel } from './model.js';
import { tableFindings } from './table-check.js';

/** The two configuration dialects. */
export type ConfigFormat = 'keepalived' | 'ldirectord';

/**
 * Guesses the dialect: ldirectord files are `key=value` lines with `virtual=` sections, keepalived
 * files use brace blocks. A file name containing `ldirectord` wins.
 */
export function detectFormat(path: string, text: string): ConfigFormat {
  if (/ldirectord/i.test(path)) return 'ldirectord';
  if (/keepalived/i.test(path)) return 'keepalived';
  if (/^virtual6?\s*=/m.test(text)) return 'ldirectord';
  if (/[{}]/.test(text)) return 'keepalived';
  return /^[a-z]+\s*=/m.test(text) ? 'ldirectord' : 'keepalived';
}

/** Outcome of loading or checking a configuration file. */
export interface ConfigCheck {
  readonly format: ConfigFormat;
  readonly model: LvsModel;
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** keepalived -t: 0/4/5; ldirectord: 0 or 2. */
  readonly exitCode: number;
}

/** Parses and validates `path` in the given or detected format. Never throws on bad input. */
export function checkConfig(
  path: string,
  io: ConfigIo,
  opts: KeepalivedOptions & LdirectordOptions & { format?: ConfigFormat } = {},
): ConfigCheck {
  const text = io.readFile(path);
  const format = opts.format ?? detectFormat(path, text ?? '');
  if (format === 'ldirectord') {
    const r = parseLdirectord(path, text, opts);
    const refused = tableFindings(r.model);
    // ldirectord.cf: any error makes the file unusable (parser.ts `finish`, exit 2).
    const exitCode = refused.length > 0 ? 2 : r.exitCode;
    return { format, model: r.model, diagnostics: [...r.diagnostics, ...refused], exitCode };
  }
  const r = parseKeepalived(path, io, opts);
  const diagnostics = [...r.diagnostics, ...tableFindings(r.model)];
  return { format, model: r.model, diagnostics, exitCode: exitCodeFor(diagnostics) };
}
