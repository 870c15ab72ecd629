/** The `wlc` scheduler (ip_vs_wlc.c: the least overhead/weight, ipvsadm's default scheduler); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `wlc` scheduler for one service. */
export function createWlc(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('wlc', LEAST.WLC);
}
