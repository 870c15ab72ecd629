/**
 * Sends a scrape's body in chunks: the table families are written into pooled buffers of
 * {@link CHUNK_BYTES}, each handed to the socket, and the event loop gets a turn between chunks
 * (setImmediate, or the socket's 'drain' when the client reads slower than lvsd writes). A scrape of
 * 10,000 real servers (16 MB) then holds the loop for one chunk's writing at a time rather than for
 * the whole body, so the proxy plane's relay, health checks and the control socket keep running
 * (bench/metrics-scrape.ts measures the event-loop delay and relay round trips during scrapes).
 */
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TableChunks } from './table-writer.js';

/** Bytes per chunk: some 2,300 lines, about half a millisecond of writing. */
export const CHUNK_BYTES = 256 * 1024;

/** Free chunks kept for the next scrape, at most. */
const POOL_MAX = 8;

/**
 * Chunk buffers reused from scrape to scrape. A buffer comes back only from the socket's write
 * callback, once the kernel has the bytes: node:net writes from the buffer itself, so reusing it
 * earlier would change bytes still being sent.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  /** A buffer of at least `size` bytes. */
  take(size: number): Buffer {
    const b = this.free.pop();
    return b !== undefined && b.length >= size ? b : Buffer.allocUnsafeSlow(Math.max(size, CHUNK_BYTES));
  }

  /** Returns a buffer no write refers to any more. */
  give(b: Buffer): void {
    if (this.free.length < POOL_MAX) this.free.push(b);
  }
}

/** Resolves on 'drain' or 'close', whichever comes first. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `head`, the table's chunks, then ends with `tail`; stops early if the client goes away. */
export async function streamBody(
  res: ServerResponse,
  head: Buffer,
  table: TableChunks,
  tail: Buffer,
  pool: ChunkPool,
): Promise<void> {
  res.write(head);
  while (!table.done) {
    if (res.destroyed) return;
    const buf = pool.take(Math.max(CHUNK_BYTES, table.minChunk));
    const n = table.fill(buf);
    const more = res.write(buf.subarray(0, n), (err) => {
      if (!err) pool.give(buf);
    });
    // A write the kernel took at once reports 'drain' on process.nextTick, before the loop turns:
    // awaiting only that chained every chunk of a scrape into one ~100 ms block. setImmediate after
    // it gives timers and I/O (the relay) their turn between chunks.
    if (!more) await drained(res);
    await nextTurn();
  }
  if (!res.destroyed) res.end(tail);
}
