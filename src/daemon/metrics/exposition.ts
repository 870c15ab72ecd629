/**
 * A writer of the Prometheus text exposition format 0.0.4 (prometheus.io "Exposition formats":
 * `# HELP`, `# TYPE`, then one `name{labels} value` line per sample, every family's samples
 * together). The per-real-server families, ten thousand series and more each at scale, go through
 * table-writer.ts instead (bytes, not strings) and none through prom-client's per-series label
 * maps (bench/metrics-scrape.ts measures both); prom-client keeps the process and event families.
 */

/** The content type of the text exposition, as prom-client's Registry.PROMETHEUS_CONTENT_TYPE says it. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A family's type line value. */
export type FamilyType = 'counter' | 'gauge';

/** Escapes a label value: backslash, double quote and newline (the format's only escapes). */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** Escapes HELP text: backslash and newline. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Formats a sample value: integers plainly, NaN and infinities as the format spells them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Renders a label set `{a="x",b="y"}` (empty string for none), values escaped. */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let s = '';
  for (const k in labels) s += `${s === '' ? '' : ','}${k}="${escapeLabel(labels[k] ?? '')}"`;
  return s === '' ? '' : `{${s}}`;
}

/** Collects families as text; {@link Exposition.text} joins them. */
export class Exposition {
  private readonly parts: string[] = [];

  /** Starts a family: its HELP and TYPE lines. Its samples must follow before the next family. */
  family(name: string, type: FamilyType, help: string): void {
    this.parts.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
  }

  /** One sample; `labels` is a {@link labelText} result. */
  sample(name: string, labels: string, value: number): void {
    this.parts.push(`${name}${labels} ${formatValue(value)}\n`);
  }

  /** A whole family over `rows`: HELP/TYPE once, then one sample per row with a value. */
  series<T>(
    name: string,
    type: FamilyType,
    help: string,
    rows: readonly T[],
    labels: (row: T, i: number) => string,
    value: (row: T) => number | undefined,
  ): void {
    if (rows.length === 0) return;
    let s = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as T;
      const v = value(row);
      if (v !== undefined) s += `${name}${labels(row, i)} ${formatValue(v)}\n`;
    }
    this.parts.push(s);
  }

  /** Appends text already in the format (prom-client's registry output). */
  raw(text: string): void {
    this.parts.push(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  /** The exposition so far. */
  text(): string {
    return this.parts.join('');
  }
}
