/** The `nq` scheduler (ip_vs_nq.c: the first idle (0 active) dest, else as sed); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `nq` scheduler for one service. */
export function createNq(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('nq', LEAST.NQ);
}
