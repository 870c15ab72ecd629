/** The `ovf` scheduler (ip_vs_ovf.c: the highest weight among dests whose active conns do not exceed their weight); ties go to the first dest in list order. */
import { LEAST, LeastConnScheduler } from './least-conn.js';
import type { Scheduler, SchedulerOptions } from './scheduler.js';

/** Creates a `ovf` scheduler for one service. */
export function createOvf(_opts: SchedulerOptions = {}): Scheduler {
  return new LeastConnScheduler('ovf', LEAST.OVF);
}
