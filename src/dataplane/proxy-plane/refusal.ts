/**
 * Which commands the proxy data plane cannot honour. A socket proxy can only rewrite addresses
 * and ports (masq, FULLNAT); direct routing and tunnelling need frames, so `-g`/`-i` destinations
 * are refused when they are added or edited, naming the data plane that can serve them. Pure, so
 * the daemon calls it before `apply` when it runs `--dataplane proxy`.
 */
import type { Command } from '../../control/commands.js';
import { FWD } from '../../core/types.js';

/** The message for a command the proxy data plane refuses, or undefined when it is fine. */
export function proxyRefusal(cmd: Command): string | undefined {
  if (cmd.op !== 'add-dest' && cmd.op !== 'edit-dest') return undefined;
  const fwd = cmd.dest.fwd;
  if (fwd === FWD.DROUTE) {
    return 'direct routing (-g) needs the packet data plane (lvsd --dataplane packet); the proxy data plane serves -m (masq) and -b (fullnat)';
  }
  if (fwd === FWD.TUNNEL) {
    return 'tunnelling (-i) needs the packet data plane (lvsd --dataplane packet); the proxy data plane serves -m (masq) and -b (fullnat)';
  }
  return undefined;
}
