/** The `fo` scheduler (ip_vs_fo.c: the first dest with the highest weight, load ignored); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `fo` scheduler for one service. */
export function createFo(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('fo', LEAST.FO);
}
