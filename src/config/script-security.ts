/**
 * keepalived 2.2.7's script security check for one script (lib/notify.c check_script_secure(),
 * check_security(), find_path(), is_executable()): resolve the command by PATH search when it has
 * no slash, resolve symbolic links, check the file is executable by the uid:gid it will run as,
 * and, when it runs as root (uid or gid 0, or the file is setuid/setgid root), check that neither
 * the file nor any directory on its path can be changed by anyone but root. An unsafe script is
 * refused only with `enable_script_security`; without it keepalived runs it and says so. The file
 * system comes in through {@link ScriptFs}, so this stays pure and testable with a fake.
 */

/** What lstat(2)/stat(2) say about one path. */
export interface ScriptStat {
  readonly kind: 'file' | 'dir' | 'link' | 'other';
  readonly uid: number;
  readonly gid: number;
  /** st_mode's permission bits, with setuid 0o4000, setgid 0o2000, sticky 0o1000. */
  readonly mode: number;
  /** st_dev and st_ino: the same file under two names. */
  readonly dev: number;
  readonly ino: number;
}

/** The file-system questions the check asks; the real one is io/script-fs.ts. */
export interface ScriptFs {
  /** lstat(2): the path itself, symbolic links not followed; undefined when it cannot be read. */
  lstat(path: string): ScriptStat | undefined;
  /** stat(2): links followed; undefined when it cannot be read. */
  stat(path: string): ScriptStat | undefined;
  /** realpath(3), or the errno text (`ENOENT`...) when it fails. */
  realpath(path: string): { readonly path: string } | { readonly error: string };
  /** $PATH as keepalived sees it (getenv("PATH"), else confstr(_CS_PATH)). */
  readonly searchPath: string;
}

/** The outcome flags of keepalived's notify.h SC_* bits. */
export interface ScriptCheck {
  /** argv[0] after PATH search and symbolic-link resolution (what is executed). */
  readonly path: string;
  /** SC_ISSCRIPT: the file was found and examined. */
  readonly isScript: boolean;
  /** SC_EXECUTABLE: executable by the uid:gid it runs as. */
  readonly executable: boolean;
  /** SC_INSECURE: something on its path is writable by non-root. */
  readonly insecure: boolean;
  /** SC_INHIBIT: must not run (insecure with script security on, or a wrong file type). */
  readonly inhibit: boolean;
  /** SC_NOTFOUND: missing or not accessible. */
  readonly notFound: boolean;
  /** SC_SYSTEM: `</path` (a redirection-only test), never executed as a file. */
  readonly system: boolean;
  /** keepalived's log lines for this script, in its words. */
  readonly messages: readonly string[];
}

const S_IXUSR = 0o100;
const S_IXGRP = 0o010;
const S_IXOTH = 0o001;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** keepalived is_executable(): root needs any x bit; others the owner, group or other bit that applies. */
export function isExecutable(st: ScriptStat, uid: number, gid: number): boolean {
  const m = st.mode;
  if (uid === 0) return (m & (S_IXUSR | S_IXGRP | S_IXOTH)) !== 0;
  if (uid === st.uid) return (m & S_IXUSR) !== 0;
  if (gid === st.gid) return (m & S_IXGRP) !== 0;
  return (m & S_IXOTH) !== 0;
}

/**
 * True when a non-root user could change `st` (check_security()'s test): not owned by root, or a
 * file or non-sticky directory writable by a non-root group or by everyone.
 */
export function unsafeOwner(st: ScriptStat): boolean {
  if (st.uid !== 0) return true;
  const guarded = (st.kind === 'dir' && (st.mode & S_ISVTX) === 0) || st.kind === 'file';
  return guarded && ((st.gid !== 0 && (st.mode & S_IWGRP) !== 0) || (st.mode & S_IWOTH) !== 0);
}

interface Walk {
  insecure: boolean;
  inhibit: boolean;
  notFound: boolean;
}

// check_security(): "/", then each prefix up to the file itself, lstat'ed (links not followed).
function checkPath(fs: ScriptFs, filename: string, enforce: boolean, say: (m: string) => void): Walk {
  const parts = filename.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const last = i === parts.length;
    const prefix = last ? filename : parts.slice(0, i).join('/') || '/';
    if (!last && i > 1 && parts[i - 1] === '') continue;
    const st = fs.lstat(prefix);
    if (!st) {
      say(`check_script_secure could not find script '${filename}' - disabling`);
      return { insecure: false, inhibit: false, notFound: true };
    }
    const typeOk = last ? st.kind === 'file' || st.kind === 'link' : st.kind === 'dir';
    if (!typeOk) {
      say(`Wrong file type found in script path '${filename}'.`);
      return { insecure: false, inhibit: true, notFound: false };
    }
    if (unsafeOwner(st)) {
      say(`Unsafe permissions found for script '${filename}'${enforce ? ' - disabling' : ''}.`);
      return { insecure: true, inhibit: enforce, notFound: false };
    }
  }
  return { insecure: false, inhibit: false, notFound: false };
}

function dirOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/') + 1);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

// find_path(): the first regular file on $PATH executable by uid:gid.
function findPath(fs: ScriptFs, file: string, uid: number, gid: number): string | 'EACCES' | 'ENOENT' {
  let denied = false;
  for (const dir of fs.searchPath.split(':')) {
    const candidate = `${dir}${dir === '' ? '' : '/'}${file}`;
    const st = fs.stat(candidate);
    if (!st) continue;
    if (st.kind === 'file' && isExecutable(st, uid, gid)) return candidate;
    denied = true;
  }
  return denied ? 'EACCES' : 'ENOENT';
}

/**
 * Checks one script as keepalived does before its first run. `argv0` is the command as written,
 * `uid`/`gid` who it runs as, `enforce` is `enable_script_security`.
 */
export function checkScriptSecurity(
  fs: ScriptFs,
  argv0: string,
  uid: number,
  gid: number,
  enforce: boolean,
): ScriptCheck {
  const messages: string[] = [];
  const say = (m: string) => messages.push(m);
  const none = { isScript: false, executable: false, insecure: false, inhibit: false, system: false };
  // "</dev/tcp/..." only tests that a file can be opened: nothing is executed.
  if (/^<[ \t]*\//.test(argv0)) return { ...none, path: argv0, notFound: false, system: true, messages };
  let path = argv0;
  if (!path.includes('/')) {
    const found = findPath(fs, path, uid, gid);
    if (found === 'EACCES' || found === 'ENOENT') {
      say(
        found === 'EACCES'
          ? `Permissions failure for script ${argv0} in path - disabling`
          : `Cannot find script ${argv0} in path - disabling`,
      );
      return { ...none, path, notFound: true, messages };
    }
    say(`WARNING - script \`${argv0}\` resolved by path search to \`${found}\`. Please specify full path.`);
    path = found;
  }
  const real = fs.realpath(path);
  if ('error' in real) {
    say(`Script ${path} cannot be accessed - ${real.error}`);
    return { ...none, path, notFound: true, messages };
  }
  // A link to a file of another name is run under its own name when that names the same file
  // (some programs change behaviour with argv[0]); the real file is checked as well.
  let realFile: string | undefined;
  let next = real.path;
  if (next !== path && baseOf(next) !== baseOf(path)) {
    const renamed = dirOf(next) + baseOf(path);
    const a = fs.stat(next);
    const b = fs.stat(renamed);
    if (!a || (b && a.dev === b.dev && a.ino === b.ino)) {
      realFile = next;
      next = renamed;
    }
  }
  path = next;
  const st = fs.stat(realFile ?? path);
  if (!st) {
    say(`Unable to access script \`${path}\` - disabling`);
    return { ...none, path, notFound: true, messages };
  }
  const executable = isExecutable(st, uid, gid);
  let protect = false;
  if (executable) {
    const suidRoot = st.uid === 0 && (st.mode & S_IXUSR) !== 0 && (st.mode & S_ISUID) !== 0;
    const sgidRoot = st.gid === 0 && (st.mode & S_IXGRP) !== 0 && (st.mode & S_ISGID) !== 0;
    protect = uid === 0 || gid === 0 || suidRoot || sgidRoot;
  } else say(`WARNING - script '${path}' is not executable for uid:gid ${uid}:${gid} - disabling.`);
  const out = { ...none, path, isScript: true, executable, notFound: false, messages };
  if (!protect) return out;
  // Only a script that runs with root's powers is checked for who can change it.
  for (const f of realFile ? [path, realFile] : [path]) {
    const w = checkPath(fs, f, enforce, say);
    out.insecure ||= w.insecure;
    out.inhibit ||= w.inhibit;
    out.notFound ||= w.notFound;
  }
  return out;
}
