/**
 * ldirectord's `logfile=` for lvsd: ldirectord(8) writes its log to the file named there, or, when
 * the value has no leading '/', to that syslog(3) facility. lvsd writes its log lines (pino JSON,
 * one per line) to the file as well as to stderr; a syslog facility is not honoured, and
 * --check-config says so (config/ldirectord/directives.ts). The file is opened for appending and
 * reopened on every reload (SIGHUP), so logrotate's rotate-then-HUP works as with ldirectord.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { LvsModel } from '../config/model.js';

/** Where log lines go: pino's DestinationStream shape. */
export interface LineSink {
  write(line: string): void;
}

/** An open log file. */
export interface OpenLogFile extends LineSink {
  close(): void;
}

/** Opens a log file for appending; throws an errno error (EACCES, ENOENT ...) when it cannot. */
export type LogFileOpener = (path: string) => OpenLogFile;

/** The real opener: O_APPEND | O_CREAT, mode 0640, synchronous writes (lvsd logs little). */
export const fsLogFileOpener: LogFileOpener = (path) => {
  const fd = openSync(path, 'a', 0o640);
  return {
    write: (line) => {
      writeSync(fd, line);
    },
    close: () => closeSync(fd),
  };
};

/** How many lines are held for the file before it is known (the start, before --config loads). */
const HOLD_LINES = 1000;

/**
 * Writes every line to `out` (stderr) and, once a file is set, to the file too. Created holding,
 * it keeps the first lines (up to 1000) until the file is set or known to be none, so the lines of
 * the start, the configuration's own findings among them, reach the file as ldirectord's do.
 */
export class LogTee implements LineSink {
  private file: OpenLogFile | undefined;
  private filePath: string | undefined;
  private held: string[] | undefined;

  constructor(
    private readonly out: LineSink,
    private readonly opener: LogFileOpener = fsLogFileOpener,
    hold = false,
  ) {
    if (hold) this.held = [];
  }

  /** The file lines are copied to, if any. */
  get path(): string | undefined {
    return this.filePath;
  }

  write(line: string): void {
    this.out.write(line);
    if (this.file) {
      try {
        this.file.write(line);
      } catch {
        // A full disk or a revoked file must not stop the daemon; stderr still has the line.
      }
    } else if (this.held && this.held.length < HOLD_LINES) this.held.push(line);
  }

  /**
   * Copies lines to `path` from now on (undefined: to no file), reopening it when it is the same
   * path (after a rotation). Lines held since the start go to it first. Throws the opener's errno
   * error when the file cannot be opened; lines then go to stderr only.
   */
  setFile(path: string | undefined): void {
    const held = this.held;
    this.held = undefined;
    this.file?.close();
    this.file = undefined;
    this.filePath = undefined;
    if (path === undefined) return;
    const file = this.opener(path);
    this.file = file;
    this.filePath = path;
    try {
      for (const line of held ?? []) file.write(line);
    } catch {
      // As in write(): the file is a copy, stderr has every line.
    }
  }
}

/**
 * The file a configuration's ldirectord `logfile=` names: the value when it starts with '/',
 * as ldirectord(8) reads it; undefined for a syslog facility, for no logfile, and for keepalived.
 */
export function logFileOf(model: LvsModel): string | undefined {
  if (model.source !== 'ldirectord') return undefined;
  const v = model.globals.extra.logfile?.[0];
  return v?.startsWith('/') ? v : undefined;
}

/** What the logger needs to say when the file cannot be opened. */
export interface LogFileWarner {
  warn(fields: object, msg: string): void;
}

/** Points `tee` at the logfile of `model`; an unopenable file is one warning, stderr keeps going. */
export function applyLogFile(tee: LogTee, model: LvsModel | undefined, log: LogFileWarner): void {
  const path = model ? logFileOf(model) : undefined;
  try {
    tee.setFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    log.warn({ file: path, code }, `cannot open logfile ${path}: ${code}; logging to stderr only`);
  }
}
