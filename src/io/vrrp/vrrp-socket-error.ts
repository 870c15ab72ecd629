/**
 * Errors of the VRRP socket, split like Node's dgram (and src/io/icmp/errors.ts): programmer
 * errors and an unusable addon get ERR_* codes; failed syscalls become a {@link VrrpSystemError}
 * whose `code` is the errno name and whose `syscall` names the step that failed.
 */
import { LvsError } from '../../core/errors.js';
import { errnoName } from '../packet-socket/errors.js';

/** Stable codes of {@link VrrpSocketError}. */
export type VrrpSocketErrorCode =
  | 'ERR_VRRP_ADDON_UNAVAILABLE'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE';

/** A programmer error or no addon to open a VRRP socket with: thrown synchronously with a stable code. */
export class VrrpSocketError extends LvsError {
  constructor(code: VrrpSocketErrorCode, message: string) {
    super(code, message);
    this.name = 'VrrpSocketError';
  }
}

/** A failed syscall: `code` is the errno name ('EPERM'), `errnum` the negative errno. */
export class VrrpSystemError extends LvsError {
  /** Negative errno as the addon returned it (Node's SystemError.errno convention). */
  readonly errnum: number;
  /** The step that failed: 'socket', 'SO_BINDTODEVICE', 'IP_ADD_MEMBERSHIP', 'sendmsg', ... */
  readonly syscall: string;

  constructor(errnum: number, syscall: string, detail?: string) {
    const name = errnoName(errnum);
    super(name, `${syscall} ${name}${detail ? ` (${detail})` : ''}`);
    this.name = 'VrrpSystemError';
    this.errnum = errnum;
    this.syscall = syscall;
  }
}
