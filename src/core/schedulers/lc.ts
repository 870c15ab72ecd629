/** The `lc` scheduler (ip_vs_lc.c: the least (active*256 + inactive) overhead, weight only as a 0/non-0 gate); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `lc` scheduler for one service. */
export function createLc(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('lc', LEAST.LC);
}
