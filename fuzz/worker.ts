/**
 * The worker side of `npm run fuzz`: runs one target and posts its result. Before each input the
 * target writes the input's index and bytes into shared memory, so the runner, watching from the
 * main thread, can name the input of a hang after terminating this worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type FuzzTarget, INPUT_BYTES, type Progress, type TargetOptions } from './target.js';

interface Job extends TargetOptions {
  readonly target: string;
  readonly shared: SharedArrayBuffer;
}

const job = workerData as Job;
const head = new Int32Array(job.shared, 0, 2);
const body = new Uint8Array(job.shared, 8, INPUT_BYTES);
const progress: Progress = {
  begin(index, input) {
    const n = Math.min(input.length, INPUT_BYTES);
    body.set(n === input.length ? input : input.subarray(0, n));
    Atomics.store(head, 1, n);
    Atomics.store(head, 0, index);
  },
};

const mod = (await import(`./${job.target}.js`)) as Record<string, FuzzTarget>;
const target = Object.values(mod).find((v) => typeof v === 'object' && v !== null && 'run' in v);
if (!target) throw new Error(`no target in ${job.target}`);
const result = target.run(job, progress);
parentPort?.postMessage(result);
