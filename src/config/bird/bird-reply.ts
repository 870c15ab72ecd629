/**
 * BIRD's control-socket replies, read without birdc (issue 18). The protocol is line based
 * (BIRD 2 client/client.c server_got_reply()): a line is `DDDD-text` (more follow), `DDDD text`
 * (the reply's last line), ` text` (continues the previous code) or `+text` (an asynchronous
 * message); codes 8xxx are run-time errors and 9xxx parse errors (BIRD's doc/reply_codes).
 * Pure: framing and parsing only; the socket is src/io/bird/bird-socket.ts.
 */

import type { BirdProtocolRow } from '../../control/bgp-views.js';
import { LvsError } from '../../core/errors.js';

/** One line of a reply: its code (continuations carry the previous one) and its text. */
export interface BirdLine {
  readonly code: number;
  readonly text: string;
}

/** A complete reply: its lines, the last one's code first decides success. */
export interface BirdReply {
  readonly lines: readonly BirdLine[];
  /** The last line's code: 0xxx success, 8xxx/9xxx failure. */
  readonly code: number;
}

/** Largest reply accepted (a `show protocols` of a few thousand sessions fits). */
export const MAX_BIRD_REPLY_BYTES = 4 * 1024 * 1024;

/** A reply that breaks the line protocol: code ERR_LVS_BIRD_REPLY. */
export class BirdReplyError extends LvsError {
  constructor(message: string) {
    super('ERR_LVS_BIRD_REPLY', message);
    this.name = 'BirdReplyError';
  }
}

/**
 * Reads replies from the socket's bytes, in order. `push` returns the replies completed by the
 * chunk (the greeting `0001 BIRD 2.0.12 ready.` is one); it throws BirdReplyError on a line that
 * is none of the four forms, or past MAX_BIRD_REPLY_BYTES.
 */
export class BirdReplyReader {
  #partial = '';
  #lines: BirdLine[] = [];
  #size = 0;

  /** Feeds bytes (as text); returns the replies they complete. */
  push(chunk: string): BirdReply[] {
    this.#size += chunk.length;
    if (this.#size > MAX_BIRD_REPLY_BYTES) throw new BirdReplyError('reply exceeds the size limit');
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    const done: BirdReply[] = [];
    for (const raw of parts) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.startsWith('+')) continue;
      if (line.startsWith(' ')) {
        const prev = this.#lines.at(-1);
        this.#lines.push({ code: prev?.code ?? 0, text: line.slice(1) });
        continue;
      }
      const m = /^(\d{4})([ -])(.*)$/s.exec(line);
      if (!m) throw new BirdReplyError(`not a BIRD reply line: ${JSON.stringify(line.slice(0, 80))}`);
      const code = Number(m[1]);
      this.#lines.push({ code, text: m[3] ?? '' });
      if (m[2] === ' ') {
        done.push({ lines: this.#lines, code });
        this.#lines = [];
        this.#size = this.#partial.length;
      }
    }
    return done;
  }
}

/** Whether a reply reports a failure (8xxx run-time, 9xxx parse error). */
export function isBirdError(r: BirdReply): boolean {
  return r.code >= 8000;
}

/** The reply's text for an operator: its last line (BIRD's message), or every line of an error. */
export function birdReplyText(r: BirdReply): string {
  const last = r.lines.at(-1)?.text ?? '';
  return last === '' ? r.lines.map((l) => l.text).join('; ') : last;
}

/** `2026-12-07 16:55:29` (timeformat iso long) or `16:55:29.122` (the default): one or two words. */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The rows of a `show protocols` reply (BIRD 2: header code 2002, rows 1002 and their
 * continuations): name, protocol, table and state are single words; `since` is one word, or two
 * when it starts with a date; the rest is the info column. Lines that are not rows are skipped,
 * so a reply of another shape gives no rows rather than wrong ones.
 */
export function parseShowProtocols(r: BirdReply): BirdProtocolRow[] {
  const rows: BirdProtocolRow[] = [];
  for (const l of r.lines) {
    if (l.code !== 1002) continue;
    const words = l.text.trim().split(/\s+/);
    if (words.length < 5) continue;
    const [name, proto, table, state] = words as [string, string, string, string];
    let i = 4;
    let since = words[i++] ?? '';
    if (DATE.test(since) && words[i] !== undefined && /^\d/.test(words[i] as string))
      since = `${since} ${words[i++]}`;
    rows.push({ name, proto, table, state, since, info: words.slice(i).join(' ') });
  }
  return rows;
}
