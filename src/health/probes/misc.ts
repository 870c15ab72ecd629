/**
 * MISC_CHECK and ldirectord `external` (keepalived check_misc.c, ldirectord(8)): run a command;
 * exit 0 = success. On timeout the whole process group gets SIGTERM, then SIGKILL 2 s later
 * (keepalived check_misc.c), and the check fails. With misc_dynamic: 1 = failure, 2..255 = success
 * with weight status−2 (255 → 253), 0 = success with the weight unchanged.
 */
import { spawn } from 'node:child_process';
import type { ScriptSpec } from '../../config/model.js';
import type { CheckContext, Checker, Result } from '../checker.js';
import { resultOf } from '../checker.js';

/** How a command ended. */
export interface CommandOutcome {
  /** Exit status, or undefined when killed by a signal. */
  readonly code: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** spawn failed (ENOENT, EACCES). */
  readonly error?: string;
}

/** keepalived waits this long between SIGTERM and SIGKILL of a timed-out script. */
export const KILL_GRACE_MS = 2000;

/** Who a script runs as: both ids or neither (a uid alone would keep the daemon's gid 0). */
export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * The uid:gid a script spec runs as: the ids the daemon resolved (config/secure-scripts.ts),
 * else numeric `user`/`group` as written, else the daemon's own.
 */
export function runAsOf(s: ScriptSpec): RunAs {
  if (s.uid !== undefined && s.gid !== undefined) return { uid: s.uid, gid: s.gid };
  const uid = numericId(s.user);
  if (uid === undefined) return {};
  return { uid, gid: numericId(s.group) ?? uid };
}

/**
 * Runs argv in its own process group with a timeout; never rejects. `uid`/`gid` set who it runs
 * as (libuv clears the supplementary groups when either is given, as keepalived's
 * set_script_env() does with setgroups()). argv is executed directly, never through a shell.
 */
export function runCommand(
  argv: readonly string[],
  timeoutMs: number,
  opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandOutcome> {
  const [cmd, ...args] = argv;
  if (!cmd)
    return Promise.resolve({ code: undefined, signal: undefined, timedOut: false, error: 'empty command' });
  return new Promise((resolve) => {
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(cmd, args, {
      detached: true,
      stdio: 'ignore',
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    const group = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      killTimer = setTimeout(() => group('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: undefined, signal: undefined, timedOut: false, error: e.code ?? e.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Descendants left in the group (a shell's children) are killed with it on timeout.
      if (timedOut) group('SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      resolve({ code: code ?? undefined, signal: signal ?? undefined, timedOut });
    });
  });
}

function numericId(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** External command checker. */
export class MiscChecker implements Checker {
  readonly type = 'misc';
  constructor(
    private readonly argv: readonly string[],
    private readonly dynamic: boolean,
    private readonly as: RunAs = {},
  ) {}

  /** Runs the command once. */
  async check(ctx: CheckContext): Promise<Result> {
    const start = process.hrtime.bigint();
    const r = await runCommand(this.argv, ctx.timeoutMs, this.as);
    if (r.error) return resultOf(false, `cannot run: ${r.error}`, start);
    if (r.timedOut) return resultOf(false, `timed out after ${ctx.timeoutMs} ms, killed`, start);
    if (r.code === undefined) return resultOf(false, `killed by ${r.signal}`, start);
    if (r.code === 0) return resultOf(true, 'exit 0', start);
    if (this.dynamic && r.code >= 2) return resultOf(true, `exit ${r.code}`, start, { weight: r.code - 2 });
    return resultOf(false, `exit ${r.code}`, start);
  }
}
