/**
 * `lvsd --restore FILE`: loads rules in ipvsadm-save format before the socket opens. The whole
 * file is parsed first, so a syntax error starts nothing (stricter than `ipvsadm -R`, which has
 * applied the lines before it); a rule the table refuses is reported with ipvsadm's message and
 * the rest still load, as `ipvsadm-restore` goes on past kernel errors.
 */
import { readFileSync } from 'node:fs';
import { apply } from '../control/apply.js';
import type { Command } from '../control/commands.js';
import type { DirectorPort } from '../control/ports.js';
import { LvsError } from '../core/errors.js';
import { serviceKeyText } from '../core/types.js';
import { errorMessage, operationOf } from '../ipvsadm/messages.js';
import { parseRules } from '../ipvsadm/rules.js';

/** A rule the table refused during restore. */
export interface RestoreFailure {
  readonly command: Command;
  /** ipvsadm's message for the refusal, e.g. `Service already exists`. */
  readonly message: string;
}

/** Reads and parses a rules file; throws ConfigError (file:line) or ERR_LVS_RULES_READ. */
export function readRules(file: string): Command[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new LvsError('ERR_LVS_RULES_READ', `${file}: cannot read rules (${code})`);
  }
  return parseRules(text, file);
}

/** Applies parsed rules in order; returns the ones the table refused (the others stay applied). */
export function applyRules(port: DirectorPort, commands: readonly Command[], now: number): RestoreFailure[] {
  const failures: RestoreFailure[] = [];
  for (const command of commands) {
    try {
      apply(port, command, now);
    } catch (e) {
      if (!(e instanceof LvsError)) throw e;
      failures.push({ command, message: errorMessage(operationOf(command.op), e.errno).text });
    }
  }
  return failures;
}

/** A one-line description of a command for logs: `add-dest TCP 10.0.0.1:80`. */
export function commandText(c: Command): string {
  return 'service' in c && c.service ? `${c.op} ${serviceKeyText(c.service)}` : c.op;
}
