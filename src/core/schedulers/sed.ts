/** The `sed` scheduler (ip_vs_sed.c: the least (active+1)/weight, inactive conns ignored); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `sed` scheduler for one service. */
export function createSed(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('sed', LEAST.SED);
}
