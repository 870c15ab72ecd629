/**
 * Request bodies of lvsd's HTTP API: at most 64 KiB of JSON (413 beyond, before parsing), parsed
 * into an untrusted value; and the unknown-field check that makes a typo a coded 400 instead of
 * a silently ignored setting (control/validate.ts keeps only the fields it knows).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-errors.js';

/** Largest accepted request body, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Reads the whole body as text; 413 as soon as it exceeds `max` (declared or received). */
export function readBodyText(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(new HttpError(413, 'ERR_LVS_HTTP_TOO_LARGE', `request body exceeds ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, 'ERR_LVS_HTTP_TOO_LARGE', `request body exceeds ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => reject(new HttpError(400, 'ERR_LVS_HTTP_JSON', 'request body not received')));
  });
}

/** Reads and parses a JSON body; an empty body is `undefined`. */
export async function readJsonBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBodyText(req, max);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'ERR_LVS_HTTP_JSON', 'request body is not valid JSON');
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Throws a coded 400 naming the first field of `input` that the validated value `kept` dropped:
 * validation copies every field it knows, so a field it did not copy is unknown.
 */
export function rejectUnknownFields(input: unknown, kept: unknown, path = 'body'): void {
  if (!isPlainObject(input) || !isPlainObject(kept)) return;
  for (const [k, v] of Object.entries(input)) {
    if (!Object.hasOwn(kept, k))
      throw new HttpError(400, 'ERR_LVS_HTTP_UNKNOWN_FIELD', `${path}.${k}: unknown field`);
    rejectUnknownFields(v, kept[k], `${path}.${k}`);
  }
}

/** The body as an object, or a coded 400. */
export function bodyObject(x: unknown): Record<string, unknown> {
  if (!isPlainObject(x)) throw new HttpError(400, 'ERR_LVS_BAD_REQUEST', 'body: expected a JSON object');
  return x;
}
