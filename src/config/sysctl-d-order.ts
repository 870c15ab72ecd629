/**
 * Which sysctl files are read, in which order (sysctl.d(5), procps sysctl(8) --system): `*.conf`
 * files of every directory sorted together by file name, a name in an earlier directory masking
 * the same name in later ones, then the plain files (/etc/sysctl.conf) last. Later assignments
 * win, so the last file read has the final say. Pure: the caller lists the directories.
 */

/** The directories procps `sysctl --system` reads, earliest first (sysctl.conf(5) FILES). */
export const SYSCTL_D_DIRS: readonly string[] = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
];

/** Read after every sysctl.d file (procps; systemd-sysctl reads it only through a 99-sysctl.conf link). */
export const SYSCTL_CONF = '/etc/sysctl.conf';

/** One directory's entries as listed (names only, any order). */
export interface SysctlDirListing {
  readonly dir: string;
  readonly names: readonly string[];
}

// Byte order, as strcmp(): the order is the files' names, not the locale's collation.
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The files to read, in order: masked and sorted sysctl.d files, then `files` as given. */
export function orderSysctlFiles(dirs: readonly SysctlDirListing[], files: readonly string[]): string[] {
  const chosen = new Map<string, string>();
  for (const d of dirs) {
    for (const name of d.names) {
      if (!name.endsWith('.conf') || name.startsWith('.') || chosen.has(name)) continue;
      chosen.set(name, `${d.dir.replace(/\/+$/, '')}/${name}`);
    }
  }
  return [...[...chosen.keys()].sort(byName).map((n) => chosen.get(n) as string), ...files];
}
