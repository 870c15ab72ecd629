/**
 * Pure glob helpers for keepalived's `include` (keepalived.conf(5): glob wildcards plus csh brace
 * expansion). The parser never touches the file system; the caller's `glob` function may use
 * these to match directory listings, and in-memory tests use them directly.
 */

/** Expands csh-style braces: `a{b,c}d` → `abd`, `acd` (nested braces allowed; capped at 4096 results). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(start + 1, i);
        const parts = splitTopLevel(inner);
        if (parts.length < 2) continue; // `{x}` is literal in csh
        const pre = pattern.slice(0, start);
        const post = pattern.slice(i + 1);
        const out: string[] = [];
        for (const p of parts) {
          for (const e of expandBraces(pre + p + post)) {
            if (out.length >= 4096) return out;
            out.push(e);
          }
        }
        return out;
      }
    }
  }
  return [pattern];
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** True when `s` contains glob wildcards or brace alternatives. */
export function hasGlobChars(s: string): boolean {
  return /[*?[{]/.test(s);
}

/** Converts one brace-free shell glob to an anchored RegExp (`*` and `?` never match `/`). */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      re += glob[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Matches `pattern` (globs and braces) against a list of known paths, sorted as glob(3) does. */
export function matchGlob(pattern: string, paths: Iterable<string>): string[] {
  const res = expandBraces(pattern).map(globToRegExp);
  const out = new Set<string>();
  for (const p of paths) if (res.some((r) => r.test(p))) out.add(p);
  return [...out].sort();
}
