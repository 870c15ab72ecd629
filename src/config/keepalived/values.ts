/**
 * Value readers for keepalived keywords. Each reports a located diagnostic and returns undefined
 * on a bad value, so handlers keep the default exactly as keepalived's "... - ignoring" does.
 */
import { canonicalIp } from '../../core/addr.js';
import type { Diagnostics } from '../diagnostics.js';
import type { ScriptSpec } from '../model.js';
import type { Node } from './tree.js';

/** Reads argument `i` of `n` as an integer in [min, max]. */
export function int(d: Diagnostics, n: Node, i: number, min: number, max: number): number | undefined {
  const s = n.args[i];
  if (s === undefined) {
    d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a value`, n);
    return undefined;
  }
  if (!/^-?\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    d.error('ERR_CONFIG_BAD_VALUE', `${n.kw} '${s}' is invalid (range ${min}-${max})`, n);
    return undefined;
  }
  return Number(s);
}

/** Reads a `<TIMER>` (seconds, fractional, µs resolution) as milliseconds; `min` in seconds. */
export function timer(d: Diagnostics, n: Node, i = 0, min = 0.000001): number | undefined {
  const s = n.args[i];
  if (s === undefined) {
    d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a value`, n);
    return undefined;
  }
  const v = /^\d+(\.\d*)?$|^\.\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isFinite(v) || v < min || v > 4294.967295 * 1e6) {
    d.error('ERR_CONFIG_BAD_VALUE', `${n.kw} '${s}' is invalid`, n);
    return undefined;
  }
  return Math.round(v * 1e6) / 1e3;
}

/** Reads an optional `<BOOL>`; a bare keyword means true (lib/parser.c `check_true_false`). */
export function bool(d: Diagnostics, n: Node, i = 0): boolean | undefined {
  const s = n.args[i];
  if (s === undefined) return true;
  if (s === 'on' || s === 'true' || s === 'yes') return true;
  if (s === 'off' || s === 'false' || s === 'no') return false;
  d.error('ERR_CONFIG_BAD_VALUE', `${n.kw}: '${s}' is not a boolean`, n);
  return undefined;
}

/** Reads a required string argument. */
export function str(d: Diagnostics, n: Node, i = 0): string | undefined {
  const s = n.args[i];
  if (s === undefined || s === '') d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a value`, n);
  return s === '' ? undefined : s;
}

/** Reads an IP address, returned canonical. */
export function ip(d: Diagnostics, n: Node, i = 0): string | undefined {
  const s = str(d, n, i);
  if (s === undefined) return undefined;
  const c = canonicalIp(s);
  if (c === undefined) d.error('ERR_CONFIG_BAD_VALUE', `${n.kw}: invalid IP address '${s}'`, n);
  return c;
}

/** Reads a port 0..65535. */
export function port(d: Diagnostics, n: Node, i = 0): number | undefined {
  return int(d, n, i, 0, 65535);
}

/**
 * Splits a script command into argv: unquoted spaces separate, single quotes group
 * (keepalived.conf(5) "Quoted strings"); the optional user/group follow the command in the
 * statement's arguments.
 */
export function script(d: Diagnostics, n: Node, from = 0): ScriptSpec | undefined {
  const command = n.args[from];
  if (command === undefined || command === '') {
    d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a script`, n);
    return undefined;
  }
  const argv: string[] = [];
  let cur = '';
  let has = false;
  let q = false;
  for (const c of command) {
    if (c === "'") {
      q = !q;
      has = true;
    } else if (!q && (c === ' ' || c === '\t')) {
      if (has) argv.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) argv.push(cur);
  let user = n.args[from + 1];
  let group = n.args[from + 2];
  if (user?.includes(':')) [user, group] = user.split(':', 2) as [string, string];
  if (group?.startsWith(':')) group = group.slice(1);
  return {
    command,
    argv,
    ...(user ? { user } : {}),
    ...(group ? { group } : {}),
  };
}

/** The largest value of a C int, the bound keepalived puts on integer keywords. */
export const INT32_MAX = 2147483647;

/** Assigns when the value parsed (keeps the earlier/default value on a bad one). */
export function set<T, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}
