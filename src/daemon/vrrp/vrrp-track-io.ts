/**
 * What track_file and vrrp_track_process read from the host, behind a small interface so tests
 * inject {@link FakeVrrpTrackIo}: the tracked files (keepalived watches them with inotify,
 * keepalived/trackers/track_file.c; we re-read them on a poll) and the process table (keepalived
 * follows the kernel's proc connector, keepalived/core/track_process.c; we scan /proc on a poll).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ProcEntry } from '../../vrrp/vrrp-track-process.js';

/** Host access for file and process tracking. */
export interface VrrpTrackIo {
  /** The file's text (at most its first 127 bytes matter), or undefined if it cannot be read. */
  readFile(path: string): string | undefined;
  /** Whether `path` exists (init_file writes only a missing file unless `overwrite`). */
  exists(path: string): boolean;
  /** Writes `text` to `path` (init_file). */
  writeFile(path: string, text: string): void;
  /** Every process; `withCmdline` false leaves argv empty (reading cmdline is dearer). */
  processes(withCmdline: boolean): ProcEntry[];
}

/** One process from /proc/PID/stat (comm and state) and, if asked, /proc/PID/cmdline. */
function readProc(pid: string, withCmdline: boolean): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm is between the first '(' and the last ')': it may itself hold ')' (proc(5)).
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < open) return undefined;
    const comm = stat.slice(open + 1, close);
    const zombie = stat[close + 2] === 'Z';
    let argv: string[] = [];
    if (withCmdline) {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      argv = raw.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
    }
    return { comm, argv, zombie };
  } catch {
    return undefined; // it exited while we looked
  }
}

/** The real host: synchronous reads, small files. */
export const systemVrrpTrackIo: VrrpTrackIo = {
  readFile(path) {
    try {
      return readFileSync(path, 'latin1').slice(0, 127);
    } catch {
      return undefined;
    }
  },
  exists: (path) => existsSync(path),
  writeFile(path, text) {
    writeFileSync(path, text);
  },
  processes(withCmdline) {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((n) => /^[1-9]\d*$/.test(n));
    } catch {
      return [];
    }
    return pids.map((p) => readProc(p, withCmdline)).filter((p): p is ProcEntry => p !== undefined);
  },
};

/** In-memory files and processes for tests. */
export class FakeVrrpTrackIo implements VrrpTrackIo {
  readonly files = new Map<string, string>();
  procs: ProcEntry[] = [];

  readFile(path: string): string | undefined {
    return this.files.get(path);
  }
  exists(path: string): boolean {
    return this.files.has(path);
  }
  writeFile(path: string, text: string): void {
    this.files.set(path, text);
  }
  processes(withCmdline: boolean): ProcEntry[] {
    return this.procs.map((p) => (withCmdline ? p : { ...p, argv: [] }));
  }
}
