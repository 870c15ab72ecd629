/**
 * Where lvsd listens and lvsadm connects. Both sides resolve the default the same way so an
 * operator never has to pass `--socket` in the common case: LVSD_SOCKET wins, then
 * /run/lvsd.sock for root (like the kernel, one director per host), then the per-user
 * $XDG_RUNTIME_DIR, then a per-user directory under the temp dir.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The socket path root uses when nothing else is said. */
export const ROOT_SOCKET_PATH = '/run/lvsd.sock';

/** Inputs of the default-path rule, injectable for tests. */
export interface SocketEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Effective uid; undefined on platforms without uids. */
  readonly uid: number | undefined;
  readonly tmp?: string;
}

/** The current process's SocketEnv. */
export function processSocketEnv(): SocketEnv {
  return { env: process.env, uid: typeof process.geteuid === 'function' ? process.geteuid() : undefined };
}

/** The default control socket path (LVSD_SOCKET, /run as root, XDG_RUNTIME_DIR, temp dir). */
export function defaultSocketPath(se: SocketEnv = processSocketEnv()): string {
  const fromEnv = se.env.LVSD_SOCKET;
  if (fromEnv) return fromEnv;
  if (se.uid === 0) return ROOT_SOCKET_PATH;
  const xdg = se.env.XDG_RUNTIME_DIR;
  if (xdg) return join(xdg, 'lvsd.sock');
  return join(se.tmp ?? tmpdir(), `lvsd-${se.uid ?? 'user'}`, 'lvsd.sock');
}
