/** Drives the child processes of the VRRP data-plane netns tests (vrrp-*-child.ts). */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';

/** A child process driven one JSON command line at a time, answering one JSON line each. */
export class JsonChild {
  private out = '';
  private waiters: ((line: string) => void)[] = [];
  private err = '';
  constructor(private readonly c: ChildProcess) {
    c.stdout!.on('data', (d) => {
      this.out += d;
      let nl = this.out.indexOf('\n');
      while (nl >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        this.waiters.shift()?.(line);
        nl = this.out.indexOf('\n');
      }
    });
    c.stderr!.on('data', (d) => (this.err += d));
  }
  /** The next line the child prints, parsed. */
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child silent; stderr: ${this.err}`)), 20_000);
      this.waiters.push((line) => {
        clearTimeout(t);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }
  /** Sends `cmd` and resolves with the reply, which must carry no `error`. */
  async send(cmd: object): Promise<Record<string, unknown>> {
    const r = this.next();
    this.c.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const reply = await r;
    assert.equal(reply.error, undefined, String(reply.error));
    return reply;
  }
}
