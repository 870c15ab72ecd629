/**
 * Errors of lvsd's HTTP server and how every coded error becomes an HTTP status. A table error
 * keeps the errno the kernel would have returned (core/errors.ts), and its status follows that
 * errno the way ipvsadm reads it (libipvs.c `ipvs_strerror`): an existing entry is a conflict, a
 * missing one is not found, a bad argument is a bad request, an unsupported one is not
 * implemented. Bodies are `{code, message}` with the stable LvsError code; never a stack.
 */
import type { ServerResponse } from 'node:http';
import type { Errno } from '../../core/errors.js';
import { LvsError } from '../../core/errors.js';

/** Stable codes of errors the HTTP layer itself raises. */
export type HttpErrorCode =
  | 'ERR_LVS_HTTP_NOT_FOUND'
  | 'ERR_LVS_HTTP_METHOD'
  | 'ERR_LVS_HTTP_UNAUTHORIZED'
  | 'ERR_LVS_HTTP_WRITES_DISABLED'
  | 'ERR_LVS_HTTP_TOO_LARGE'
  | 'ERR_LVS_HTTP_JSON'
  | 'ERR_LVS_HTTP_MALFORMED'
  | 'ERR_LVS_HTTP_TIMEOUT'
  | 'ERR_LVS_HTTP_BAD_PATH'
  | 'ERR_LVS_HTTP_BAD_QUERY'
  | 'ERR_LVS_HTTP_UNKNOWN_FIELD'
  | 'ERR_LVS_HTTP_UNDRAIN_WEIGHT'
  | 'ERR_LVS_HTTP_TOO_MANY';

/** An error answered with `status` and a coded JSON body. */
export class HttpError extends LvsError {
  readonly status: number;
  constructor(
    status: number,
    code: HttpErrorCode | 'ERR_LVS_BAD_REQUEST' | 'ERR_LVS_NO_SERVICE' | 'ERR_LVS_NO_DEST',
    message: string,
  ) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** HTTP status of each errno a table command can fail with. */
export const ERRNO_STATUS: Readonly<Record<Errno, number>> = {
  EEXIST: 409,
  ESRCH: 404,
  ENOENT: 404,
  ENODEV: 404,
  EINVAL: 400,
  ERANGE: 400,
  EBUSY: 409,
  EPERM: 403,
  EOPNOTSUPP: 501,
  ENOMEM: 503,
};

/** Statuses of coded errors that carry no errno. */
const CODE_STATUS: Readonly<Record<string, number>> = {
  ERR_LVS_BAD_REQUEST: 400,
  // The running data plane refuses the command (e.g. -g on the proxy plane): the kernel has no
  // such case; like EOPNOTSUPP it is a feature this lvsd does not offer.
  ERR_LVS_DATAPLANE_UNSUPPORTED: 501,
  ERR_LVS_NO_HEALTH: 404,
  ERR_LVS_NO_VRRP: 404,
  ERR_LVS_NO_BGP: 404,
  ERR_LVS_INTERNAL: 500,
};

/** The status for a wire error `{code, errno?}`: errno first, then the code, else 400. */
export function statusOf(e: { readonly code: string; readonly errno?: Errno | undefined }): number {
  if (e.errno !== undefined) return ERRNO_STATUS[e.errno];
  // Any other coded refusal is the client's request being refused, not lvsd failing.
  return CODE_STATUS[e.code] ?? 400;
}

/** Writes `body` as JSON with `status` (and extra headers). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Writes a coded error: an HttpError's status, an LvsError's errno status, or 500 for anything else. */
export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) {
    const extra: Record<string, string> =
      e.status === 401 ? { 'www-authenticate': 'Bearer realm="lvsd"' } : {};
    if (e.status === 413) extra.connection = 'close';
    sendJson(res, e.status, { code: e.code, message: e.message }, extra);
    return;
  }
  if (e instanceof LvsError) {
    sendJson(res, statusOf(e), { code: e.code, message: e.message });
    return;
  }
  // A bug: the operator sees a code, never Node's frames.
  sendJson(res, 500, { code: 'ERR_LVS_INTERNAL', message: 'internal error' });
}
