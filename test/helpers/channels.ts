/** Test helper: records what one instrumentation channel (src/control/channels.ts) publishes. */
import type { TypedChannel } from '../../src/control/channels.js';

/** Messages seen so far, and the function that stops recording. */
export interface Recorder<T> {
  readonly got: T[];
  stop(): void;
}

/** Subscribes to `ch` until `stop()`, keeping every message. */
export function record<T>(ch: TypedChannel<T>): Recorder<T> {
  const got: T[] = [];
  const fn = (m: T): void => {
    got.push(m);
  };
  ch.subscribe(fn);
  return { got, stop: () => ch.unsubscribe(fn) };
}

/** A pino-shaped logger keeping `{level, msg, ...fields}` lines in memory. */
export function memLogger() {
  const lines: Array<{ level: string; msg: string; fields: object }> = [];
  const at = (level: string) => (fields: object, msg: string) => {
    lines.push({ level, msg, fields });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
