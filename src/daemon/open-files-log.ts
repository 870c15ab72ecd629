/**
 * The start line about RLIMIT_NOFILE. Node raises its soft limit to the hard limit before any
 * JavaScript runs (node.cc `PlatformInit`, "Raise the open file descriptor limit"), so lvsd
 * starts with every descriptor the hard limit allows; this line says how many that is, since it
 * bounds how many proxied connections and UDP flows lvsd can carry (io/proxy/fd-budget.ts).
 */
import type { Logger } from 'pino';
import { type OpenFilesLimit, readOpenFilesLimit } from '../io/host/open-files.js';

/** The text and level of the line for `lim` (undefined: /proc unreadable). */
export function openFilesLine(lim: OpenFilesLimit | undefined): { level: 'info' | 'warn'; msg: string } {
  if (!lim) return { level: 'warn', msg: 'open files limit unknown (/proc/self/limits unreadable)' };
  const hard = Number.isFinite(lim.hard) ? String(lim.hard) : 'unlimited';
  if (lim.soft >= lim.hard) {
    return {
      level: 'info',
      msg: `open files limit ${lim.soft} (soft limit raised to the hard limit at start)`,
    };
  }
  // Node searches up to 2^20 when the hard limit is unlimited; anything else it could not raise.
  return {
    level: Number.isFinite(lim.hard) ? 'warn' : 'info',
    msg: `open files limit ${lim.soft} (soft; hard limit ${hard})`,
  };
}

/** Logs this process's open-files limit once, at start. */
export function logOpenFiles(log: Logger): void {
  const lim = readOpenFilesLimit();
  const { level, msg } = openFilesLine(lim);
  log[level](
    lim ? { softLimit: lim.soft, hardLimit: Number.isFinite(lim.hard) ? lim.hard : 'unlimited' } : {},
    msg,
  );
}
