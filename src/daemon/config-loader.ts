/**
 * The file-system side of the pure config readers (src/config): reads files, expands include
 * globs, answers "does this interface exist" (up or down, with or without carrier) and resolves
 * ldirectord host names. The parsers stay pure and synchronous; name resolution is done ahead of
 * time (a first parse records the names asked for, dns.lookup resolves them, a second parse uses
 * the answers), so a reload never blocks the event loop on DNS.
 */

import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { type ConfigCheck, type ConfigFormat, checkConfig } from '../config/check-config.js';
import { type ConfigIo, expandBraces, matchGlob } from '../config/keepalived/index.js';
import type { ScriptFs } from '../config/script-security.js';
import { type ScriptUsers, secureScripts } from '../config/secure-scripts.js';
import type { ReloadFinding } from '../control/channels.js';
import { systemScriptFs, systemScriptUsers } from '../io/host/script-fs.js';
import { linkExists } from '../io/netlink/link-addresses.js';

/** How a configuration file is read. */
export interface LoadOptions {
  /** Dialect; detected from the file name and contents when absent. */
  readonly format?: ConfigFormat;
  /**
   * keepalived `--config-id` for `@ID` lines; default: the first label of the host name
   * (keepalived(8) `--config-id`).
   */
  readonly configId?: string;
  /** Upper bound on one host-name lookup (ms). */
  readonly resolveTimeoutMs?: number;
  /** Where script files and users are looked up (default: this host). */
  readonly scriptHost?: { readonly fs: ScriptFs; readonly users: ScriptUsers };
}

/** Largest number of directory entries one include glob may visit (a typo must not walk `/`). */
const GLOB_VISIT_LIMIT = 100_000;

/** Largest configuration file read (a real one is kilobytes; `include /dev/zero` is endless). */
const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a file as UTF-8, or undefined when it is missing, not a regular file (a FIFO would block
 * the daemon in open(2), a device never ends: keepalived skips them, "is not a regular
 * non-executable file - skipping"), larger than MAX_CONFIG_FILE_BYTES, or unreadable.
 */
function readText(path: string): string | undefined {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO swapped in after a stat would block open(2); the fd is checked instead.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_CONFIG_FILE_BYTES) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Every path under `base` down to `depth` more components (files and directories). */
function walk(base: string, depth: number, out: string[]): void {
  if (depth <= 0 || out.length >= GLOB_VISIT_LIMIT) return;
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(base, n);
    out.push(p);
    if (depth > 1) {
      try {
        if (statSync(p).isDirectory()) walk(p, depth - 1, out);
      } catch {
        // vanished or unreadable: skipped, as glob(3) does
      }
    }
  }
}

/**
 * Absolute paths matching an absolute glob with braces (keepalived.conf(5) `include`): the
 * literal directory prefix is listed to the pattern's depth and matched with the parser's own
 * glob rules, so in-memory tests and the daemon agree on what a pattern means.
 */
export function globFiles(pattern: string): string[] {
  const found = new Set<string>();
  for (const p of expandBraces(pattern)) {
    const parts = p.split(sep);
    const firstWild = parts.findIndex((s) => /[*?[]/.test(s));
    if (firstWild < 0) {
      if (readText(p) !== undefined) found.add(p);
      continue;
    }
    const base = parts.slice(0, firstWild).join(sep) || sep;
    const listed: string[] = [];
    walk(base, parts.length - firstWild, listed);
    for (const m of matchGlob(p, listed)) {
      try {
        if (statSync(m).isFile()) found.add(m);
      } catch {
        // gone between listing and stat
      }
    }
  }
  return [...found].sort();
}

/** The ConfigIo of the real file system. */
export function fsConfigIo(): ConfigIo {
  return { readFile: readText, glob: globFiles };
}

// One NSS database lookup through getent(1), as getpwnam/getgrnam see it (files, LDAP, ...);
// when getent cannot run, the name counts as known rather than failing a good configuration.
function getentKnows(db: 'passwd' | 'group', name: string): boolean {
  const r = spawnSync('getent', [db, name], { stdio: 'ignore', timeout: 5000 });
  return r.status !== 2;
}

/** True when the host knows user `name` (keepalived's script_user / vrrp_script user checks). */
export function userExists(name: string): boolean {
  return getentKnows('passwd', name);
}

/** True when the host knows group `name`. */
export function groupExists(name: string): boolean {
  return getentKnows('group', name);
}

/**
 * True when the host has a network interface called `name`, whatever its state (keepalived's
 * interface checks look the name up in the kernel's link list, if_nametoindex(3)).
 */
export function interfaceExists(name: string): boolean {
  return linkExists(name);
}

/**
 * keepalived's default config-id: the node name up to its first dot (keepalived.conf(5)
 * "Conditional configuration").
 */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

async function resolveOne(name: string, af: 4 | 6, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), timeoutMs);
  });
  try {
    const found = lookup(name, { family: af }).then(
      (a) => a.address,
      () => undefined,
    );
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads, parses and validates a keepalived.conf or ldirectord.cf. Never throws for bad input:
 * an unreadable file is a fatal diagnostic in the result, like every other finding.
 */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<ConfigCheck> {
  return withScriptSecurity(await parseWithNames(file, opts), opts);
}

/**
 * keepalived's script users and script security (config/secure-scripts.ts) applied to a parsed
 * keepalived.conf: scripts get their uid:gid, unsafe or missing ones are dropped, with notices.
 */
function withScriptSecurity(check: ConfigCheck, opts: LoadOptions): ConfigCheck {
  if (check.format !== 'keepalived') return check;
  const host = opts.scriptHost ?? { fs: systemScriptFs(), users: systemScriptUsers() };
  const s = secureScripts(check.model, host.fs, host.users);
  if (s.model === check.model && s.findings.length === 0) return check;
  return { ...check, model: s.model, diagnostics: [...check.diagnostics, ...s.findings] };
}

async function parseWithNames(file: string, opts: LoadOptions): Promise<ConfigCheck> {
  const path = isAbsolute(file) ? file : resolve(file);
  const io = fsConfigIo();
  const base = {
    ...(opts.format !== undefined ? { format: opts.format } : {}),
    configId: opts.configId ?? defaultConfigId(),
    env: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    interfaceExists,
    userExists,
    groupExists,
  };
  const asked = new Map<string, { name: string; af: 4 | 6 }>();
  const first = checkConfig(path, io, {
    ...base,
    resolveHost: (name, af) => {
      asked.set(`${af} ${name}`, { name, af });
      return undefined;
    },
  });
  if (asked.size === 0) return first;
  const answers = new Map<string, string>();
  await Promise.all(
    [...asked].map(async ([k, q]) => {
      const a = await resolveOne(q.name, q.af, opts.resolveTimeoutMs ?? 5000);
      if (a !== undefined) answers.set(k, a);
    }),
  );
  return checkConfig(path, io, { ...base, resolveHost: (name, af) => answers.get(`${af} ${name}`) });
}

/** One diagnostic as `lvsd --check-config` prints it: `FILE:LINE: severity: text (CODE)`. */
export function diagnosticLine(d: ReloadFinding): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.text} (${d.code})`;
}
