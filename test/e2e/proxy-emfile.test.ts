/**
 * At EMFILE the director, not the real server, has failed: the client is dropped and counted
 * as a local error, nothing is counted on the (healthy) server, it is not retried elsewhere, and
 * the log says the director is out of resources instead of "connect to real server failed"
 * naming a healthy server (issue 16, found 6). Runs the plane in a child under prlimit(1).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';
import { JsonChild } from '../dataplane/json-child.js';
import { backend, freePort } from '../proxy/helpers.js';

interface Report {
  relay: Record<string, number>;
  tcp: { svc: number; dest: number };
  udp: { svc: number; dest: number };
  logs: string[];
}

/** Connects and resolves with what happened: data, a reset, a close, or a timeout. */
function tcpOutcome(port: number): Promise<string> {
  return new Promise<string>((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(10_000, () => {
      s.destroy();
      res('timeout');
    });
    s.on('data', (d) => res(`data ${d}`));
    s.on('error', (e: NodeJS.ErrnoException) => res(String(e.code)));
    s.on('close', () => res('closed'));
  });
}

test('a socket the director cannot open (EMFILE) is its own failure, not the real server’s', {
  timeout: 60_000,
}, async () => {
  const B = await backend('B');
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, ri) => echo.send(m, ri.port, ri.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
  const vport = await freePort();
  const uport = await freePort();
  const argv = [
    '--import',
    'tsx',
    'test/e2e/proxy-emfile-child.ts',
    ...[vport, B.port, uport, echo.address().port].map(String),
  ];
  const child = spawn('prlimit', ['--nofile=128:128', process.execPath, ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const c = new JsonChild(child);
  const client = dgram.createSocket('udp4');
  try {
    assert.deepEqual(await c.next(), { served: true });
    assert.ok(((await c.send({ cmd: 'fill', free: 1 })).filled as number) > 0);
    // The client is accepted on the one free descriptor, then reset: no server socket could open.
    assert.match(await tcpOutcome(vport), /ECONNRESET|closed/);
    let r = (await c.send({ cmd: 'report' })) as unknown as Report;
    assert.equal(r.relay.localErrors, 1, JSON.stringify(r.relay));
    assert.equal(r.relay.connectFailures, 0, 'not counted as the server failing');
    assert.equal(r.relay.retries, 0, 'not retried: another server would fail the same way');
    assert.deepEqual(r.tcp, { svc: 0, dest: 0 }, 'no conn on the service or the healthy server');
    let log = r.logs.join('\n');
    assert.doesNotMatch(log, /connect to real server failed/);
    assert.match(log, /director out of local resources: clients refused \(not a real server failure\)/);
    assert.match(log, /"errno":"EMFILE"/);

    // A datagram whose flow finds no descriptor for its socket: counted the same way.
    await c.send({ cmd: 'fill', free: 0 });
    await new Promise<void>((res) => client.bind(0, '127.0.0.1', res));
    client.send('x', uport, '127.0.0.1');
    await new Promise((res) => setTimeout(res, 500));
    r = (await c.send({ cmd: 'report' })) as unknown as Report;
    assert.equal(r.relay.localErrors, 2, JSON.stringify(r.relay));
    assert.deepEqual(r.udp, { svc: 0, dest: 0 }, 'no conn on the UDP service or its server');
    // Descriptors free again: the next datagram is answered.
    const reply = new Promise<string>((res) => client.once('message', (m) => res(m.toString())));
    client.send('again', uport, '127.0.0.1');
    assert.equal(await reply, 'again');
    log = r.logs.join('\n');
    assert.doesNotMatch(log, /connect to real server failed/);
  } finally {
    child.kill('SIGKILL');
    client.close();
    echo.close();
    await B.close();
  }
});
