/** Test helper: spawns `node bin/lvsd` on a unique temporary socket and stops it reliably. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSocket } from '../../src/daemon/control-server.js';

/** A spawned lvsd. */
export interface LvsdProc {
  readonly proc: ChildProcess;
  readonly socket: string;
  readonly dir: string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Kills the process if alive and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** A fresh temporary directory for sockets and rules files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lvsd-test-'));
}

/** Spawns lvsd with `args` (plus `--socket` in a new temp dir unless `socket` is given). */
export function spawnLvsd(
  args: string[] = [],
  opts: { socket?: string; dir?: string; env?: NodeJS.ProcessEnv } = {},
): LvsdProc {
  const dir = opts.dir ?? tempDir();
  const socket = opts.socket ?? join(dir, 'lvsd.sock');
  const proc = spawn(process.execPath, ['bin/lvsd', '--sysctl-files', 'none', '--socket', socket, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LVSD_SOCKET: '', ...opts.env },
  });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  proc.stdout?.resume();
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    proc,
    socket,
    dir,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the daemon accepts connections, or it exits, or `ms` pass. */
export async function waitReady(d: LvsdProc, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  let exited = false;
  void d.exited.then(() => {
    exited = true;
  });
  while (Date.now() < end) {
    if (exited) throw new Error(`lvsd exited before becoming ready: ${d.stderr()}`);
    if (await probeSocket(d.socket, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`lvsd did not become ready: ${d.stderr()}`);
}
