/**
 * ipvsadm 1.31's exact stderr lines and exit codes. Strings were checked against the Debian
 * ipvsadm 1.31 binary (test/fixtures/ipvsadm/oracle); operators' scripts match on them.
 */
import type { Errno } from '../core/errors.js';

/** Exit code of `fail(2, …)`: usage and client-side check errors. */
export const EXIT_USAGE = 2;
/** Exit code when a table operation fails (`return -1` from main) or popt rejects an option. */
export const EXIT_OPERATION = 255;
/** Exit code when a listing fails (`exit(1)` in list_*). */
export const EXIT_LIST = 1;

/** A message for stderr (without its trailing newline) and the process exit code. */
export interface Failure {
  readonly text: string;
  readonly exitCode: number;
}

/** Command names as ipvsadm's cmdnames[] spells them, plus our laddr extensions. */
export const CMD_NAMES = {
  add: 'add-service',
  edit: 'edit-service',
  del: 'delete-service',
  flush: 'flush',
  list: 'list',
  adddest: 'add-server',
  deldest: 'delete-server',
  editdest: 'edit-server',
  timeout: 'set',
  startd: 'start-daemon',
  stopd: 'stop-daemon',
  restore: 'restore',
  save: 'save',
  zero: 'zero',
  addladdr: 'add-laddr',
  delladdr: 'del-laddr',
  getladdr: 'get-laddr',
} as const;
/** A command of the legality matrix. */
export type CmdId = keyof typeof CMD_NAMES;

/** The message ipvsadm prints for an unparseable first option (exit 255). */
export function tryHelp(prog: string): string {
  return `Try \`${prog} -h' or '${prog} --help' for more information.`;
}

/** Kernel operations whose errno→message mapping differs (libipvs ipvs_strerror's table). */
export type OperationKind =
  | 'add-service'
  | 'edit-service'
  | 'del-service'
  | 'zero'
  | 'add-dest'
  | 'edit-dest'
  | 'del-dest'
  | 'start-daemon'
  | 'stop-daemon'
  | 'get-service'
  | 'get-services'
  | 'get-dests'
  | 'flush'
  | 'set-timeouts'
  | 'get-timeouts'
  | 'get-daemons'
  | 'add-laddr'
  | 'del-laddr'
  | 'get-laddrs'
  | 'other';

const SPECIFIC: Readonly<Partial<Record<OperationKind, Partial<Record<Errno, string>>>>> = {
  'add-service': { EEXIST: 'Service already exists', ENOENT: 'Scheduler or persistence engine not found' },
  'edit-service': { ESRCH: 'No such service', ENOENT: 'Scheduler or persistence engine not found' },
  'del-service': { ESRCH: 'No such service' },
  zero: { ESRCH: 'No such service' },
  'add-dest': { ESRCH: 'Service not defined', EEXIST: 'Destination already exists' },
  'edit-dest': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
  'del-dest': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
  'start-daemon': { EEXIST: 'Daemon has already run' },
  'stop-daemon': { ESRCH: 'No daemon is running' },
  'get-service': { ESRCH: 'No such service' },
  'get-services': { ESRCH: 'No such service' },
  'get-dests': { ESRCH: 'No such service' },
  // DPVS-style local-address errors, our extension (no ipvsadm original).
  'add-laddr': { ESRCH: 'Service not defined', EEXIST: 'Local address already exists' },
  'del-laddr': { ESRCH: 'Service not defined', ENOENT: 'No such local address' },
  'get-laddrs': { ESRCH: 'No such service' },
};

/** ipvs_strerror's generic rows, then strerror(3) text for the rest (glibc wording). */
const GENERIC: Readonly<Record<Errno, string>> = {
  EPERM: 'Permission denied (you must be root)',
  EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  ENOMEM: 'Memory allocation problem',
  EOPNOTSUPP: 'Operation not supported with IPv6',
  // Not in ipvs_strerror's table: printed through strerror(3).
  EEXIST: 'File exists',
  ESRCH: 'No such process',
  ENOENT: 'No such file or directory',
  ERANGE: 'Numerical result out of range',
  EBUSY: 'Device or resource busy',
  ENODEV: 'No such device',
};

/** Listing operations exit 1 (list_* call exit(1)); table operations exit 255. */
const LISTING: ReadonlySet<OperationKind> = new Set([
  'get-service',
  'get-services',
  'get-dests',
  'get-timeouts',
  'get-daemons',
  'get-laddrs',
]);

/** Maps a kernel-style errno from a failed operation to ipvsadm's exact line and exit code. */
export function errorMessage(kind: OperationKind, errno: Errno | undefined): Failure {
  const exitCode = LISTING.has(kind) ? EXIT_LIST : EXIT_OPERATION;
  if (errno === undefined) return { text: 'Unknown error', exitCode };
  const text = SPECIFIC[kind]?.[errno] ?? GENERIC[errno];
  return { text, exitCode };
}

/** The operation kind a Command's failure is reported under. */
export function operationOf(op: string): OperationKind {
  switch (op) {
    case 'add-service':
    case 'edit-service':
    case 'del-service':
    case 'zero':
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest':
    case 'start-daemon':
    case 'stop-daemon':
    case 'add-laddr':
    case 'del-laddr':
      return op;
    case 'clear':
      return 'flush';
    case 'set-timeouts':
      return 'set-timeouts';
    default:
      return 'other';
  }
}
