/**
 * PURE availability accounting from recorded up/down transitions (issue 7: "operators track these
 * numbers, and none of the peer tools gives them"). O(1) memory per subject: running sums, not a
 * history, so a long-lived director does not grow.
 *
 * Definitions (time runs from the first recorded state to `now`):
 * - uptime % = 100 · up / (up + down).
 * - failures = up→down transitions. A server that starts down (alpha) and later comes up has not
 *   failed; its initial down time counts against uptime % but not against MTTR.
 * - MTBF = up time / failures; with no failure yet, MTBF = the observed up time.
 * - MTTR = down time that followed a failure / failures (an outage still in progress counts up to
 *   `now`); with no failure yet, MTTR = 0.
 * - A = MTBF / (MTBF + MTTR). With no failure and some up time A = 1. A subject that has never
 *   been up has A = 0 (not 1: "no failure yet" must not read as "perfect" for a server that never
 *   passed a check). Nothing observed at all (no record, or zero elapsed time) gives NaN for
 *   uptime % and A, which the views print as "-".
 */
import type { AvailabilityStats } from '../control/health-views.js';

/** Running availability account of one subject. */
export class AvailabilityAccount {
  private started = false;
  private first = Number.NaN;
  private isUp = false;
  private last = 0;
  private upMs = 0;
  private downMs = 0;
  private repairMs = 0;
  private failures = 0;
  /** The current down period follows a failure (not the initial down state). */
  private failedDown = false;

  /** Records the state at time `at`; repeated states and out-of-order times are absorbed. */
  record(up: boolean, at: number): void {
    if (!this.started) {
      this.started = true;
      this.first = at;
      this.last = at;
      this.isUp = up;
      return;
    }
    this.advance(at);
    if (up === this.isUp) return;
    if (!up) {
      this.failures++;
      this.failedDown = true;
    } else this.failedDown = false;
    this.isUp = up;
  }

  private advance(at: number): void {
    const dt = Math.max(0, at - this.last);
    if (this.isUp) this.upMs += dt;
    else {
      this.downMs += dt;
      if (this.failedDown) this.repairMs += dt;
    }
    this.last = Math.max(this.last, at);
  }

  /** Figures as of `now` (the ongoing state counted up to `now`). */
  stats(now: number): AvailabilityStats {
    if (!this.started) {
      return {
        up: false,
        since: Number.NaN,
        observedMs: 0,
        upMs: 0,
        downMs: 0,
        failures: 0,
        uptimePct: Number.NaN,
        mtbfMs: 0,
        mttrMs: 0,
        availability: Number.NaN,
      };
    }
    const dt = Math.max(0, now - this.last);
    const upMs = this.upMs + (this.isUp ? dt : 0);
    const downMs = this.downMs + (this.isUp ? 0 : dt);
    const repairMs = this.repairMs + (!this.isUp && this.failedDown ? dt : 0);
    const observedMs = upMs + downMs;
    const f = this.failures;
    const mtbfMs = f === 0 ? upMs : upMs / f;
    const mttrMs = f === 0 ? 0 : repairMs / f;
    let availability: number;
    if (observedMs === 0) availability = Number.NaN;
    else if (upMs === 0) availability = 0;
    else availability = mtbfMs / (mtbfMs + mttrMs);
    return {
      up: this.isUp,
      since: this.first,
      observedMs,
      upMs,
      downMs,
      failures: f,
      uptimePct: observedMs === 0 ? Number.NaN : (100 * upMs) / observedMs,
      mtbfMs,
      mttrMs,
      availability,
    };
  }
}

/** Figures for a list of `{at, up}` transitions, the first being the initial state. */
export function availabilityOf(
  transitions: ReadonlyArray<{ readonly at: number; readonly up: boolean }>,
  now: number,
): AvailabilityStats {
  const acc = new AvailabilityAccount();
  for (const t of transitions) acc.record(t.up, t.at);
  return acc.stats(now);
}
