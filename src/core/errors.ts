/**
 * Typed errors with stable codes. Each table error carries the errno name the kernel would have
 * returned, so lvsadm can print ipvsadm's exact message for it (libipvs.c `ipvs_strerror`).
 */

/** The errno meanings the IPVS control path can return. */
export type Errno =
  | 'EEXIST'
  | 'ESRCH'
  | 'ENOENT'
  | 'ERANGE'
  | 'EINVAL'
  | 'EBUSY'
  | 'EOPNOTSUPP'
  | 'ENOMEM'
  | 'EPERM'
  | 'ENODEV';

/** Base class of every LVS.ts error: a stable `code` string tests can check. */
export class LvsError extends Error {
  /** Stable machine-readable code, e.g. `ERR_LVS_SERVICE_EXISTS`. */
  readonly code: string;
  /** The kernel errno this error stands for, when it has one. */
  readonly errno: Errno | undefined;
  constructor(code: string, message: string, errno?: Errno) {
    super(message);
    this.name = 'LvsError';
    this.code = code;
    this.errno = errno;
  }
}

/** Errors of the service table: add/edit/delete of services and destinations. */
export class TableError extends LvsError {
  constructor(code: TableErrorCode, message: string) {
    super(code, message, TABLE_ERRNO[code]);
    this.name = 'TableError';
  }
}

/** Stable codes for table errors, each mapped to the kernel's errno. */
export const TABLE_ERRNO = {
  ERR_LVS_SERVICE_EXISTS: 'EEXIST',
  ERR_LVS_NO_SERVICE: 'ESRCH',
  ERR_LVS_DEST_EXISTS: 'EEXIST',
  ERR_LVS_NO_DEST: 'ENOENT',
  ERR_LVS_RANGE: 'ERANGE',
  ERR_LVS_INVALID: 'EINVAL',
  ERR_LVS_NO_SCHEDULER: 'ENOENT',
  ERR_LVS_NO_PE: 'ENOENT',
  ERR_LVS_NOT_SUPPORTED: 'EOPNOTSUPP',
  ERR_LVS_DAEMON_RUNNING: 'EEXIST',
  ERR_LVS_DAEMON_NOT_RUNNING: 'ESRCH',
  ERR_LVS_NO_LADDR: 'ENOENT',
  ERR_LVS_LADDR_EXISTS: 'EEXIST',
  /** Sync daemons and mixed-family destinations together (ip_vs_ctl.c refuses them with EINVAL). */
  ERR_LVS_SYNC_MIXED_FAMILY: 'EINVAL',
} as const satisfies Record<string, Errno>;

/** A code of {@link TableError}. */
export type TableErrorCode = keyof typeof TABLE_ERRNO;

/** A configuration file error, located by file and line. */
export class ConfigError extends LvsError {
  readonly file: string;
  readonly line: number;
  constructor(code: string, message: string, file: string, line: number) {
    super(code, `${file}:${line}: ${message}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
  }
}
