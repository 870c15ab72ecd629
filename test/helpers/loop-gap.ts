/**
 * The longest time the event loop was held while some work ran, two ways: wall time between two
 * turns of a setImmediate chain, and the main thread's own CPU time between them
 * (/proc/thread-self/schedstat, ns). On a loaded host the wall gap also counts the time the
 * thread waited for a CPU; the CPU gap counts only what ran on the loop (a worker thread's CPU
 * is not in it), so bounds are asserted on it. perf_hooks.monitorEventLoopDelay's max is given
 * beside them.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** This thread's CPU time so far, ms (schedstat's first field is ns on a CPU). */
export function threadCpuMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
}

/** Longest gaps between loop turns while `work` runs. */
export interface LoopGap {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly eldMs: number;
}

/** Runs `work` with the loop probed; returns the longest wall and CPU gaps between turns. */
export async function loopGap(work: () => Promise<unknown>): Promise<LoopGap> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let wall = 0;
  let cpu = 0;
  let lastWall = performance.now();
  let lastCpu = threadCpuMs();
  let on = true;
  const turn = () => {
    const t = performance.now();
    const c = threadCpuMs();
    wall = Math.max(wall, t - lastWall);
    cpu = Math.max(cpu, c - lastCpu);
    lastWall = t;
    lastCpu = c;
    if (on) setImmediate(turn);
  };
  setImmediate(turn);
  await new Promise((r) => setTimeout(r, 20));
  wall = 0;
  cpu = 0;
  h.reset();
  await work();
  await new Promise((r) => setTimeout(r, 10));
  on = false;
  h.disable();
  return { wallMs: wall, cpuMs: cpu, eldMs: h.max / 1e6 };
}
