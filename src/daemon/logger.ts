/**
 * lvsd's logger: pino JSON lines on stderr for machines, and a small built-in pretty printer
 * when stderr is a terminal so an operator running `lvsd` in the foreground can read it
 * (avoids pulling pino-pretty and its dependency tree into the runtime).
 */
import { Writable } from 'node:stream';
import { type Logger, type LoggerOptions, pino } from 'pino';
import { LogTee } from './log-file.js';

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A `--log-level` value. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** Renders one pino JSON line as `HH:MM:SS.mmm LEVEL msg key=value ...`; non-JSON passes through. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const t = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const lvl = LEVEL_NAMES[typeof o.level === 'number' ? o.level : 30] ?? String(o.level);
  let s = `${t} ${lvl} ${typeof o.msg === 'string' ? o.msg : ''}`;
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k)) continue;
    s += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return s;
}

/** A writable that pretty-prints pino lines onto `out`. */
export function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      pending += chunk.toString();
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        out.write(`${prettyLine(pending.slice(0, nl))}\n`);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      cb();
    },
  });
}

/** Creates the daemon logger on stderr: JSON, or pretty when `pretty` (stderr is a TTY). */
export function createLogger(level: LogLevel, pretty = process.stderr.isTTY === true): Logger {
  const opts: LoggerOptions = { name: 'lvsd', level };
  // Synchronous writes: lvsd logs little, and a fatal error must reach stderr before exit.
  return pretty
    ? pino(opts, prettyStream(process.stderr))
    : pino(opts, pino.destination({ fd: 2, sync: true }));
}

/**
 * lvsd's logger (as createLogger) writing through a LogTee, so that an ldirectord `logfile=`
 * gets every line too (daemon/log-file.ts). `holdForFile`: keep the first lines until the
 * configuration says whether there is a file (lvsd with --config).
 */
export function createDaemonLogger(
  level: LogLevel,
  holdForFile: boolean,
  pretty = process.stderr.isTTY === true,
): { log: Logger; file: LogTee } {
  const out = pretty ? prettyStream(process.stderr) : pino.destination({ fd: 2, sync: true });
  const file = new LogTee(out, undefined, holdForFile);
  return { log: pino({ name: 'lvsd', level }, file), file };
}
