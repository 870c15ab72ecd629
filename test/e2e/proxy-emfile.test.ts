/**
 * At EMFILE the director, not the real server, has failed: the client is dropped and counted
 * as a local error, nothing is counted on the (healthy) server, it is not retried elsewhere, and
 * the log says the director is out of resources instead of "connect to real server failed"
 * naming a healthy server (issue 16, found 6). Runs the plane in a child under prlimit(1).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import { JsonChild } from '../dataplane/json-child.js';
import { backend, freePort } from '../proxy/helpers.js';

interface Report {
  relay: Record<string, number>;
  svcConns: number;
  destConns: number;
  logs: string[];
}

test('a socket the director cannot open (EMFILE) is its own failure, not the real server’s', {
  timeout: 60_000,
}, async () => {
  const B = await backend('B');
  const vport = await freePort();
  const argv = ['--import', 'tsx', 'test/e2e/proxy-emfile-child.ts', String(vport), String(B.port)];
  const child = spawn('prlimit', ['--nofile=128:128', process.execPath, ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const c = new JsonChild(child);
  try {
    assert.deepEqual(await c.next(), { served: true });
    const filled = await c.send({ cmd: 'fill' });
    assert.ok((filled.filled as number) > 0);
    // The client is accepted on the one free descriptor, then reset: no server socket could open.
    const outcome = await new Promise<string>((res) => {
      const s = net.connect(vport, '127.0.0.1');
      s.setTimeout(10_000, () => {
        s.destroy();
        res('timeout');
      });
      s.on('data', (d) => res(`data ${d}`));
      s.on('error', (e: NodeJS.ErrnoException) => res(String(e.code)));
      s.on('close', () => res('closed'));
    });
    assert.match(outcome, /ECONNRESET|closed/);
    const r = (await c.send({ cmd: 'report' })) as unknown as Report;
    assert.equal(r.relay.localErrors, 1, JSON.stringify(r.relay));
    assert.equal(r.relay.connectFailures, 0, 'not counted as the server failing');
    assert.equal(r.relay.retries, 0, 'not retried: another server would fail the same way');
    assert.equal(r.svcConns, 0, 'no conn on the service');
    assert.equal(r.destConns, 0, 'no conn on the healthy server');
    const log = r.logs.join('\n');
    assert.doesNotMatch(log, /connect to real server failed/);
    assert.match(log, /director out of local resources: clients refused \(not a real server failure\)/);
    assert.match(log, /"errno":"EMFILE"/);
  } finally {
    child.kill('SIGKILL');
    await B.close();
  }
});
