/**
 * BIRD's control socket spoken directly, without birdc: one connection per command, the greeting
 * (`0001 BIRD 2.0.12 ready.`) read, the command sent, the reply read to its last line, closed.
 * Chosen over spawning `birdc -s SOCK configure` because lvsd also reads `show protocols` every
 * few seconds for `lvsadm --bgp`: no process per poll, no dependency on birdc's path, and the
 * reply codes arrive as BIRD sends them instead of birdc's reformatted text (client/client.c).
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { type BirdReply, BirdReplyReader } from '../../config/bird/bird-reply.js';
import { LvsError } from '../../core/errors.js';
import type { BirdPort } from './bird-port.js';

/** How long one command may take, connection included. */
export const BIRD_COMMAND_TIMEOUT_MS = 5000;

/** The include file at `include` and BIRD's socket at `socket`. */
export class BirdSocketPort implements BirdPort {
  constructor(
    private readonly include: string,
    private readonly socket: string,
    private readonly timeoutMs = BIRD_COMMAND_TIMEOUT_MS,
  ) {}

  /** Writes a temporary file in the same directory (same file system), then renames it over. */
  async writeInclude(text: string): Promise<void> {
    const tmp = `${this.include}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, text, { mode: 0o644, flush: true });
      await rename(tmp, this.include);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      const why = e instanceof Error ? e.message : String(e);
      throw new LvsError('ERR_LVS_BGP_INCLUDE', `cannot write ${this.include}: ${why}`);
    }
  }

  /** One command on a fresh connection; see BirdPort.command. */
  command(line: string): Promise<BirdReply> {
    return new Promise((resolve, reject) => {
      const reader = new BirdReplyReader();
      const s = connect(this.socket);
      let greeted = false;
      let settled = false;
      const finish = (e: Error | undefined, r?: BirdReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.destroy();
        if (e) reject(e);
        else resolve(r as BirdReply);
      };
      const timer = setTimeout(
        () =>
          finish(
            new LvsError(
              'ERR_LVS_BIRD_TIMEOUT',
              `${this.socket}: no answer to '${line}' in ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      );
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        try {
          for (const r of reader.push(chunk)) {
            if (!greeted) {
              greeted = true;
              s.write(`${line}\n`);
            } else return finish(undefined, r);
          }
        } catch (e) {
          finish(e instanceof Error ? e : new Error(String(e)));
        }
      });
      s.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          new LvsError(
            'ERR_LVS_BIRD_UNREACHABLE',
            `${this.socket}: ${e.code === 'ENOENT' ? 'no such socket (is BIRD running?)' : e.code === 'ECONNREFUSED' ? 'connection refused (is BIRD running?)' : e.message}`,
          ),
        ),
      );
      s.on('close', () =>
        finish(new LvsError('ERR_LVS_BIRD_UNREACHABLE', `${this.socket}: BIRD closed the connection`)),
      );
    });
  }
}
