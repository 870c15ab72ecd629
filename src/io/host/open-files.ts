/**
 * The process's open-file limit (RLIMIT_NOFILE) and how many descriptors it holds, read from
 * /proc/self/limits and /proc/self/fd. Node raises its own soft RLIMIT_NOFILE to the hard limit
 * before any JavaScript runs (node.cc `PlatformInit`: "Raise the open file descriptor limit",
 * setrlimit to rlim_max, or a binary search up to 2^20 when the hard limit is unlimited), so
 * lvsd needs no setrlimit of its own: it reads what it got, says so at start (open-files-log in
 * the daemon) and sizes the proxy plane's descriptor budget from it (io/proxy/fd-budget.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The soft and hard RLIMIT_NOFILE; `Infinity` for "unlimited". */
export interface OpenFilesLimit {
  readonly soft: number;
  readonly hard: number;
}

/**
 * Parses the "Max open files" row of /proc/PID/limits (fs/proc/base.c `proc_pid_limits`:
 * "%-25s %-20s %-20s %-10s", the value or "unlimited"); undefined when the row is missing or
 * malformed. Never throws.
 */
export function parseOpenFilesLimit(text: string): OpenFilesLimit | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    const words = line.slice('Max open files'.length).trim().split(/\s+/);
    const soft = limitValue(words[0]);
    const hard = limitValue(words[1]);
    if (soft === undefined || hard === undefined) return undefined;
    return { soft, hard };
  }
  return undefined;
}

function limitValue(w: string | undefined): number | undefined {
  if (w === 'unlimited') return Number.POSITIVE_INFINITY;
  if (w === undefined || !/^\d{1,15}$/.test(w)) return undefined;
  return Number(w);
}

/** This process's RLIMIT_NOFILE, or undefined where /proc is not readable. */
export function readOpenFilesLimit(): OpenFilesLimit | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** How many descriptors this process holds now (entries of /proc/self/fd), or undefined. */
export function countOpenFds(): number | undefined {
  try {
    // The directory's own descriptor, open while it is read, is one of the entries.
    return Math.max(0, readdirSync('/proc/self/fd').length - 1);
  } catch {
    return undefined;
  }
}
