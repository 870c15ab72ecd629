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
 * `--help-extensions` in the first place.
 */
import { EXIT_OPERATION, EXIT_USAGE, type Failure, tryHelp } from './messages.js';
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

/** Parses lvsadm's arguments (argv without the program name). Never throws. */
export function parse(argv: readonly string[], opts: ParseOptions = {}): ParsedCommand {
  const prog = opts.prog ?? 'lvsadm';
  const s = takeSocket(argv);
  if ('text' in s) return { kind: 'error', ...s };
  const sock = s.socket === undefined ? {} : { socket: s.socket };
  // Ours, and in the first place like -h: ipvsadm's popt table would refuse it as unknown.
  if (s.rest[0] === '--help-extensions') return { kind: 'help', text: EXTENSIONS_TEXT, ...sock };
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
