/**
 * The lab's real-server HTTP daemon, the "this is rs1" page of the LVS tutorials. Besides `/` it
 * serves `/whoami` (the peer address the server saw: the client in NAT, a LIP in FULLNAT) and
 * `/bytes/N` (N bytes of {@link labPattern}) so tests can check large transfers end to end.
 * Run inside a namespace: `node rs-http.js NAME PORT`.
 */
import { createServer } from 'node:http';

/** Byte `i` of the deterministic body of `/bytes/N`: a 251-byte cycle, prime so that a shifted,
 * dropped or duplicated segment changes the digest. */
export function labPattern(len: number): Buffer {
  const cycle = Buffer.alloc(251);
  for (let i = 0; i < 251; i++) cycle[i] = i;
  const out = Buffer.alloc(len);
  for (let off = 0; off < len; off += 251) cycle.copy(out, off, 0, Math.min(251, len - off));
  return out;
}

/** Starts the server; resolves once it listens. */
export function startRsHttp(name: string, port: number, host = '0.0.0.0'): Promise<() => void> {
  const chunk = labPattern(251 * 256);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/whoami') {
      res.end(`${req.socket.remoteAddress}:${req.socket.remotePort}\n`);
      return;
    }
    const m = /^\/bytes\/(\d+)$/.exec(url);
    if (m) {
      let left = Number(m[1]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
      // Whole multiples of the 251-byte cycle keep the pattern continuous across chunks.
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    res.end(`this is ${name}\n`);
  });
  // Node closes an idle keep-alive connection after 5 s by default; a flow the cluster lab's router
  // moves to another director can wait that long for its retransmission, and must not be counted
  // broken for the server's idle timer.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(() => server.close()));
  });
}
