/**
 * The worker thread a reload reads and parses its configuration in (load-config-off-loop.ts):
 * loadConfig's file reads, include globs, parse, validation, name lookups and script checks run
 * here, so the daemon's event loop (the relay, health checks, the control socket) keeps turning
 * while a large keepalived.conf is parsed. The result goes back in batches of services and of
 * findings, each sent only after the daemon acknowledged the one before, so deserialising it on the daemon's thread
 * is many short steps with loop turns between, not one long one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadOptions, loadConfig } from './config-loader.js';
import {
  CONFIG_BATCH,
  type ConfigWorkerMessage,
  DIAGNOSTIC_BATCH,
  plainDiagnostics,
} from './config-worker-protocol.js';

const port = parentPort;
if (port) {
  const { file, opts } = workerData as { file: string; opts: LoadOptions };
  const send = (m: ConfigWorkerMessage) => port.postMessage(m);
  const acked = () => new Promise<void>((resolve) => port.once('message', () => resolve()));
  const check = await loadConfig(file, opts);
  const { services } = check.model;
  for (let i = 0; i < services.length; i += CONFIG_BATCH) {
    send({ kind: 'services', services: services.slice(i, i + CONFIG_BATCH) });
    await acked();
  }
  const diagnostics = plainDiagnostics(check);
  for (let i = 0; i < diagnostics.length; i += DIAGNOSTIC_BATCH) {
    send({ kind: 'diagnostics', diagnostics: diagnostics.slice(i, i + DIAGNOSTIC_BATCH) });
    await acked();
  }
  const { diagnostics: _, ...rest } = check;
  send({ kind: 'done', check: { ...rest, model: { ...check.model, services: [] } } });
}
