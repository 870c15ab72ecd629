/**
 * Line-oriented conversation over a TCP socket with one deadline for the whole exchange (SMTP,
 * simpletcp). Every wait resolves, never rejects: a closed socket or the deadline gives undefined.
 */
import type net from 'node:net';

/** Reads CRLF/LF-terminated lines from a socket. */
export class LineReader {
  private buf = '';
  private lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(
    sock: net.Socket,
    private readonly deadline: number,
  ) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i = this.buf.indexOf('\n');
      while (i >= 0) {
        this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
        this.buf = this.buf.slice(i + 1);
        i = this.buf.indexOf('\n');
      }
      if (this.buf.length > 65536) this.buf = this.buf.slice(-65536);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    const line = this.lines.shift();
    if (line !== undefined) {
      this.waiter = undefined;
      w(line);
    } else if (this.ended) {
      this.waiter = undefined;
      w(undefined);
    }
  }

  /** Next line, or undefined on close or when the deadline passes. */
  next(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const left = this.deadline - Date.now();
      if (left <= 0) return resolve(undefined);
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, left);
      this.waiter = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.wake();
    });
  }

  /** Whatever partial line is buffered (for responses without a newline). */
  partial(): string {
    return this.buf;
  }
}
