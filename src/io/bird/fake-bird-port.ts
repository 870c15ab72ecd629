/**
 * An in-memory BIRD for tests of `lvsd --bgp`: it keeps the include file's text, "reloads" it on
 * `configure` (the announced prefixes are the `route` lines of the text at that moment), answers
 * `show protocols` with the rows it is given, and can be told to be down or to refuse a reload.
 */
import type { BirdReply } from '../../config/bird/bird-reply.js';
import type { BirdProtocolRow } from '../../control/bgp-views.js';
import { LvsError } from '../../core/errors.js';
import type { BirdPort } from './bird-port.js';

/** A scripted BIRD. */
export class FakeBirdPort implements BirdPort {
  /** The include file as last written. */
  include: string | undefined;
  /** The prefixes BIRD has loaded (from the include at the last accepted `configure`). */
  loaded: string[] = [];
  /** Every command received, in order. */
  readonly commands: string[] = [];
  /** While true, every command fails as if the socket were missing. */
  down = false;
  /** While set, `configure` answers this 8002 message (a file error) and loads nothing. */
  refuse: string | undefined;
  /** While true, writing the include fails. */
  readOnly = false;
  /** The rows `show protocols` lists. */
  rows: BirdProtocolRow[] = [];

  async writeInclude(text: string): Promise<void> {
    if (this.readOnly) throw new LvsError('ERR_LVS_BGP_INCLUDE', 'cannot write the include: read-only');
    this.include = text;
  }

  async command(line: string): Promise<BirdReply> {
    this.commands.push(line);
    if (this.down) throw new LvsError('ERR_LVS_BIRD_UNREACHABLE', 'fake: no such socket (is BIRD running?)');
    if (line === 'configure') {
      if (this.refuse !== undefined) return reply([[8002, this.refuse]]);
      this.loaded = [...(this.include ?? '').matchAll(/route (\S+) blackhole;/g)].map((m) => m[1] as string);
      return reply([
        [2, 'Reading configuration from /etc/bird/bird.conf'],
        [3, 'Reconfigured'],
      ]);
    }
    if (line === 'show protocols') {
      return reply([
        [2002, 'Name       Proto      Table      State  Since         Info'],
        ...this.rows.map((r): [number, string] => [
          1002,
          `${r.name} ${r.proto} ${r.table} ${r.state} ${r.since} ${r.info}`,
        ]),
        [0, ''],
      ]);
    }
    return reply([[9001, 'syntax error']]);
  }
}

function reply(lines: ReadonlyArray<readonly [number, string]>): BirdReply {
  const ls = lines.map(([code, text]) => ({ code, text }));
  return { lines: ls, code: ls.at(-1)?.code ?? 0 };
}
