/**
 * lvsd's logger: pino JSON lines on stderr for machines, or text lines from a small built-in
 * printer (avoids pulling pino-pretty and its dependency tree into the runtime): for an operator
 * at a terminal, and for journald (`--log-format text`), one line per record with the level and
 * the message first. Colours and the time stamp only on a terminal: journald stamps each line
 * itself. SIGUSR2 flips the level between debug and the one lvsd started with ({@link toggledLevel}).
 */
import { Writable } from 'node:stream';
import { type Logger, type LoggerOptions, pino } from 'pino';
import { type LineSink, LogTee } from './log-file.js';

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A `--log-level` value. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `--log-format` values: pino's JSON lines, or one text line per record. */
export const LOG_FORMATS = ['json', 'text'] as const;
/** A `--log-format` value. */
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
// ANSI SGR colours per level on a terminal: grey, cyan, green, yellow, red, magenta.
const LEVEL_COLOURS: Readonly<Record<number, string>> = {
  10: '90',
  20: '36',
  30: '32',
  40: '33',
  50: '31',
  60: '35',
};
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** How {@link prettyLine} renders: the time stamp and colours are for terminals. */
export interface TextStyle {
  readonly time?: boolean;
  readonly colour?: boolean;
}

// A control character (a newline above all) would split the record; such strings go out JSON-quoted.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(v: unknown): string {
  return typeof v === 'string' && !CONTROL.test(v) ? v : JSON.stringify(v);
}

/**
 * Renders one pino JSON line as `HH:MM:SS.mmm LEVEL msg key=value ...` (the time only with
 * `style.time`, default on); non-JSON passes through. The result never holds a newline.
 */
export function prettyLine(json: string, style: TextStyle = {}): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.replace(/\n/g, '\\n');
  }
  const n = typeof o.level === 'number' ? o.level : 30;
  let lvl = LEVEL_NAMES[n] ?? String(o.level);
  if (style.colour) lvl = `\u001b[${LEVEL_COLOURS[n] ?? '0'}m${lvl}\u001b[0m`;
  const msg = typeof o.msg === 'string' ? o.msg : '';
  let s = `${lvl} ${CONTROL.test(msg) ? JSON.stringify(msg) : msg}`;
  if (style.time !== false && typeof o.time === 'number')
    s = `${new Date(o.time).toISOString().slice(11, 23)} ${s}`;
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k)) continue;
    s += ` ${k}=${text(v)}`;
  }
  return s;
}

/** A writable that renders pino lines onto `out` with {@link prettyLine}. */
export function prettyStream(out: NodeJS.WritableStream, style: TextStyle = {}): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      pending += chunk.toString();
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        out.write(`${prettyLine(pending.slice(0, nl), style)}\n`);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      cb();
    },
  });
}

// stderr as `format` wants it: text on a terminal when 'auto', JSON elsewhere. Synchronous
// writes: lvsd logs little, and a fatal error must reach stderr before exit.
function stderrStream(format: LogFormat | 'auto', tty: boolean): LineSink {
  const asText = format === 'text' || (format === 'auto' && tty);
  const colour = tty && (process.env.NO_COLOR ?? '') === '';
  return asText
    ? prettyStream(process.stderr, { time: tty, colour })
    : pino.destination({ fd: 2, sync: true });
}

/**
 * Creates the daemon logger on stderr. `format` 'auto' (no --log-format) is text on a terminal
 * and JSON elsewhere; text has the time and colours only on a terminal (and not with NO_COLOR).
 */
export function createLogger(
  level: LogLevel,
  format: LogFormat | 'auto' = 'auto',
  tty = process.stderr.isTTY === true,
): Logger {
  const opts: LoggerOptions = { name: 'lvsd', level };
  return pino(opts, stderrStream(format, tty));
}

/**
 * lvsd's logger (as createLogger) writing through a LogTee, so that an ldirectord `logfile=`
 * gets every line too (daemon/log-file.ts). `holdForFile`: keep the first lines until the
 * configuration says whether there is a file (lvsd with --config).
 */
export function createDaemonLogger(
  level: LogLevel,
  holdForFile: boolean,
  format: LogFormat | 'auto' = 'auto',
  tty = process.stderr.isTTY === true,
): { log: Logger; file: LogTee } {
  const out = stderrStream(format, tty);
  const file = new LogTee(out, undefined, holdForFile);
  return { log: pino({ name: 'lvsd', level }, file), file };
}

/**
 * The level SIGUSR2 switches to: debug from anything less verbose, and back to the level lvsd
 * started with from debug or trace (info when it started at debug or trace).
 */
export function toggledLevel(current: string, initial: LogLevel): LogLevel {
  if (current === 'debug' || current === 'trace') {
    return initial === 'debug' || initial === 'trace' ? 'info' : initial;
  }
  return 'debug';
}

/** SIGUSR2's action: flips `log` with {@link toggledLevel} and logs the change at info. */
export function toggleLogLevel(log: Logger, initial: LogLevel): LogLevel {
  const from = log.level;
  const to = toggledLevel(from, initial);
  // Logged while the level is debug (before leaving it, after entering it), so the line shows.
  if (to !== 'debug') log.info({ from, to, signal: 'SIGUSR2' }, 'log level changed');
  log.level = to;
  if (to === 'debug') log.info({ from, to, signal: 'SIGUSR2' }, 'log level changed');
  return to;
}
