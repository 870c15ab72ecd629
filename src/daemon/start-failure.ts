/**
 * The one line lvsd prints when it cannot start: what failed, in words, and for a privilege
 * failure what would fix it. The stack goes to the log only at `--log-level debug` (or trace);
 * an operator who ran lvsd as the wrong user needs the hint, not Node's frames.
 */
import { LvsError } from '../core/errors.js';
import { PacketSystemError } from '../io/packet-socket/errors.js';

/** What a Node system error carries (code, syscall, path or address). */
interface SystemErrorLike {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly path?: unknown;
  readonly message?: unknown;
}

const DENIED = new Set(['EACCES', 'EPERM']);

/** The line (without `lvsd: ` and newline) for a start failure `e`; `socket` is the control socket. */
export function startFailureText(e: unknown, socket: string): string {
  if (e instanceof PacketSystemError && DENIED.has(e.code)) {
    // AF_PACKET sockets need CAP_NET_RAW (packet(7)); promiscuous mode, XDP and the
    // director's addresses and neighbours need CAP_NET_ADMIN (netdevice(7), rtnetlink(7)).
    return `cannot open the packet socket on ${e.ifname ?? 'the interface'} (${e.syscall}: ${e.code}): the packet data plane needs root, or CAP_NET_RAW and CAP_NET_ADMIN`;
  }
  if (e instanceof LvsError) return e.message;
  const se = (typeof e === 'object' && e !== null ? e : {}) as SystemErrorLike;
  const code = typeof se.code === 'string' ? se.code : undefined;
  const where =
    typeof se.address === 'string' ? se.address : typeof se.path === 'string' ? se.path : undefined;
  // listen(2) on the socket, or mkdir of its directory (control-server.ts claimSocketPath).
  const aboutSocket = where !== undefined && (where === socket || socket.startsWith(`${where}/`));
  if (aboutSocket && code !== undefined && DENIED.has(code)) {
    return `cannot create the control socket ${socket}: permission denied (run lvsd as root, or choose a path this user may write with --socket or LVSD_SOCKET)`;
  }
  if (aboutSocket && code !== undefined) return `cannot create the control socket ${socket}: ${code}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** True when the log level shows a start failure's stack (debug and trace). */
export function showsStack(level: string): boolean {
  return level === 'debug' || level === 'trace';
}
