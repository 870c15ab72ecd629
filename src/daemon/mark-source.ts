/**
 * lvsd's firewall-mark rules from the command line: the `--mark RULE` arguments, then the
 * `--mark-file` (re-read on SIGHUP), as one rule list in first-match order. A load with any
 * finding is refused whole, with every finding as `source:line:column: message (CODE)`, so a
 * typo never leaves a service half classified; on reload the rules in force then stay.
 */
import { constants, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type MarkFormat, parseMarkFile } from '../config/marks/mark-file.js';
import { parseMarkArgs } from '../config/marks/mark-rules.js';
import { findingText } from '../config/marks/mark-values.js';
import type { MarkRule } from '../core/mark-rule.js';

/** Where the rules come from (lvsd's `--mark`, `--mark-file`, `--mark-format`). */
export interface MarkSourceOptions {
  readonly marks?: readonly string[];
  readonly markFile?: string;
  readonly markFormat?: MarkFormat;
}

/** The rules, or the lines saying why not. */
export type MarkLoad =
  | { readonly ok: true; readonly rules: readonly MarkRule[] }
  | { readonly ok: false; readonly lines: readonly string[] };

/** Whether any mark rule source is configured. */
export function hasMarkSource(o: MarkSourceOptions): boolean {
  return (o.marks?.length ?? 0) > 0 || o.markFile !== undefined;
}

/** Loads the rules of `o`; `read` reads the file (tests pass their own). Never throws. */
export function loadMarks(o: MarkSourceOptions, read = (p: string) => readFileSync(p, 'utf8')): MarkLoad {
  const args = parseMarkArgs(o.marks ?? []);
  const lines = args.findings.map((f) => findingText('--mark', f));
  const rules = [...args.rules];
  if (o.markFile !== undefined) {
    let text: string | undefined;
    try {
      text = read(o.markFile);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      lines.push(`${o.markFile}: cannot read the mark file (${why}) (ERR_MARK_FILE)`);
    }
    if (text !== undefined) {
      const f = parseMarkFile(text, o.markFile, o.markFormat);
      lines.push(...f.findings.map((x) => findingText(o.markFile as string, x)));
      rules.push(...f.rules);
    }
  }
  return lines.length ? { ok: false, lines } : { ok: true, rules };
}

/** Largest mark file read (a rule list is kilobytes; a device never ends). */
const MAX_MARK_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a mark file off the event loop (SIGHUP): a regular file only (opened O_NONBLOCK, so a
 * FIFO cannot hold the open), at most MAX_MARK_FILE_BYTES.
 */
async function readMarkFile(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (st.size > MAX_MARK_FILE_BYTES)
      throw Object.assign(new Error('too large'), { code: 'larger than 16 MiB' });
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/** {@link loadMarks} with the file read off the event loop, for reloads. Never throws. */
export async function loadMarksOffLoop(o: MarkSourceOptions): Promise<MarkLoad> {
  if (o.markFile === undefined) return loadMarks(o);
  let text: string | undefined;
  let err: unknown;
  try {
    text = await readMarkFile(o.markFile);
  } catch (e) {
    err = e;
  }
  return loadMarks(o, () => {
    if (err !== undefined) throw err;
    return text as string;
  });
}
