/**
 * lvsd entry point: argument parsing, logging and signal wiring only; the daemon itself is
 * daemon/daemon.ts. Exit codes: 0 clean stop, 1 cannot start (socket taken, bad rules), 2 usage.
 */
import type { Command } from '../control/commands.js';
import { LvsError } from '../core/errors.js';
import { type Daemon, startDaemon } from './daemon.js';
import { type Demo, startDemo } from './demo.js';
import type { DirectorPort } from './director-port.js';
import { createLogger } from './logger.js';
import { parseLvsdArgs } from './options.js';
import { startProxyPlane } from './proxy-plane.js';
import { applyRules, commandText, readRules } from './restore.js';

/** Exit code when lvsd cannot start (socket in use, rules file unreadable or invalid). */
export const EXIT_START_FAILED = 1;

/** Runs lvsd in the foreground until SIGTERM or SIGINT. */
export function main(argv: string[]): void {
  const a = parseLvsdArgs(argv);
  if (a.kind === 'help') {
    process.stdout.write(a.text);
    return;
  }
  if (a.kind === 'error') {
    process.stderr.write(`${a.text}\n`);
    process.exitCode = a.exitCode;
    return;
  }
  const o = a.options;
  if (o.dataplane === 'packet') {
    process.stderr.write(
      'lvsd: the packet data plane has not landed yet; use --dataplane proxy (the default)\n',
    );
    process.exitCode = 2;
    return;
  }
  let rules: Command[] | undefined;
  if (o.restore !== undefined) {
    try {
      rules = readRules(o.restore);
    } catch (e) {
      process.stderr.write(`lvsd: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_START_FAILED;
      return;
    }
  }
  const log = createLogger(o.logLevel);
  let daemon: Daemon | undefined;
  let demo: Demo | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void Promise.all([daemon?.close(), demo?.close()]).then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const initial = (port: DirectorPort, now: number) => {
    if (demo) rules = [...demo.commands];
    if (!rules) return;
    const failures = applyRules(port, rules, now);
    for (const f of failures) log.warn({ rule: commandText(f.command), file: o.restore }, f.message);
    const from = demo ? { demo: true } : { file: o.restore };
    log.info({ ...from, rules: rules.length, refused: failures.length }, 'rules applied');
  };
  const demoStarted = o.demo ? startDemo() : Promise.resolve(undefined);
  demoStarted
    .then((dm) => {
      demo = dm;
      return startDaemon({
        socket: o.socket,
        connTabBits: o.connTabBits,
        tickMs: o.tickMs,
        logger: log,
        initial,
        dataplane: (port) => startProxyPlane(port, log),
      });
    })
    .then(
      (d) => {
        daemon = d;
        if (stopping) {
          void Promise.all([d.close(), demo?.close()]).then(() => process.exit(0));
          return;
        }
        if (demo) process.stdout.write(demo.banner(o.socket));
        log.info(
          { socket: o.socket, dataplane: o.dataplane, connTabSize: d.director.connTabSize },
          d.director.table.size === 0
            ? 'lvsd ready: no services configured (add some with lvsadm)'
            : 'lvsd ready',
        );
      },
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        process.stderr.write(`lvsd: ${msg}\n`);
        if (!(e instanceof LvsError)) log.error({ err: e }, 'start failed');
        process.exit(EXIT_START_FAILED);
      },
    );
}
