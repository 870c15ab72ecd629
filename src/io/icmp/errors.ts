/**
 * Errors of the ICMP echo wrapper, split like Node's dgram (and src/io/packet-socket/errors.ts):
 * programmer errors and an unusable addon get ERR_* codes; failed syscalls become an
 * {@link IcmpSystemError} whose `code` is the errno name.
 */
import { LvsError } from '../../core/errors.js';
import { errnoName } from '../packet-socket/errors.js';

/** Stable codes of {@link IcmpSocketError}. */
export type IcmpSocketErrorCode =
  | 'ERR_ICMP_ADDON_UNAVAILABLE'
  | 'ERR_ICMP_SOCKET_UNAVAILABLE'
  | 'ERR_ICMP_SOCKET_ALREADY_OPEN'
  | 'ERR_ICMP_SOCKET_NOT_OPEN'
  | 'ERR_ICMP_SOCKET_CLOSED'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE';

/** A programmer error, or no way to open an ICMP socket: thrown synchronously with a stable code. */
export class IcmpSocketError extends LvsError {
  constructor(code: IcmpSocketErrorCode, message: string) {
    super(code, message);
    this.name = 'IcmpSocketError';
  }
}

/** A failed syscall: `code` is the errno name ('EACCES'), `errnum` the negative errno. */
export class IcmpSystemError extends LvsError {
  /** Negative errno as the addon returned it (Node's SystemError.errno convention). */
  readonly errnum: number;
  /** The operation that failed: 'socket', 'sendto', 'poll'. */
  readonly syscall: string;

  constructor(errnum: number, syscall: string, detail?: string) {
    const name = errnoName(errnum);
    super(name, `${syscall} ${name}${detail ? ` (${detail})` : ''}`);
    this.name = 'IcmpSystemError';
    this.errnum = errnum;
    this.syscall = syscall;
  }
}
