/**
 * What every fuzz target gives the runner: a name and a `run` that feeds `count` inputs, records
 * the input in hand before each one (so a hang can be reported with the input that caused it) and
 * returns what it found. Targets run in a worker thread; the runner is the watchdog.
 */

/** Bytes of shared memory for the input in hand (longer inputs are cut for the report). */
export const INPUT_BYTES = 1 << 20;

/** One input that broke a rule: a thrown exception, an uncoded error or a wrong output. */
export interface Finding {
  /** Index of the input in the run (with the seed, enough to reproduce it). */
  readonly index: number;
  /** What went wrong. */
  readonly what: string;
  /** The input, hex for bytes and JSON for text and argv. */
  readonly input: string;
}

/** A target's report. */
export interface TargetResult {
  readonly inputs: number;
  readonly findings: readonly Finding[];
  /**
   * Differences that are not failures of the rules (a parity slip against an oracle): reported
   * and counted, but they do not fail the run.
   */
  readonly notes?: readonly Finding[];
  /** Target-specific counts (coded errors by code, drops by reason, corpus growth ...). */
  readonly counts: Record<string, number>;
}

/** Where a target records the input in hand: its index and bytes, in shared memory. */
export interface Progress {
  /** Sets the index of the input about to run and copies its bytes for the watchdog. */
  begin(index: number, input: Uint8Array): void;
}

/** Options every target takes. */
export interface TargetOptions {
  readonly seed: number;
  readonly count: number;
  /** Stop after this many findings (the rest are counted, not kept). */
  readonly maxFindings: number;
  /** Frames: how many kept corpus entries to write to test/fixtures/fuzz/frames-v4|v6.pcap (0: none). */
  readonly saveCorpus?: number;
}

/** A fuzz target. */
export interface FuzzTarget {
  readonly name: string;
  run(o: TargetOptions, progress: Progress): TargetResult;
}

/** Collects findings up to a bound and counts the rest. */
export class Findings {
  readonly list: Finding[] = [];
  total = 0;

  constructor(private readonly max: number) {}

  /** Records one finding. */
  add(index: number, what: string, input: string): void {
    this.total++;
    if (this.list.length < this.max) this.list.push({ index, what, input });
  }
}

/** Counts keyed by name. */
export function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** A thrown value as one line: its code when it has one, else its class and message. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const where = e.stack?.split('\n')[1]?.trim() ?? '';
    return `${e.name}${typeof code === 'string' ? ` ${code}` : ''}: ${e.message} ${where}`;
  }
  return `non-Error thrown: ${String(e)}`;
}
