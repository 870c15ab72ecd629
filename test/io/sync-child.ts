/**
 * Child process of the sync socket namespace test, run inside a namespace with
 * `node --import tsx test/io/sync-child.ts '<json>'` (sockets live in the namespace of the
 * process that opens them). It opens a backup receiver and/or a master sender with the real
 * SyncSocketTransport, prints a `ready` line, sends its datagrams after `sendAfterMs`, listens
 * until `lingerMs` (or a line on stdin) and prints one result line with what its receiver got.
 */
import { SyncSocketTransport } from '../../src/io/sync/sync-socket-transport.js';
import type { SyncEndpoint } from '../../src/sync/sync-transport.js';

/** What the child does. */
export interface SyncChildConfig {
  master?: SyncEndpoint;
  backup?: SyncEndpoint;
  /** Datagrams (hex) the master sends. */
  sends?: string[];
  sendAfterMs?: number;
  lingerMs: number;
}

/** The child's result line. */
export interface SyncChildResult {
  received: { src: string; hex: string }[];
  sent: number;
  errors: string[];
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as SyncChildConfig;
const t = new SyncSocketTransport();
const res: SyncChildResult = { received: [], sent: 0, errors: [] };
const onError = (e: Error) => res.errors.push(`${(e as { code?: string }).code ?? ''} ${e.message}`);
try {
  const rx = cfg.backup
    ? t.openReceiver(
        cfg.backup,
        (d) => res.received.push({ src: d.src, hex: Buffer.from(d.data).toString('hex') }),
        onError,
      )
    : undefined;
  const tx = cfg.master ? t.openSender(cfg.master, onError) : undefined;
  // Sockets bind asynchronously; a moment later they are listening.
  setTimeout(() => process.stdout.write(`${JSON.stringify({ ready: true })}\n`), 200);
  setTimeout(() => {
    for (const h of cfg.sends ?? [])
      tx?.send(Buffer.from(h, 'hex'), (err) => {
        if (err) onError(err);
        else res.sent++;
      });
  }, cfg.sendAfterMs ?? 300);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    rx?.close();
    tx?.close();
    process.stdout.write(`${JSON.stringify(res)}\n`);
    process.exit(0);
  };
  // The parent ends a listener early (a line on stdin) once the senders are done.
  process.stdin.on('data', finish);
  setTimeout(finish, cfg.lingerMs);
} catch (e) {
  onError(e as Error);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n${JSON.stringify(res)}\n`);
  process.exit(0);
}
