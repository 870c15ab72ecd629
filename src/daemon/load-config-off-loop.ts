/**
 * loadConfig (config-loader.ts) in a worker thread, for reloads: reading, parsing and validating
 * 2,000 services took about a second of CPU, and on the daemon's thread that second was a stalled
 * relay, late health checks and an unanswered control socket (a SIGHUP must never stall
 * forwarding). keepalived forks a child to read a new configuration for the same reason, so a
 * slow or hostile file cannot hold the process that forwards (keepalived's `reload_check_config`
 * runs in a separate process).
 *
 * The worker sends the model's services in batches and waits for an acknowledgement between them
 * (config-worker.ts), so the daemon deserialises the result in steps of a few ms with loop turns
 * between. A worker that does not answer within the time limit is terminated and the load refused
 * (ERR_CONFIG_LOAD_TIMEOUT); one that cannot start falls back to loading on this thread.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { ConfigCheck } from '../config/check-config.js';
import { ConfigDiagnostic } from '../config/diagnostics.js';
import { DEFAULT_GLOBALS, EMPTY_VRRP, type VirtualService } from '../config/model.js';
import { type LoadOptions, loadConfig } from './config-loader.js';
import { type ConfigWorkerMessage, revivedDiagnostics } from './config-worker-protocol.js';

/** Longest a worker may take before the load is refused (a real configuration takes under a second). */
export const CONFIG_LOAD_TIMEOUT_MS = 60_000;

/**
 * The worker of config-worker.js beside this file. Run from the sources (tsx: tests, `npm start`),
 * the entry is .ts and a worker does not inherit tsx's loader, so it registers it first.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./config-worker.js', import.meta.url), { workerData });
  const entry = new URL('./config-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData });
}

function refused(
  file: string,
  code: 'ERR_CONFIG_LOAD_TIMEOUT' | 'ERR_CONFIG_LOAD_FAILED',
  text: string,
): ConfigCheck {
  return {
    format: 'keepalived',
    model: { source: 'keepalived', globals: DEFAULT_GLOBALS, services: [], vrrp: EMPTY_VRRP },
    diagnostics: [new ConfigDiagnostic('fatal', code, text, file, 0)],
    exitCode: 4,
  };
}

/**
 * Loads `file` as loadConfig does, off the event loop. Options that cannot cross to a thread (an
 * injected `scriptHost`, in tests) load on this thread.
 */
export async function loadConfigOffLoop(
  file: string,
  opts: LoadOptions = {},
  timeoutMs = CONFIG_LOAD_TIMEOUT_MS,
): Promise<ConfigCheck> {
  if (opts.scriptHost !== undefined) return loadConfig(file, opts);
  let worker: Worker;
  try {
    worker = startWorker({ file, opts });
  } catch {
    return loadConfig(file, opts);
  }
  // Kept referenced: a caller with nothing else on the loop (a test, `--check-config`) must not
  // see the process end with the load still pending. It lives only until the result is in.
  const services: VirtualService[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  let started = false;
  const result = await new Promise<ConfigCheck | 'failed'>((resolve) => {
    const timer = setTimeout(() => {
      resolve(
        refused(file, 'ERR_CONFIG_LOAD_TIMEOUT', `reading the configuration took over ${timeoutMs} ms`),
      );
    }, timeoutMs);
    timer.unref();
    const end = (r: ConfigCheck | 'failed') => {
      clearTimeout(timer);
      resolve(r);
    };
    worker.on('online', () => {
      started = true;
    });
    worker.on('message', (m: ConfigWorkerMessage) => {
      if (m.kind !== 'done') {
        if (m.kind === 'services') services.push(...m.services);
        // A finding is an Error again: each capture of a stack costs, 6,500 took 130 ms at once.
        else diagnostics.push(...revivedDiagnostics(m.diagnostics));
        // The next batch after a turn of the loop: each is deserialised in a step of its own.
        void nextTurn().then(() => worker.postMessage('next'));
        return;
      }
      end({ ...m.check, model: { ...m.check.model, services }, diagnostics });
    });
    worker.on('error', () => end('failed'));
    worker.on('exit', () => end('failed'));
  });
  void worker.terminate();
  if (result !== 'failed') return result;
  // A worker that never ran (no threads left, the entry missing) must not make reloads impossible.
  if (!started) return loadConfig(file, opts);
  return refused(file, 'ERR_CONFIG_LOAD_FAILED', 'the configuration reader failed');
}
