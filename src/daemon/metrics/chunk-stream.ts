/**
 * Sends a scrape's body in chunks: the table and health families' blocks (series-body.ts, about 256 KB each)
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
 * Writes `parts` in order, each a buffer or a kept body's chunks, then ends; stops early if the
 * client goes away. Each chunk's hold is released from its write's callback, once the kernel has
 * the bytes (node:net writes from the buffer itself, so the block must not change before), or at
 * once if it is never written.
 */
export async function streamBody(
  res: ServerResponse,
  parts: readonly (Buffer | BodyChunks)[],
): Promise<void> {
  let p = 0;
  let i = 0;
  try {
    for (; p < parts.length; p++, i = 0) {
      const part = parts[p] as Buffer | BodyChunks;
      if (Buffer.isBuffer(part)) {
        if (res.destroyed) return;
        res.write(part);
        continue;
      }
      const { chunks } = part;
      for (; i < chunks.length; i++) {
        if (res.destroyed) return;
        const n = i;
        const more = res.write(chunks[n] as Buffer, () => part.release(n));
        // A write the kernel took at once reports 'drain' on process.nextTick, before the loop
        // turns: awaiting only that chained every chunk of a scrape into one block. setImmediate
        // after it gives timers and I/O (the relay) their turn between chunks.
        if (!more) await drained(res);
        await nextTurn();
      }
    }
    if (!res.destroyed) res.end();
  } finally {
    for (; p < parts.length; p++, i = 0) {
      const part = parts[p] as Buffer | BodyChunks;
      if (!Buffer.isBuffer(part)) for (; i < part.chunks.length; i++) part.release(i);
    }
  }
}
