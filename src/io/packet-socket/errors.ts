/**
 * Errors of the AF_PACKET wrapper, split the way Node's dgram splits them: programmer errors
 * (bad arguments, wrong state) get ERR_* codes and throw synchronously; syscall failures become
 * a {@link PacketSystemError} whose `code` is the errno name, like Node's SystemError.
 */
import { getSystemErrorName } from 'node:util';
import { LvsError } from '../../core/errors.js';

/** Stable codes of {@link PacketSocketError}. */
export type PacketSocketErrorCode =
  | 'ERR_PACKET_ADDON_UNAVAILABLE'
  | 'ERR_PACKET_SOCKET_ALREADY_BOUND'
  | 'ERR_PACKET_SOCKET_NOT_BOUND'
  | 'ERR_PACKET_SOCKET_CLOSED'
  | 'ERR_PACKET_SOCKET_ALREADY_RECEIVING'
  | 'ERR_PACKET_SOCKET_NOT_RECEIVING'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE';

/** A programmer error or an unavailable addon: thrown synchronously with a stable code. */
export class PacketSocketError extends LvsError {
  constructor(code: PacketSocketErrorCode, message: string) {
    super(code, message);
    this.name = 'PacketSocketError';
  }
}

/** A failed syscall: `code` is the errno name ('EPERM'), `errnum` the negative errno. */
export class PacketSystemError extends LvsError {
  /** Negative errno as the addon returned it (Node's SystemError.errno convention). */
  readonly errnum: number;
  /** The operation that failed: 'bind', 'recv', 'sendmmsg', 'getsockopt'. */
  readonly syscall: string;
  /** The interface the socket is (or was being) bound to. */
  readonly ifname: string | undefined;

  constructor(errnum: number, syscall: string, ifname?: string) {
    const name = errnoName(errnum);
    super(name, `${syscall} ${name}${ifname ? ` ${ifname}` : ''}`);
    this.name = 'PacketSystemError';
    this.errnum = errnum;
    this.syscall = syscall;
    this.ifname = ifname;
  }
}

/** The errno name ('EPERM') of a negative errno, or 'Unknown system error -N'. */
export function errnoName(errnum: number): string {
  try {
    return getSystemErrorName(errnum);
  } catch {
    return `Unknown system error ${errnum}`;
  }
}
