/**
 * Child process of the ICMP netns tests, run inside a namespace with
 * `ip netns exec NS node --import tsx test/io/icmp-child.ts '<json>'` (sockets live in the
 * namespace of the process that opens them). Prints one JSON result line and exits.
 *
 * Modes:
 * - ping:  open one IcmpSocket of `family`/`kind` and send every `pings` entry concurrently
 *          over it (one after another with `sequential`); report the kind opened and each
 *          outcome with its elapsed time;
 * - open:  only try to open a socket of `family`/`kind`; report the kind or the error code;
 * - check: run one PingChecker (default in-process echo, `pingPath`) against `host` and report
 *          the result and how it was made.
 */
import { PingChecker } from '../../src/health/probes/ping.js';
import { IcmpSocket, monotonicMs } from '../../src/io/icmp/icmp-socket.js';

interface Config {
  mode: 'ping' | 'open' | 'check';
  family?: 4 | 6;
  kind?: 'auto' | 'dgram' | 'raw';
  pings?: [string, number][];
  /** Send each ping after the previous one finished instead of all at once. */
  sequential?: boolean;
  host?: string;
  pingPath?: string;
  timeoutMs?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  if (cfg.mode === 'check') {
    const c = new PingChecker(cfg.host ?? '127.0.0.1', undefined, cfg.pingPath ?? 'ping');
    const r = await c.check({ timeoutMs: cfg.timeoutMs ?? 1000, part: 0 });
    say({ ok: r.ok, message: r.message, method: c.lastMethod });
    return;
  }
  const sock = new IcmpSocket({ family: cfg.family ?? 4, kind: cfg.kind ?? 'auto' });
  try {
    sock.open();
  } catch (e) {
    say({ error: (e as { code?: string }).code, message: (e as Error).message });
    return;
  }
  if (cfg.mode === 'open') {
    say({ kind: sock.kind });
    sock.close();
    return;
  }
  const one = async ([addr, timeoutMs]: [string, number]) => {
    const t0 = monotonicMs();
    const r = await sock.ping(addr, timeoutMs);
    return { addr, ...r, elapsedMs: monotonicMs() - t0 };
  };
  const results = [];
  if (cfg.sequential) for (const p of cfg.pings ?? []) results.push(await one(p));
  else results.push(...(await Promise.all((cfg.pings ?? []).map(one))));
  say({ kind: sock.kind, pending: sock.pendingCount, results });
  sock.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
