/**
 * Reads the host's sysctl files for lvsd's start-up settings (`--sysctl-files`): by default the
 * sysctl.d directories and /etc/sysctl.conf in procps `sysctl --system` order
 * (config/sysctl-d-order.ts), or the directories and files given, or none. Missing default paths
 * are normal and silent; a path given on the command line that cannot be read is a warning.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { parseSysctlConf, type SysctlAssignment, type SysctlFinding } from '../config/sysctl-conf.js';
import {
  orderSysctlFiles,
  SYSCTL_CONF,
  SYSCTL_D_DIRS,
  type SysctlDirListing,
} from '../config/sysctl-d-order.js';

/** The file system as the reader needs it; tests pass an in-memory one. */
export interface SysctlFs {
  /** 'dir', 'file', or undefined when the path does not exist. */
  kind(path: string): 'dir' | 'file' | undefined;
  readdir(dir: string): string[];
  readFile(path: string): string;
}

/** The real file system. */
export const NODE_SYSCTL_FS: SysctlFs = {
  kind(path) {
    try {
      return statSync(path).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  readdir: (dir) => readdirSync(dir),
  readFile: (path) => readFileSync(path, 'utf8'),
};

/** What was read. */
export interface SysctlFilesRead {
  /** Files read, in order. */
  readonly files: string[];
  readonly assignments: SysctlAssignment[];
  readonly findings: SysctlFinding[];
}

/** Reads `paths` (directories and files; default: the system's), never throwing. */
export function readSysctlFiles(paths?: readonly string[], fs: SysctlFs = NODE_SYSCTL_FS): SysctlFilesRead {
  const explicit = paths !== undefined;
  const wanted = paths ?? [...SYSCTL_D_DIRS, SYSCTL_CONF];
  const findings: SysctlFinding[] = [];
  const cannot = (path: string, e: unknown) =>
    findings.push({
      origin: { file: path, line: 0 },
      code: 'ERR_LVS_SYSCTL_READ',
      message: `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      level: 'warn',
    });
  const dirs: SysctlDirListing[] = [];
  const plain: string[] = [];
  for (const p of wanted) {
    const kind = fs.kind(p);
    if (kind === undefined) {
      if (explicit) cannot(p, { code: 'ENOENT' });
    } else if (kind === 'dir') {
      try {
        dirs.push({ dir: p, names: fs.readdir(p) });
      } catch (e) {
        cannot(p, e);
      }
    } else plain.push(p);
  }
  const files: string[] = [];
  const assignments: SysctlAssignment[] = [];
  for (const f of orderSysctlFiles(dirs, plain)) {
    let text: string;
    try {
      text = fs.readFile(f);
    } catch (e) {
      cannot(f, e);
      continue;
    }
    files.push(f);
    const r = parseSysctlConf(text, f);
    assignments.push(...r.assignments);
    findings.push(...r.findings);
  }
  return { files, assignments, findings };
}
