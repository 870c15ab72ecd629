/**
 * The `--http ADDR:PORT` argument: an IPv4 address, a bracketed IPv6 address or `localhost`,
 * then a port (0 picks a free one and the log says which). Pure.
 */
import { isIP } from 'node:net';

/** A parsed `--http`: the host to bind (an IP literal) and the port, or why not. */
export type HttpListenArg =
  | { readonly ok: true; readonly host: string; readonly port: number }
  | { readonly ok: false; readonly message: string };

/** Parses `127.0.0.1:9180`, `[::1]:9180` or `localhost:9180`. */
export function parseHttpListen(text: string): HttpListenArg {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const bad = {
    ok: false,
    message: `--http expects ADDR:PORT (e.g. 127.0.0.1:9180), got '${text}'`,
  } as const;
  if (!m) return bad;
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1]!;
  const port = Number(m[2]);
  if (isIP(host) === 0 || port > 65535) return bad;
  return { ok: true, host, port };
}
