/**
 * One lvsd director run from a keepalived.conf inside a test namespace, for the VRRP and sync
 * end-to-end tests: the config written to `dir`, its own control socket, its output kept for
 * failure messages.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './netns.js';

/** A running lvsd with its control socket and its log. */
export interface Lvsd {
  readonly proc: ChildProcess;
  readonly socket: string;
  log(): string;
  readonly exited: Promise<unknown>;
}

/**
 * Starts `bin/lvsd --config` in namespace `label` with `text` as `dir/<tag>.conf`, the control
 * socket `dir/<tag>.sock` and `args` (data plane options) before `--config`.
 */
export function startLvsd(
  ns: Netns,
  label: string,
  dir: string,
  tag: string,
  text: string,
  args: readonly string[],
): Lvsd {
  const file = join(dir, `${tag}.conf`);
  writeFileSync(file, text);
  const socket = join(dir, `${tag}.sock`);
  const proc = ns.spawn(
    label,
    [process.execPath, 'bin/lvsd', '--sysctl-files', 'none', '--socket', socket, ...args, '--config', file],
    { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  return { proc, socket, log: () => log, exited: new Promise((r) => proc.once('exit', r)) };
}
