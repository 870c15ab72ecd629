/**
 * A counter whose increments are reported in log lines at most once per period: under a flood a
 * refusal happens thousands of times a second, and one line per 10 s saying how many keeps the
 * log readable and its disk bounded while still saying that it happens. Pure: time comes in.
 */

/** How often a notice may be reported, by default. */
export const NOTICE_PERIOD_MS = 10_000;

/** A cumulative count and the part of it not yet reported. */
export class CountNotice {
  /** Events since start. */
  count = 0;
  private reported = 0;
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly periodMs: number = NOTICE_PERIOD_MS) {}

  /** Counts one event. */
  add(): void {
    this.count++;
  }

  /**
   * The events to report in a line now, or 0 when none are new or the last line was less than
   * a period ago (they are reported by a later call: call it from a periodic timer too).
   */
  due(now: number): number {
    const n = this.count - this.reported;
    if (n === 0 || now - this.last < this.periodMs) return 0;
    this.reported = this.count;
    this.last = now;
    return n;
  }
}
