/**
 * Relay behaviour every TCP relay must have, run against the native relay (proxy-native.test.ts)
 * and the JavaScript one (proxy-js-relay.test.ts, LVS_PROXY_RELAY=js): integrity both ways with
 * half-close, resets in both directions, exact byte counters in the core, idle expiry,
 * backpressure against a client that stops reading, and no fd leak after many connections.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { RelayKind } from '../../src/io/proxy/tcp-relay.js';
import { addProxyService } from '../helpers/proxy-service.js';
import { type Backend, backend, greet, type Rig, rig, sleep, until } from '../proxy/helpers.js';

/** Open fds of this process (the plane runs in it). */
const fdCount = () => readdirSync('/proc/self/fd').length;

/** Deterministic bytes: chunk i of a stream. */
function pattern(i: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let j = 0; j < len; j += 4) b.writeUInt32LE((i * 7919 + j * 31) >>> 0, j);
  return b;
}

/**
 * Registers the shared relay tests, for a plane whose relay must be `kind` and whose clients
 * are accepted by `accept` (native: native/tcp_acceptor.c; js: libuv handles, then handed over).
 */
export function relaySuite(kind: RelayKind, accept: RelayKind = kind): void {
  let r: Rig;
  let A: Backend;

  before(async () => {
    r = rig({ connectTimeoutMs: 1000 });
    A = await backend('A');
  });
  after(async () => {
    await r.close();
    await A.close();
  });

  test(`the plane relays with the ${kind} relay, accepting in ${accept}`, async () => {
    assert.equal(r.plane.tcp.relayKind, kind);
    assert.equal(r.plane.tcp.acceptKind, accept);
    const port = await addProxyService(r, 'rr', [[A.port, 1]]);
    const before = r.plane.tcp.counters.native;
    const { sock } = await greet(port);
    assert.equal(r.plane.tcp.counters.native - before, kind === 'native' ? 1 : 0);
    sock.destroy();
  });

  test('20 MB each way keep their sha256 through a half-close', async () => {
    const port = await addProxyService(r, 'rr', [[A.port, 1]]);
    const { sock } = await greet(port);
    const hin = createHash('sha256');
    const hout = createHash('sha256');
    let got = 0;
    sock.on('data', (d: Buffer) => {
      hout.update(d);
      got += d.length;
    });
    const ended = new Promise<void>((res) => sock.on('end', () => res()));
    for (let i = 0; i < 20; i++) {
      const c = pattern(i, 1 << 20);
      hin.update(c);
      if (!sock.write(c)) await new Promise((res) => sock.once('drain', res));
    }
    sock.end();
    await ended;
    assert.equal(got, 20 << 20);
    assert.equal(hout.digest('hex'), hin.digest('hex'));
  });

  test('the core counts exactly the bytes relayed each way, while open and after close', async () => {
    const port = await addProxyService(r, 'rr', [[A.port, 1]]);
    const d = r.table.list().find((s) => s.port === port)?.dests[0];
    const { sock } = await greet(port); // "A\n": 2 bytes out
    let got = 0;
    sock.on('data', (b: Buffer) => {
      got += b.length;
    });
    sock.write(Buffer.alloc(5000, 1));
    assert.ok(await until(() => got === 5000));
    // Open: the 250 ms sweep brings the counts to the core.
    assert.ok(await until(() => d?.stats.view().inbytes === 5000 && d?.stats.view().outbytes === 5002, 2000));
    sock.write(Buffer.alloc(70_000, 2));
    const ended = new Promise<void>((res) => sock.on('end', () => res()));
    sock.end();
    await ended;
    // Closed: the last counts arrive with the FINs, before the entry goes inactive.
    assert.ok(await until(() => d?.inactConns === 1));
    const v = d?.stats.view();
    assert.equal(v?.inbytes, 75_000);
    assert.equal(v?.outbytes, 75_002);
    assert.ok((v?.inpkts ?? 0) >= 1 + Math.ceil(70_000 / 65_536));
  });

  // With data just before the reset, libuv reports the peer's POLLHUP after a partial read as EOF
  // (uv__stream_io), so the JS relay passes a FIN on instead: only the native relay, which reads
  // the socket itself, is held to ECONNRESET there.
  const what = kind === 'native' ? 'after its data' : 'with no data before it';
  test(`a reset from the real server reaches the client as ECONNRESET ${what}`, async () => {
    const R = await backend('R', (s) =>
      s.once('data', () =>
        kind === 'native' ? s.write('bye\n', () => s.resetAndDestroy()) : s.resetAndDestroy(),
      ),
    );
    const port = await addProxyService(r, 'rr', [[R.port, 1]]);
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (b: Buffer) => {
      data += b.toString();
    });
    const err = await new Promise<NodeJS.ErrnoException>((res) => {
      sock.on('error', res);
      sock.on('connect', () => sock.write('boom'));
    });
    assert.equal(err.code, 'ECONNRESET');
    assert.ok(['', 'bye\n'].includes(data)); // a reset may overtake unread data, as in TCP
    await R.close();
  });

  test('a reset from the client reaches the real server as ECONNRESET', async () => {
    let serverErr: Promise<string> | undefined;
    const R = await backend('R', (s) => {
      serverErr = new Promise((res) => {
        s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? '?'));
        s.on('close', () => res('closed without error'));
      });
      s.write('R\n');
    });
    const port = await addProxyService(r, 'rr', [[R.port, 1]]);
    const { sock } = await greet(port);
    sock.resetAndDestroy();
    assert.ok(await until(() => serverErr !== undefined));
    assert.equal(await serverErr, 'ECONNRESET');
    await R.close();
  });

  test('an idle relayed connection is closed by the ESTABLISHED timeout', async () => {
    const port = await addProxyService(r, 'rr', [[A.port, 1]]);
    r.director.settings.setTimeouts(1, 0, 0);
    try {
      const expired = r.plane.tcp.counters.expired;
      const { sock } = await greet(port);
      sock.on('error', () => {});
      const t0 = Date.now();
      await new Promise<void>((res) => sock.on('close', () => res()));
      assert.ok(Date.now() - t0 < 4000);
      assert.equal(r.plane.tcp.counters.expired - expired, 1);
      assert.ok(await until(() => r.plane.tcp.liveConnections === 0));
    } finally {
      r.director.settings.setTimeouts(900, 0, 0);
    }
  });

  test('a client that stops reading holds the proxy to a bounded buffer, then gets all 50 MB intact', async () => {
    const total = 50 << 20;
    let written = 0;
    const want = createHash('sha256');
    const S = await backend('S', (s) => {
      const pump = () => {
        while (written < total) {
          const c = pattern(written >> 20, 1 << 20);
          want.update(c);
          written += c.length;
          if (!s.write(c)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const port = await addProxyService(r, 'rr', [[S.port, 1]]);
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sock.pause();
    await new Promise<void>((res) => sock.on('connect', () => res()));
    await sleep(1000);
    // Stalled: the server is blocked far short of 50 MB (socket buffers only), and the proxy
    // holds at most one chunk per direction.
    assert.ok(written < total / 2, `server wrote ${written} bytes into a stalled client`);
    const info = r.plane.tcp.nativeInfo();
    if (kind === 'native') {
      assert.ok(info !== undefined && info.pending <= 64 * 1024 && info.held <= 2, JSON.stringify(info));
    }
    const got = createHash('sha256');
    let n = 0;
    sock.on('data', (b: Buffer) => {
      got.update(b);
      n += b.length;
    });
    const ended = new Promise<void>((res) => sock.on('end', () => res()));
    sock.resume();
    await ended;
    assert.equal(n, total);
    assert.equal(got.digest('hex'), want.digest('hex'));
    sock.destroy();
    await S.close();
  });

  test('200 concurrent connections closing every way leave no fd behind', async () => {
    const port = await addProxyService(r, 'rr', [[A.port, 1]]);
    await until(() => r.plane.tcp.liveConnections === 0);
    const fds0 = fdCount();
    const conns = await Promise.all(Array.from({ length: 200 }, () => greet(port)));
    assert.ok(fdCount() >= fds0 + 400); // client + backend sockets (+ proxy's own)
    await Promise.all(
      conns.map(({ sock }, i) => {
        const closed = new Promise<void>((res) => sock.on('close', () => res()));
        sock.on('error', () => {});
        sock.removeAllListeners('data');
        sock.resume();
        if (i % 3 === 0)
          sock.end(); // half-close: the echo server ends too
        else if (i % 3 === 1) sock.resetAndDestroy();
        else sock.destroy();
        return closed;
      }),
    );
    assert.ok(
      await until(() => r.plane.tcp.liveConnections === 0 && fdCount() <= fds0, 5000),
      `live ${r.plane.tcp.liveConnections}, fds ${fdCount()} vs ${fds0}`,
    );
    if (kind === 'native') assert.equal(r.plane.tcp.nativeInfo()?.live, 0);
  });
}
