/**
 * lvsadm's argv parser: ipvsadm 1.31's parse_options + process_options as a pure function.
 * Given the same argv it accepts and refuses exactly what ipvsadm does, with the same message and
 * exit code; accepted input becomes a Command for lvsd or a listing request.
 * Checked case by case against the real binary (test/fixtures/ipvsadm/oracle/parse-cases.json).
 *
 * Host and service names: parse stays pure by taking a {@link Resolver} with synchronous
 * lookups. The runner builds one with programs/lvsadm/system-resolver.ts after asking
 * {@link namesIn} which words need resolving; without one, names are unknown and refused as
 * ipvsadm refuses unknown names.
 *
 * Beyond ipvsadm (documented in usage.ts EXTENSIONS_TEXT): `--socket PATH` anywhere; DPVS's
 * FULLNAT spellings (`-b`/`--fullnat` on -a/-e, `-P/-Q/-G` with `-z ADDR [-F IFNAME]`);
 * `--proxy-protocol v1|v2` on -a/-e; the list views `--status`, `--health`, `--availability`, `--vrrp`;
 * `--help-extensions` and `--sysctl [NAME[=VALUE]]` in the first place.
 */
import { parseSysctlValue, sysctlName } from '../control/sysctl-values.js';
import { LvsError } from '../core/errors.js';
import { EXIT_OPERATION, EXIT_USAGE, type Failure, tryHelp } from './messages.js';
import { BGP_WORDS, parseBgpRequest } from './parse-bgp.js';
import { namesIn, runParse } from './parse-run.js';
import type { ListFormat, ListRequest, ListView, ParsedCommand } from './parsed-command.js';
import { NUMERIC_RESOLVER, type Resolver } from './resolve.js';
import { EXTENSIONS_TEXT, TERMINAL_NOTE, usageText, VERSION_LINE } from './usage.js';

export type { ListFormat, ListRequest, ListView, ParsedCommand };
export { namesIn };

/** Parse settings. */
export interface ParseOptions {
  /** Name substituted into usage and "Try `%s -h'" lines, as ipvsadm uses argv[0]. */
  readonly prog?: string;
  /** Resolver for host and service names; default knows none. */
  readonly resolver?: Resolver;
  /** True inside `-R`: a nested -R is refused with the try-help line (ipvsadm restore_table). */
  readonly restoring?: boolean;
}

/** Removes `--socket PATH` / `--socket=PATH` wherever they are; a missing PATH is a usage error. */
function takeSocket(argv: readonly string[]): { rest: string[]; socket?: string } | Failure {
  const rest: string[] = [];
  let socket: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--socket') {
      const v = argv[i + 1];
      if (v === undefined) return { text: '--socket: missing argument', exitCode: EXIT_OPERATION };
      socket = v;
      i++;
    } else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else rest.push(a);
  }
  return socket === undefined ? { rest } : { rest, socket };
}

/** `--sysctl [NAME[=VALUE]]`: names and values checked here, so a typo never reaches lvsd. */
function parseSysctlRequest(args: readonly string[]): ParsedCommand {
  if (args.length > 1) {
    return {
      kind: 'error',
      text: 'lvsadm: --sysctl takes at most one NAME or NAME=VALUE',
      exitCode: EXIT_USAGE,
    };
  }
  const a = args[0];
  if (a === undefined) return { kind: 'sysctl' };
  try {
    const eq = a.indexOf('=');
    if (eq < 0) return { kind: 'sysctl', get: sysctlName(a) };
    return { kind: 'sysctl', set: parseSysctlValue(sysctlName(a.slice(0, eq)), a.slice(eq + 1)) };
  } catch (e) {
    const err = e instanceof LvsError ? e : new LvsError('ERR_LVS_SYSCTL_VALUE', String(e));
    return { kind: 'error', text: `lvsadm: --sysctl: ${err.message} (${err.code})`, exitCode: EXIT_USAGE };
  }
}

/** Parses lvsadm's arguments (argv without the program name). Never throws. */
export function parse(argv: readonly string[], opts: ParseOptions = {}): ParsedCommand {
  const prog = opts.prog ?? 'lvsadm';
  const s = takeSocket(argv);
  if ('text' in s) return { kind: 'error', ...s };
  const sock = s.socket === undefined ? {} : { socket: s.socket };
  // Ours, and in the first place like -h: ipvsadm's popt table would refuse it as unknown.
  if (s.rest[0] === '--help-extensions') return { kind: 'help', text: EXTENSIONS_TEXT, ...sock };
  const first = s.rest[0] ?? '';
  if ((BGP_WORDS as readonly string[]).includes(first))
    return { ...parseBgpRequest(first, s.rest.slice(1)), ...sock };
  if (first === '--sysctl' || first.startsWith('--sysctl=')) {
    const args =
      first === '--sysctl' ? s.rest.slice(1) : [first.slice('--sysctl='.length), ...s.rest.slice(1)];
    return { ...parseSysctlRequest(args), ...sock };
  }
  const r = runParse(s.rest, opts.resolver ?? NUMERIC_RESOLVER, opts.restoring ?? false);
  switch (r.kind) {
    case 'tryhelp':
      return { kind: 'error', text: tryHelp(prog), exitCode: EXIT_OPERATION, ...sock };
    case 'help':
      return { kind: 'help', text: usageText(prog), terminalNote: TERMINAL_NOTE, ...sock };
    case 'version':
      return { kind: 'version', text: `${VERSION_LINE}\n`, terminalNote: TERMINAL_NOTE, ...sock };
    case 'fail':
      return { kind: 'error', text: r.text, exitCode: r.exitCode ?? EXIT_USAGE, ...sock };
    default:
      return { ...r.result, ...sock };
  }
}
