/**
 * keepalived.conf parameter substitution and `~SEQ`/`~LST` blocks (keepalived.conf(5) "Parameter
 * substitution", "Sequence blocks", "List blocks").
 */
import type { SourcePos } from '../diagnostics.js';
import type { LexState } from './lex-state.js';

/** lexer.ts processLine, passed in so the lexer and its macros do not import each other. */
export type LineProcessor = (st: LexState, line: string, pos: SourcePos, depth: number) => void;

/**
 * Replaces `${NAME}` anywhere and `$NAME` before whitespace or end of line, once. Undefined names
 * stay verbatim so scripts containing `$` are unchanged (keepalived.conf(5)); recursion happens because the
 * caller re-reads a changed line.
 */
export function substitute(st: LexState, s: string, pos: SourcePos): string {
  if (!s.includes('$')) return s;
  return s.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)((?:\s+[^}\s]+)*)\s*\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g,
    (whole: string, braced: string | undefined, args: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const argv = (args ?? '').trim().split(/\s+/).filter(Boolean);
      const v = lookup(st, name, argv, pos);
      return v === undefined ? whole : v;
    },
  );
}

function lookup(st: LexState, name: string, argv: string[], pos: SourcePos): string | undefined {
  switch (name) {
    case '_PWD':
      return st.pwd;
    case '_INSTANCE':
      return st.opts.instance ?? st.opts.configId ?? '';
    case '_HASH':
      return '#';
    case '_BANG':
      return '!';
    case '_ENV':
      return argv[0] === undefined ? undefined : (st.opts.env?.[argv[0]] ?? '');
    case '_RANDOM': {
      const min = argv[0] === undefined ? 0 : Number.parseInt(argv[0], 10);
      const max = argv[1] === undefined ? 32767 : Number.parseInt(argv[1], 10);
      if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) {
        st.diags.warn('ERR_CONFIG_BAD_VALUE', `bad _RANDOM range '${argv.join(' ')}'`, pos);
        return '0';
      }
      const r = st.opts.random ?? Math.random;
      return String(min + Math.floor(r() * (max - min + 1)));
    }
    default:
      return argv.length === 0 ? st.vars.get(name) : undefined;
  }
}

/** Expands a line starting with `~SEQ(...)`, `~SEQx(...)` or `~LST(...)`; nests left to right. */
export function expandLoops(
  st: LexState,
  s: string,
  pos: SourcePos,
  depth: number,
  processLine: LineProcessor,
): void {
  const m = /^~(SEQx|SEQ|LST)\(/.exec(s);
  const close = m ? findClose(s, m[0].length) : -1;
  if (!m || close < 0) {
    st.diags.error('ERR_CONFIG_SYNTAX', `malformed sequence/list block '${s.slice(0, 40)}'`, pos);
    return;
  }
  // The arguments may themselves use `${...}` (e.g. a bound set by an outer block).
  const inner = substitute(st, s.slice(m[0].length, close), pos);
  const rest = s.slice(close + 1);
  const iterations = m[1] === 'LST' ? listValues(inner) : seqValues(inner, m[1] === 'SEQx');
  if (!iterations) {
    st.diags.error('ERR_CONFIG_BAD_VALUE', `invalid ~${m[1]} specification '(${inner})'`, pos);
    return;
  }
  for (const binding of iterations) {
    if (st.truncated) return;
    for (const [k, v] of binding) st.vars.set(k, v);
    processLine(st, rest, pos, depth + 1);
  }
}

function findClose(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** More iterations than this in one block is treated as an error rather than expanded. */
const MAX_ITER = 100_000;

function seqValues(inner: string, hex: boolean): Array<Array<[string, string]>> | undefined {
  const parts = inner.split(',').map((p) => p.trim());
  const name = parts[0] ?? '';
  if (!NAME.test(name) || parts.length < 2 || parts.length > 4) return undefined;
  const nums = parts
    .slice(1)
    .map((p) =>
      /^-?(0x[0-9a-f]+|\d+)$/i.test(p)
        ? Number(p.replace(/^-/, '')) * (p.startsWith('-') ? -1 : 1)
        : Number.NaN,
    );
  if (nums.some((n) => !Number.isSafeInteger(n))) return undefined;
  let start: number;
  let step: number;
  let end: number;
  // keepalived.conf(5): (var, end), (var, start, end) or (var, start, step, end); omitted values take ±1.
  if (nums.length === 1) {
    end = nums[0]!;
    start = end < 0 ? -1 : 1;
    step = end < start ? -1 : 1;
  } else if (nums.length === 2) {
    [start, end] = [nums[0]!, nums[1]!];
    step = end < start ? -1 : 1;
  } else [start, step, end] = [nums[0]!, nums[1]!, nums[2]!];
  if (step === 0) return undefined;
  const out: Array<Array<[string, string]>> = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
    if (out.length >= MAX_ITER) return undefined;
    out.push([[name, hex ? v.toString(16) : String(v)]]);
  }
  return out;
}

function listValues(inner: string): Array<Array<[string, string]>> | undefined {
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of inner) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  items.push(cur.trim());
  const head = items.shift() ?? '';
  const group = (x: string) =>
    x.startsWith('{') && x.endsWith('}')
      ? x
          .slice(1, -1)
          .split(',')
          .map((p) => p.trim())
      : [x];
  const names = group(head);
  if (names.some((n) => !NAME.test(n)) || items.length === 0) return undefined;
  const out: Array<Array<[string, string]>> = [];
  for (const it of items) {
    const vals = group(it);
    if (vals.length !== names.length) return undefined;
    out.push(names.map((n, i) => [n, vals[i]!] as [string, string]));
  }
  return out;
}
