/** The messages between a reload's config worker (config-worker.ts) and the daemon. */
import type { ConfigCheck } from '../config/check-config.js';
import { type ConfigCode, ConfigDiagnostic, type Severity } from '../config/diagnostics.js';
import type { VirtualService } from '../config/model.js';

/**
 * Services per message: 50 services of 4 real servers are about 100 KB serialised and
 * deserialise in a few ms, where the 2,000 of one message took 75-160 ms on the daemon's thread.
 */
export const CONFIG_BATCH = 50;

/** Findings per message. */
export const DIAGNOSTIC_BATCH = 250;

/** A finding as plain data: an Error subclass crosses postMessage without its own fields. */
export interface PlainDiagnostic {
  readonly severity: Severity;
  readonly code: ConfigCode;
  readonly text: string;
  readonly file: string;
  readonly line: number;
}

/** A worker's message: batches of the model's services and of the findings, then the rest. */
export type ConfigWorkerMessage =
  | { readonly kind: 'services'; readonly services: readonly VirtualService[] }
  | { readonly kind: 'diagnostics'; readonly diagnostics: readonly PlainDiagnostic[] }
  | { readonly kind: 'done'; readonly check: Omit<ConfigCheck, 'diagnostics'> };

/** The findings of a check as plain data. */
export function plainDiagnostics(c: ConfigCheck): PlainDiagnostic[] {
  return c.diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code as ConfigCode,
    text: d.text,
    file: d.file,
    line: d.line,
  }));
}

/** The findings again as ConfigDiagnostic objects. */
export function revivedDiagnostics(list: readonly PlainDiagnostic[]): ConfigDiagnostic[] {
  return list.map((d) => new ConfigDiagnostic(d.severity, d.code, d.text, d.file, d.line));
}
