/**
 * ldirectord.cf line reader (ldirectord `read_config`): column-0 globals and
 * `virtual=` lines, sections of lines indented by ≥4 spaces or a tab, blank lines ending a section,
 * `#` comments stripped inside sections but kept in global values (as ldirectord does).
 */
import type { Diagnostics, SourcePos } from '../diagnostics.js';

/** One `directive = value` line. */
export interface LdDirective extends SourcePos {
  readonly key: string;
  /** Value after `=` with surrounding blanks trimmed (quotes kept). */
  readonly value: string;
  /** True when the line had no `=` at all (e.g. a bare `supervised`). */
  readonly bare: boolean;
}

/** A `virtual=`/`virtual6=` section. */
export interface LdSection extends SourcePos {
  readonly v6: boolean;
  readonly value: string;
  readonly body: LdDirective[];
}

/** The file split into globals and sections, in order. */
export interface LdFile {
  readonly globals: LdDirective[];
  readonly sections: LdSection[];
}

const DIRECTIVE = /^([A-Za-z][A-Za-z0-9_]*)\s*(=\s*(.*?))?\s*$/;

/** Splits ldirectord.cf text into directives; malformed lines are reported, never thrown. */
export function lexLdirectord(file: string, text: string, d: Diagnostics): LdFile {
  const globals: LdDirective[] = [];
  const sections: LdSection[] = [];
  let cur: LdSection | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const pos = { file, line: i + 1 };
    if (cur) {
      if (/^\s*#/.test(raw)) continue;
      const body = raw.replace(/#.*/, '').replace(/\t/g, '    ');
      const m = /^ {4,}(.+)$/.exec(body);
      if (m && m[1]!.trim() !== '') {
        const dir = parse(m[1]!.trim(), pos);
        if (dir) cur.body.push(dir);
        else d.error('ERR_CONFIG_SYNTAX', `unknown command "${raw.trim()}"`, pos);
        continue;
      }
      // A non-indented line, or a blank one, ends the section (`read_config`'s indentation test).
      cur = undefined;
    }
    if (/^\s*$/.test(raw) || /^\s*#/.test(raw)) continue;
    const v = /^virtual(6)?\s*=\s*(.*?)\s*$/.exec(raw);
    if (v) {
      cur = { v6: v[1] !== undefined, value: v[2]!, body: [], ...pos };
      sections.push(cur);
      continue;
    }
    const dir = parse(raw, pos);
    if (dir) globals.push(dir);
    else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown command ${raw.trim()}`, pos);
  }
  return { globals, sections };
}

function parse(s: string, pos: SourcePos): LdDirective | undefined {
  const m = DIRECTIVE.exec(s);
  if (!m) return undefined;
  return { key: m[1]!, value: m[3] ?? '', bare: m[2] === undefined, ...pos };
}

/** Strips one pair of surrounding double quotes. */
export function unquote(s: string): string {
  const m = /^"(.*)"$/.exec(s);
  return m ? m[1]! : s;
}
