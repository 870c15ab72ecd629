/**
 * Sends a scrape's body in chunks: the table families' blocks (series-body.ts, about 256 KB each)
 * are handed to the socket one at a time, and the event loop gets a turn between them
 * (setImmediate, or the socket's 'drain' when the client reads slower than lvsd writes). A scrape of
 * 10,000 real servers (16 MB) then holds the loop for one block's socket write at a time rather
 * than for the whole body, so the proxy plane's relay, health checks and the control socket keep
 * running (bench/metrics-scrape.ts measures the event-loop delay and relay round trips).
 */
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BodyChunks } from './series-body.js';

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

/**
 * Writes `head`, the table's chunks, then ends with `tail`; stops early if the client goes away.
 * Each chunk's hold is released from its write's callback, once the kernel has the bytes (node:net
 * writes from the buffer itself, so the block must not change before), or at once if it is never
 * written.
 */
export async function streamBody(
  res: ServerResponse,
  head: Buffer,
  table: BodyChunks,
  tail: Buffer,
): Promise<void> {
  const { chunks } = table;
  let i = 0;
  try {
    res.write(head);
    for (; i < chunks.length; i++) {
      if (res.destroyed) return;
      const n = i;
      const more = res.write(chunks[n] as Buffer, () => table.release(n));
      // A write the kernel took at once reports 'drain' on process.nextTick, before the loop turns:
      // awaiting only that chained every chunk of a scrape into one block. setImmediate after it
      // gives timers and I/O (the relay) their turn between chunks.
      if (!more) await drained(res);
      await nextTurn();
    }
    if (!res.destroyed) res.end(tail);
  } finally {
    for (; i < chunks.length; i++) table.release(i);
  }
}
