/**
 * lvsadm's BGP extensions (issue 18), taken in the first place like `--sysctl` since ipvsadm's
 * popt table would refuse them: `--bgp` shows what lvsd announces through BIRD, `--bgp-drain
 * [VIP]` withdraws a VIP (every one without VIP) while lvsd keeps serving, `--bgp-undrain [VIP]`
 * announces it again.
 */
import { canonicalIp } from '../core/addr.js';
import { EXIT_USAGE } from './messages.js';
import type { ParsedCommand } from './parsed-command.js';

/** The first-place words this file parses. */
export const BGP_WORDS = ['--bgp', '--bgp-drain', '--bgp-undrain'] as const;

/** Parses `word` (one of BGP_WORDS) and the arguments after it. Never throws. */
export function parseBgpRequest(word: string, args: readonly string[]): ParsedCommand {
  const usage = (text: string): ParsedCommand => ({
    kind: 'error',
    text: `lvsadm: ${text}`,
    exitCode: EXIT_USAGE,
  });
  if (word === '--bgp') return args.length === 0 ? { kind: 'bgp' } : usage('--bgp takes no argument');
  if (args.length > 1) return usage(`${word} takes at most one VIP`);
  const op = word === '--bgp-drain' ? 'bgp-drain' : 'bgp-undrain';
  const a = args[0];
  if (a === undefined) return { kind: 'command', command: { op } };
  const vip = canonicalIp(a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a);
  if (vip === undefined) return usage(`${word}: '${a}' is not an IP address`);
  return { kind: 'command', command: { op, vip } };
}
