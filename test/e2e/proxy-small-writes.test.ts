import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { addProxyService } from '../helpers/proxy-service.js';
import { type Backend, backend, type Rig, rig } from '../proxy/helpers.js';

// The relay writes small chunks from one process-wide staging buffer. A small write that libuv
// has to queue (the real server is not reading) must keep its bytes while other connections go
// on relaying small chunks through the staging buffer.

let r: Rig;
let slow: Backend;
let fast: Backend;
const digests = new Map<string, Promise<{ bytes: number; sha: string }>>();

/** A backend that hashes everything one connection sends; `pauseMs` delays its first read. */
function hashing(name: string, pauseMs: number): Promise<Backend> {
  return backend(name, (s) => {
    const h = createHash('sha256');
    let bytes = 0;
    if (pauseMs > 0) {
      s.pause();
      setTimeout(() => s.resume(), pauseMs);
    }
    s.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    digests.set(
      name,
      new Promise((res) =>
        s.on('end', () => {
          res({ bytes, sha: h.digest('hex') });
          s.end();
        }),
      ),
    );
  });
}

before(async () => {
  r = rig();
  slow = await hashing('slow', 1500);
  fast = await hashing('fast', 0);
});
after(async () => {
  await r.close();
  await Promise.all([slow.close(), fast.close()]);
});

/** Streams `total` bytes of a pattern seeded by `seed` in small writes; resolves with its sha256. */
async function stream(port: number, seed: number, total: number, piece: number): Promise<string> {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((res) => sock.once('connect', () => res()));
  const h = createHash('sha256');
  let x = seed >>> 0;
  for (let sent = 0; sent < total; sent += piece) {
    const b = Buffer.allocUnsafe(piece);
    for (let j = 0; j < piece; j += 4) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      b.writeUInt32LE(x, j);
    }
    h.update(b);
    if (!sock.write(b)) await new Promise((res) => sock.once('drain', res));
    // One small chunk per turn, so the relay reads (and stages) small chunks.
    else await new Promise((res) => setImmediate(res));
  }
  sock.end();
  await new Promise<void>((res) => sock.once('end', () => res()));
  sock.destroy();
  return h.digest('hex');
}

test('small writes queued behind a slow real server keep their bytes while other connections relay', async () => {
  const toSlow = await addProxyService(r, 'rr', [[slow.port, 1]]);
  const toFast = await addProxyService(r, 'rr', [[fast.port, 1]]);
  const total = 24_000_000;
  const [a, b] = await Promise.all([stream(toSlow, 1, total, 1000), stream(toFast, 2, total / 2, 1000)]);
  const got = await Promise.all([digests.get('slow'), digests.get('fast')]);
  assert.deepEqual(got[0], { bytes: total, sha: a });
  assert.deepEqual(got[1], { bytes: total / 2, sha: b });
});
