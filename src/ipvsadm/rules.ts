/**
 * ipvsadm-save / ipvsadm-restore rules: `-A -t VIP:port -s rr` lines parsed with lvsadm's own argv
 * parser (one grammar for the CLI and for rule files), and the save format written back.
 * ipvsadm -R splits each line on white space with no quoting and drops words equal to `ipvsadm`
 * (config_stream.c); the ipvsadm-restore wrapper also drops `#` comment lines, which we accept.
 */

import type { Command } from '../control/commands.js';
import type { Snapshot } from '../control/views.js';
import { ConfigError } from '../core/errors.js';
import { formatSave } from './format.js';
import { type ParsedCommand, parse } from './parse.js';
import type { Resolver } from './resolve.js';

/** One non-empty line of a restore stream, split as config_stream.c splits it. */
export interface RestoreLine {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly argv: readonly string[];
}

/**
 * Splits a restore stream exactly as `ipvsadm -R` does: white-space words, `ipvsadm` words dropped,
 * lines left with no words skipped. Comment lines are kept: real `ipvsadm -R` fails on them.
 */
export function restoreArgvs(text: string): RestoreLine[] {
  const out: RestoreLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const argv = raw.split(/[ \t\r\v\f]+/).filter((w) => w !== '' && w !== 'ipvsadm');
    if (argv.length > 0) out.push({ line: i + 1, argv });
  });
  return out;
}

/** Parses one restore line as `ipvsadm -R` would (a nested -R is refused). */
export function parseRestoreLine(
  argv: readonly string[],
  resolver?: Resolver,
  prog = 'lvsadm',
): ParsedCommand {
  return parse(argv, { prog, restoring: true, ...(resolver ? { resolver } : {}) });
}

/**
 * Parses a rules file (ipvsadm-save output, `#` comments allowed) into table Commands.
 * Throws ConfigError with the file and line: ERR_LVS_RULES_SYNTAX for what ipvsadm would refuse,
 * ERR_LVS_RULES_NOT_TABLE for lines that are valid but change no table (-L, -S, -h, ...).
 */
export function parseRules(text: string, file = '<rules>', resolver?: Resolver): Command[] {
  return parseRulesLines(text, file, resolver).map((r) => r.command);
}

/** A parsed rule and its 1-based line, so a refusal when it is applied can name file:line. */
export interface RuleLine {
  readonly line: number;
  readonly command: Command;
}

/** {@link parseRules}, each command with its line number. */
export function parseRulesLines(text: string, file = '<rules>', resolver?: Resolver): RuleLine[] {
  const commands: RuleLine[] = [];
  for (const { line, argv } of restoreArgvs(text)) {
    if ((argv[0] ?? '').startsWith('#')) continue;
    const p = parseRestoreLine(argv, resolver);
    if (p.kind === 'error') throw new ConfigError('ERR_LVS_RULES_SYNTAX', p.text.trimEnd(), file, line);
    if (p.kind !== 'command') {
      throw new ConfigError('ERR_LVS_RULES_NOT_TABLE', `not a table command: ${argv.join(' ')}`, file, line);
    }
    commands.push({ line, command: p.command });
  }
  return commands;
}

/** Writes the table as `ipvsadm -S -n` does; restoring the output rebuilds the same table. */
export function saveRules(snap: Snapshot, resolver?: Resolver): string {
  return resolver ? formatSave(snap, false, resolver) : formatSave(snap, true);
}
