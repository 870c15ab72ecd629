/** Registry of schedulers by ipvsadm name. Each scheduler lives in its own file. */
import { BUILTIN_SCHEDULERS } from './all.js';
import type { SchedulerFactory } from './scheduler.js';

const registry = new Map<string, SchedulerFactory>(Object.entries(BUILTIN_SCHEDULERS));

/** Registers a scheduler factory under its ipvsadm name. */
export function registerScheduler(name: string, factory: SchedulerFactory): void {
  registry.set(name, factory);
}

/** Finds a scheduler factory by name (undefined: the kernel's "Scheduler not found"). */
export function findScheduler(name: string): SchedulerFactory | undefined {
  return registry.get(name);
}

/** Names of all registered schedulers. */
export function schedulerNames(): string[] {
  return [...registry.keys()];
}
