/**
 * keepalived.conf reader (keepalived.conf(5), modelled on lib/parser.c `read_line`): includes with
 * globs, `@` conditional lines, `$NAME=` definitions and substitution, `~SEQ`/`~LST` expansion,
 * `!`/`#` comments, quoted strings with escapes and brace splitting. Pure: files arrive through
 * the caller's `readFile`/`glob`, and every token keeps the file:line it came from.
 */
import { posix } from 'node:path';
import type { Diagnostics, SourcePos } from '../diagnostics.js';
import { hasGlobChars } from './glob.js';
import type { ConfigIo, LexLine, LexOptions, LexState, Token } from './lex-state.js';
import { expandLoops, substitute } from './macros.js';

export type { ConfigIo, LexLine, LexOptions, LexState, Token } from './lex-state.js';

/** Upper bound on produced lines, so a hostile `~SEQ` cannot exhaust memory. */
export const MAX_LINES = 200_000;
const MAX_INCLUDE_DEPTH = 32;
/**
 * Most files one configuration may read, includes counted each time they are read: a file that
 * includes itself twice doubles at every level, and 2^32 reads would freeze a reload (a real
 * configuration reads tens of files).
 */
export const MAX_INCLUDED_FILES = 1000;
const MAX_LINE_CHARS = 65_536;

/** Reads `path` and everything it includes into logical lines; findings go to `diags`. */
export function lexKeepalived(
  path: string,
  io: ConfigIo,
  diags: Diagnostics,
  opts: LexOptions = {},
): LexLine[] {
  const st: LexState = {
    io,
    opts,
    diags,
    vars: new Map(),
    out: [],
    pwd: posix.dirname(path),
    truncated: false,
    filesRead: 1,
  };
  const text = safeRead(io, path);
  if (text === undefined) {
    // keepalived's words (`keepalived -t -f /nonexistent` prints them, then exits 0). lvsd keeps
    // the file fatal (exit 4): `lvsd --config` refuses to start on it and a reload refuses it, so
    // a check saying 0 would call usable a file lvsd will not use (README, "Configuration files").
    diags.add('fatal', 'ERR_CONFIG_FILE_NOT_FOUND', `Config files missing '${path}'.`, {
      file: path,
      line: 0,
    });
    return st.out;
  }
  readText(st, path, text, 0);
  return st.out;
}

function safeRead(io: ConfigIo, path: string): string | undefined {
  try {
    return io.readFile(path);
  } catch {
    return undefined;
  }
}

const INCLUDE_WORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);

function readText(st: LexState, file: string, text: string, depth: number): void {
  const saved = st.pwd;
  st.pwd = posix.dirname(file);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && !st.truncated; i++) {
    let raw = lines[i]!;
    const pos = { file, line: i + 1 };
    // Multi-line definition: `$NAME=` with nothing after, continued by lines ending in `\`.
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=\s*\\?\s*$/.exec(stripComment(raw));
    if (def) {
      const parts: string[] = [];
      while (i + 1 < lines.length) {
        const next = stripComment(lines[++i]!);
        if (next.trim() === '') continue;
        const cont = /\\\s*$/.test(next);
        parts.push(cont ? next.replace(/\\\s*$/, '') : next);
        if (!cont) break;
      }
      st.vars.set(def[1]!, parts.join('\n'));
      continue;
    }
    raw = stripComment(raw);
    if (raw.trim() === '') continue;
    const first = /^\s*(\S+)\s*(.*)$/.exec(raw);
    if (first && INCLUDE_WORDS.has(first[1]!)) {
      include(st, first[1]!, first[2]!.trim(), pos, depth);
      continue;
    }
    processLine(st, raw, pos, 0);
  }
  st.pwd = saved;
}

function include(st: LexState, kind: string, arg: string, pos: SourcePos, depth: number): void {
  const name = unquote(arg);
  if (name === '') {
    st.diags.error('ERR_CONFIG_MISSING_VALUE', `${kind} needs a file name`, pos);
    return;
  }
  if (depth >= MAX_INCLUDE_DEPTH) {
    st.diags.error('ERR_CONFIG_INCLUDE_DEPTH', `include nesting deeper than ${MAX_INCLUDE_DEPTH}`, pos);
    return;
  }
  const abs = posix.isAbsolute(name) ? name : posix.join(st.pwd, name);
  let files: string[];
  if (hasGlobChars(abs)) {
    try {
      files = st.io.glob(abs);
    } catch {
      files = [];
    }
  } else files = [abs];
  let found = 0;
  for (const f of files) {
    if (st.filesRead >= MAX_INCLUDED_FILES) {
      st.diags.error(
        'ERR_CONFIG_INCLUDE_LIMIT',
        `more than ${MAX_INCLUDED_FILES} files read through includes`,
        pos,
      );
      st.truncated = true;
      return;
    }
    st.filesRead++;
    const text = safeRead(st.io, f);
    if (text === undefined) continue;
    found++;
    readText(st, f, text, depth + 1);
  }
  if (found === 0) {
    // Plain `include` never fails on a missing file (backward compatibility, keepalived.conf(5));
    // variants do.
    const sev = kind === 'include' ? 'notice' : 'error';
    st.diags.add(sev, 'ERR_CONFIG_INCLUDE_MISSING', `config files missing '${name}'`, pos);
  }
}

function unquote(s: string): string {
  const m = /^(["'])(.*)\1$/.exec(s);
  return m ? m[2]! : s;
}

/** Removes an unquoted `#` or `!` comment (keepalived.conf(5): comments may start anywhere on a line). */
export function stripComment(line: string): string {
  let q = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = '';
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' || c === '!') return line.slice(0, i);
  }
  return line;
}

/** Runs one physical (or macro-produced) line through `@`, `$`, `~SEQ/~LST` and tokenising. */
export function processLine(st: LexState, line: string, pos: SourcePos, depth: number): void {
  if (st.truncated) return;
  if (depth > 64) {
    st.diags.error('ERR_CONFIG_BAD_VALUE', 'macro expansion nested too deeply', pos);
    return;
  }
  let s = line.trim();
  const cond = /^@(\^?)(\S*)\s*(.*)$/.exec(s);
  if (cond) {
    const match = cond[2] === (st.opts.configId ?? '');
    if (match === (cond[1] === '^')) return;
    s = cond[3]!;
  }
  const def = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(s);
  if (def) {
    st.vars.set(def[1]!, def[2]!);
    return;
  }
  if (s.startsWith('~SEQ') || s.startsWith('~LST')) {
    expandLoops(st, s, pos, depth, processLine);
    return;
  }
  const expanded = substitute(st, s, pos);
  if (expanded.length > MAX_LINE_CHARS) {
    // Self-referencing definitions double on every pass; stop before memory does.
    st.diags.error(
      'ERR_CONFIG_BAD_VALUE',
      `parameter expansion longer than ${MAX_LINE_CHARS} characters`,
      pos,
    );
    return;
  }
  if (expanded !== s) {
    // A substituted value may hold several lines, `@` conditions or further definitions.
    for (const part of expanded.split('\n')) processLine(st, part, pos, depth + 1);
    return;
  }
  const tokens = tokenize(s, st.diags, pos);
  if (tokens.length === 0) return;
  if (st.out.length >= MAX_LINES) {
    st.truncated = true;
    st.diags.error('ERR_CONFIG_BAD_VALUE', `configuration expands to more than ${MAX_LINES} lines`, pos);
    return;
  }
  st.out.push({ file: pos.file, line: pos.line, tokens });
}

const ESC: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Splits a line into words and braces. Quotes are removed and touching quoted/unquoted runs
 * join into one word (keepalived.conf(5) "Quoted strings"); escapes apply inside quotes only.
 */
export function tokenize(s: string, diags: Diagnostics, pos: SourcePos): Token[] {
  const out: Token[] = [];
  let cur = '';
  let has = false;
  let q = '';
  const flush = () => {
    if (has) out.push({ text: cur });
    cur = '';
    has = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = '';
      else if (c === '\\' && i + 1 < s.length) {
        const [text, used] = unescapeAt(s, i + 1);
        cur += text;
        i += used;
      } else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === ' ' || c === '\t') flush();
    else if (c === '{' || c === '}') {
      flush();
      out.push({ text: c, brace: c });
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) diags.warn('ERR_CONFIG_SYNTAX', 'unterminated quoted string', pos);
  flush();
  return out;
}

function unescapeAt(s: string, i: number): [string, number] {
  const c = s[i]!;
  if (c in ESC) return [ESC[c]!, 1];
  const oct = /^[0-7]{1,3}/.exec(s.slice(i));
  if (oct) return [String.fromCharCode(Number.parseInt(oct[0], 8) & 0xff), oct[0].length];
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(i));
  if (hex) return [String.fromCharCode(Number.parseInt(hex[1]!, 16)), hex[0].length];
  if (c === 'c' && i + 1 < s.length) return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), 2];
  return [c, 1];
}
