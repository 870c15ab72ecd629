/**
 * The host side of keepalived's script checks (config/script-security.ts, secure-scripts.ts):
 * lstat(2), stat(2) and realpath(3) of a script's path, and getpwnam(3)/getgrnam(3) through
 * getent(1), so NSS sources (files, LDAP, systemd-userdb) answer as they do for keepalived.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, realpathSync, type Stats, statSync } from 'node:fs';
import type { ScriptFs, ScriptStat } from '../../config/script-security.js';
import type { ScriptUsers } from '../../config/secure-scripts.js';

// strerror(3) for the errors realpath(3) gives, as keepalived prints them.
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

function toStat(st: Stats): ScriptStat {
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
  return { kind, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, dev: st.dev, ino: st.ino };
}

function tryStat(f: () => Stats): ScriptStat | undefined {
  try {
    return toStat(f());
  } catch {
    return undefined;
  }
}

/** The real file system, with $PATH from the environment (else glibc's _CS_PATH). */
export function systemScriptFs(env: NodeJS.ProcessEnv = process.env): ScriptFs {
  return {
    lstat: (p) => tryStat(() => lstatSync(p)),
    stat: (p) => tryStat(() => statSync(p)),
    realpath: (p) => {
      try {
        return { path: realpathSync.native(p) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        return { error: STRERROR[code] ?? (code || String(e)) };
      }
    },
    searchPath: env.PATH ?? '/bin:/usr/bin',
  };
}

// One getent(1) line split on ':', or undefined when the name is unknown or getent cannot run.
function getent(db: 'passwd' | 'group', name: string): string[] | undefined {
  const r = spawnSync('getent', [db, name], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const line = r.stdout.split('\n')[0];
  return line ? line.split(':') : undefined;
}

function id(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** The host's user database; `self` is this process's uid and gid. */
export function systemScriptUsers(): ScriptUsers {
  const cache = new Map<string, string[] | undefined>();
  const look = (db: 'passwd' | 'group', name: string) => {
    const k = `${db}:${name}`;
    if (!cache.has(k)) cache.set(k, getent(db, name));
    return cache.get(k);
  };
  return {
    user: (name) => {
      const f = look('passwd', name);
      const uid = id(f?.[2]);
      const gid = id(f?.[3]);
      return uid !== undefined && gid !== undefined ? { uid, gid } : undefined;
    },
    group: (name) => id(look('group', name)?.[2]),
    self: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  };
}
