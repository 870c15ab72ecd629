/**
 * Whether this process can open an ICMP echo socket on the host: as root a raw socket always
 * opens; otherwise only a ping socket can, and only when the host's net.ipv4.ping_group_range
 * holds our gid (the kernel's default "1 0" holds none). Tests that need such a socket in the
 * host's namespace skip, and say why, where neither is true.
 */
import { readFileSync } from 'node:fs';

/** True when the host's ping_group_range lets this process's gid open ping sockets. */
export function hostAllowsPingSockets(): boolean {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const gid = process.getgid?.() ?? -1;
    return lo !== undefined && hi !== undefined && gid >= lo && gid <= hi;
  } catch {
    return false;
  }
}

/** Why an in-process echo on the host cannot be tested here, or undefined when it can. */
export function hostEchoSkipReason(): string | undefined {
  if (process.getuid?.() === 0 || hostAllowsPingSockets()) return undefined;
  const why = "not root, and the host's net.ipv4.ping_group_range excludes our gid";
  console.log(`# skipping in-process ICMP echo tests on the host: ${why}`);
  return why;
}
