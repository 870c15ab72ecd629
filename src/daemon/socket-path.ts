/**
 * Where lvsd listens and lvsadm connects. Both sides resolve the default the same way so an
 * operator never has to pass `--socket` in the common case: LVSD_SOCKET wins, then
 * /run/lvsd.sock for root (like the kernel, one director per host), then the per-user
 * $XDG_RUNTIME_DIR, then a per-user directory under the temp dir.
 */
import type { Stats } from 'node:fs';
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

/** What lstat(2) says about a path, as much as the safety rule needs. */
export interface PathStat {
  readonly uid: number;
  readonly mode: number;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
  readonly isSocket: boolean;
}

const S_ISVTX = 0o1000;

/** The fields of an fs.Stats the socket safety rules read. */
export function pathStat(st: Stats): PathStat {
  return {
    uid: st.uid,
    mode: st.mode,
    isDirectory: st.isDirectory(),
    isSymbolicLink: st.isSymbolicLink(),
    isSocket: st.isSocket(),
  };
}

/**
 * Why the control socket's directory `dir` is unsafe for a process running as `euid`, or
 * undefined when it is safe: it must be a real directory (not a symlink), owned by this user or
 * root, and writable by nobody else unless it is a root-owned sticky directory like /tmp (where
 * others cannot remove or replace what is ours). Otherwise another user who made it first (a
 * pre-created /tmp/lvsd-UID of mode 0777) could replace the socket and receive this user's
 * commands; ssh-agent and tmux refuse such directories for the same reason.
 */
export function socketDirProblem(dir: string, st: PathStat, euid: number | undefined): string | undefined {
  if (st.isSymbolicLink || !st.isDirectory) return `${dir} is not a directory`;
  if (euid === undefined) return undefined;
  if (st.uid !== euid && st.uid !== 0) return `${dir} is owned by uid ${st.uid}, not by uid ${euid} or root`;
  const sharedSticky = st.uid === 0 && (st.mode & S_ISVTX) !== 0;
  if ((st.mode & 0o022) !== 0 && !sharedSticky)
    return `${dir} is writable by other users (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/**
 * Why the control socket `path` itself is not to be trusted by a client running as `euid`: a
 * socket owned by another user (not root) is not the daemon this user meant to drive.
 */
export function socketFileProblem(path: string, st: PathStat, euid: number | undefined): string | undefined {
  if (!st.isSocket) return `${path} is not a socket`;
  if (euid === undefined || st.uid === euid || st.uid === 0) return undefined;
  return `${path} is owned by uid ${st.uid}, not by uid ${euid} or root`;
}
