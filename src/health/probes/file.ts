/**
 * FILE_CHECK (keepalived track_file, keepalived.conf(5)): read an integer from the tracked file; the real
 * server's weight changes by value × weight (negated with `reverse`). A product ≤ INT32_MIN is a
 * FAULT (check fails). A missing or unreadable file reads as 0, as keepalived's track files do.
 */
import { readFile } from 'node:fs/promises';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

const INT32_MIN = -2147483648;

/** FILE_CHECK checker. */
export class FileChecker implements Checker {
  readonly type = 'file';
  constructor(
    private readonly path: string,
    private readonly weight: number,
    private readonly reverse: boolean,
  ) {}

  /** Reads the file once (asynchronously, bounded by the timeout). */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), ctx.timeoutMs);
    let value = 0;
    try {
      const text = await readFile(this.path, { encoding: 'latin1', signal: ac.signal });
      const m = /^\s*(-?\d+)/.exec(text);
      value = m ? Number(m[1]) : 0;
    } catch (e) {
      if ((e as Error).name === 'AbortError') return resultOf(false, 'read timed out', start);
      value = 0;
    } finally {
      clearTimeout(timer);
    }
    const offset = value * this.weight * (this.reverse ? -1 : 1);
    if (offset <= INT32_MIN) return resultOf(false, `value ${value}: fault`, start);
    return resultOf(true, `value ${value}`, start, { weightOffset: offset });
  }
}
