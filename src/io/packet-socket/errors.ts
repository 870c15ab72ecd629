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

/** Stable codes of {@link XdpError}. */
export type XdpErrorCode =
  /** The addon (or its AF_XDP part) is missing. */
  | 'ERR_XDP_UNAVAILABLE'
  /** bpf(2) or AF_XDP refused for lack of privilege (EPERM/EACCES: no CAP_BPF/CAP_NET_ADMIN). */
  | 'ERR_XDP_NOT_PERMITTED'
  /** The verifier rejected the filter program; the message carries its log. */
  | 'ERR_XDP_PROG_REJECTED'
  /** A BPF map could not be created or updated. */
  | 'ERR_XDP_MAP'
  /** The program could not be attached to an interface. */
  | 'ERR_XDP_ATTACH'
  /** The AF_XDP socket could not be set up (UMEM, rings, bind). */
  | 'ERR_XDP_SOCKET';

/** Why the AF_XDP path could not start; `errnum` is the negative errno when a syscall failed. */
export class XdpError extends LvsError {
  readonly errnum: number;
  constructor(code: XdpErrorCode, message: string, errnum = 0) {
    super(code, message);
    this.name = 'XdpError';
    this.errnum = errnum;
  }
}

/** An XdpError for a failed syscall: EPERM/EACCES become ERR_XDP_NOT_PERMITTED, else `code`. */
export function xdpSyscallError(code: XdpErrorCode, what: string, errnum: number): XdpError {
  const denied = errnum === -1 || errnum === -13;
  return new XdpError(
    denied ? 'ERR_XDP_NOT_PERMITTED' : code,
    `${what}: ${errnoName(errnum)}${denied ? ' (needs root or CAP_BPF + CAP_NET_ADMIN)' : ''}`,
    errnum,
  );
}
