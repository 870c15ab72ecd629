/** Starts test/io/icmp-child.ts inside a namespace and parses its one JSON result line. */
import type { Netns } from '../helpers/netns.js';

/** One outcome line of icmp-child.ts. */
export interface ChildPing {
  addr: string;
  ok: boolean;
  code?: string;
  reason?: string;
  rttMs?: number;
  elapsedMs: number;
}

/** Runs icmp-child.ts in namespace `label` (behind `prefix`, e.g. setpriv) and parses its line. */
export function runIcmpChild(
  ns: Netns,
  label: string,
  cfg: object,
  prefix: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const argv = [...prefix, process.execPath, '--import', 'tsx', 'test/io/icmp-child.ts', JSON.stringify(cfg)];
  const c = ns.spawn(label, argv, { cwd: process.cwd() });
  let out = '';
  let err = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    c.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`icmp child exited ${code}: ${out}${err}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}
