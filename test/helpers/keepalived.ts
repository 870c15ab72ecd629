/**
 * Debian's keepalived as a VRRP peer in a test namespace: started in the foreground with its
 * own pid files and its log on the console, stopped cleanly or killed as a crash would kill it.
 * Shared by the socket, interop and continuity tests and the failover benchmark.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Netns } from './netns.js';

/** A running keepalived. */
export interface KeepalivedProc {
  readonly proc: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** Dies without a word: no priority-0 advert (its VRRP child is killed, its parent frozen first). */
  crash(): void;
  /** SIGTERM (it stops its VRRP child and drops its addresses), then anything left is killed. */
  stop(): Promise<void>;
}

/**
 * Starts `keepalived --vrrp -f conf` in namespace `label`; its pid files are `<pidPrefix>parent.pid`,
 * `vrrp.pid`, `checkers.pid` and `bfd.pid`.
 */
export function spawnKeepalived(
  ns: Netns,
  label: string,
  conf: string,
  pidPrefix: string,
  extra: readonly string[] = ['--log-detail'],
): KeepalivedProc {
  const [parent, vrrp, checkers, bfd] = ['parent', 'vrrp', 'checkers', 'bfd'].map(
    (n) => `${pidPrefix}${n}.pid`,
  ) as [string, string, string, string];
  const k = ns.spawn(label, [
    'keepalived',
    '--dont-fork',
    '--log-console',
    ...extra,
    '--no-syslog',
    '--vrrp',
    '-f',
    conf,
    '-p',
    parent,
    '-r',
    vrrp,
    '-c',
    checkers,
    '-b',
    bfd,
  ]);
  let log = '';
  k.stdout?.on('data', (d) => (log += d));
  k.stderr?.on('data', (d) => (log += d));
  const exited = new Promise((r) => k.once('exit', r));
  const pidOf = (p: string): number => (existsSync(p) ? Number(readFileSync(p, 'utf8').trim()) : 0);
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      if (pid > 0) process.kill(pid, sig);
    } catch {}
  };
  return {
    proc: k,
    log: () => log,
    crash() {
      // The parent would restart its VRRP child, and its death makes the child stop cleanly
      // (PR_SET_PDEATHSIG, keepalived/core/main.c): freeze it, kill the child, then the parent.
      const p = pidOf(parent);
      signal(p, 'SIGSTOP');
      signal(pidOf(vrrp), 'SIGKILL');
      signal(p, 'SIGKILL');
    },
    async stop() {
      k.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      for (const p of [vrrp, parent]) signal(pidOf(p), 'SIGKILL');
    },
  };
}
