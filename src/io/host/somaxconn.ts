/**
 * net.core.somaxconn of the current network namespace: the kernel caps every listen(2) backlog
 * at it (net/socket.c __sys_listen). Read from /proc/sys/net/core/somaxconn, which shows the
 * reading process's namespace.
 */
import { readFileSync } from 'node:fs';

/** The namespace's somaxconn, or undefined where it cannot be read. Never throws. */
export function readSomaxconn(path = '/proc/sys/net/core/somaxconn'): number | undefined {
  try {
    const v = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(v) && v >= 0 ? v : undefined;
  } catch {
    return undefined;
  }
}
