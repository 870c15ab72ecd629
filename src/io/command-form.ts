/**
 * How a user runs one of this package's programs (`lvsd`, `lvsadm`) from a shell, for the hints
 * lvsd and lvsadm print (the demo banner, "start it with: …"). A bare name is printed only when
 * the shell's PATH lookup (execvp order, POSIX "Command Search and Execution") finds this very
 * package's script, as after `npm link`; otherwise `node PATH-TO-SCRIPT`, which works from a
 * fresh clone without anything installed (`npx lvsadm` works too, but pays npm's ~1.5 s start).
 */
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's programs, as package.json "bin" names them. */
export type ProgramName = 'lvsd' | 'lvsadm';

/** What commandForm looks at, injectable so tests run on a made-up PATH and file system. */
export interface CommandFormEnv {
  /** `$PATH`. */
  readonly path: string;
  /** The shell's working directory (for a short relative script path). */
  readonly cwd: string;
  /** The package's bin/ directory, absolute. */
  readonly binDir: string;
  /** The file a path finally names (symlinks followed), or undefined when there is none. */
  realpath(p: string): string | undefined;
}

/**
 * The bin/ of the package holding `file`: the nearest directory above it with a package.json
 * and a bin/ (this file runs from src/io, dist/io, or inside lvsadm's bundle in dist/programs).
 */
function packageBinDir(file: string): string {
  for (let d = dirname(file); ; ) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin'))) return join(d, 'bin');
    const up = dirname(d);
    if (up === d) return join(dirname(file), '..', '..', 'bin');
    d = up;
  }
}

/** The real environment: this process's PATH and cwd, and the package's bin/. */
export function processCommandFormEnv(): CommandFormEnv {
  return {
    path: process.env.PATH ?? '',
    cwd: process.cwd(),
    binDir: packageBinDir(fileURLToPath(import.meta.url)),
    realpath: (p) => {
      try {
        return realpathSync(p);
      } catch {
        return undefined;
      }
    },
  };
}

const shellWord = (s: string): string => (/^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/**
 * The shortest command that runs program `name` of this package from `env`'s shell. With
 * `anywhere`, a script path is absolute, for a hint meant for another terminal (whose working
 * directory is unknown); otherwise it is relative to the working directory when inside it.
 */
export function commandForm(
  name: ProgramName,
  env: CommandFormEnv = processCommandFormEnv(),
  anywhere = false,
): string {
  const script = join(env.binDir, name);
  const ours = env.realpath(script) ?? script;
  for (const dir of env.path.split(delimiter)) {
    // An empty PATH entry means the current directory (POSIX); relative entries resolve from it.
    const found = env.realpath(join(isAbsolute(dir) ? dir : join(env.cwd, dir), name));
    if (found === undefined) continue;
    // The first hit is what the shell runs: ours, or another program of that name.
    if (found === ours) return name;
    break;
  }
  const rel = relative(env.cwd, script);
  return `node ${shellWord(anywhere || rel.startsWith('..') || isAbsolute(rel) ? script : rel)}`;
}
