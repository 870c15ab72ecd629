/**
 * Which commands the proxy data plane cannot honour. A socket proxy can only rewrite addresses
 * and ports (masq, FULLNAT); direct routing and tunnelling need frames, so `-g`/`-i` destinations
 * are refused when they are added or edited, naming the data plane that can serve them, except
 * for a real server at one of the host's own addresses: the kernel hands a packet for a local
 * real server to its own stack whatever the method (ip_vs_xmit.c ip_vs_dr_xmit() and
 * ip_vs_tunnel_xmit() send it on with `local` set), which a local connect does too. A real server
 * at the service's own address and port is refused whatever the method: this plane listens
 * there itself, so it would connect to itself. Pure, so the daemon calls it before `apply` when
 * it runs `--dataplane proxy`.
 */
import type { Command } from '../../control/commands.js';
import { canonicalIp } from '../../core/addr.js';
import { FWD } from '../../core/types.js';

/** The refusal of a real server at its service's own address and port. */
export const OWN_LISTENER =
  "the real server is the service's own address and port, where the proxy data plane listens itself (it would connect to itself)";

/**
 * The message for a command the proxy data plane refuses, or undefined when it is fine;
 * `isLocal` says whether an address is the host's (io/host/local-addresses.ts).
 */
export function proxyRefusal(
  cmd: Command,
  isLocal: (addr: string) => boolean = () => false,
): string | undefined {
  if (cmd.op !== 'add-dest' && cmd.op !== 'edit-dest') return undefined;
  const k = cmd.service;
  if (
    k.kind === 'addr' &&
    cmd.dest.port === k.port &&
    (canonicalIp(cmd.dest.addr) ?? cmd.dest.addr) === (canonicalIp(k.addr) ?? k.addr)
  )
    return OWN_LISTENER;
  const fwd = cmd.dest.fwd;
  if ((fwd === FWD.DROUTE || fwd === FWD.TUNNEL) && isLocal(cmd.dest.addr)) return undefined;
  if (fwd === FWD.DROUTE) {
    return 'direct routing (-g) needs the packet data plane (lvsd --dataplane packet); the proxy data plane serves -m (masq) and -b (fullnat)';
  }
  if (fwd === FWD.TUNNEL) {
    return 'tunnelling (-i) needs the packet data plane (lvsd --dataplane packet); the proxy data plane serves -m (masq) and -b (fullnat)';
  }
  return undefined;
}
