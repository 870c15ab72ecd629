/**
 * The quick-start banner tells the truth about its port: with the port taken by another program
 * the proxy plane cannot listen, and the banner says "NOT SERVED" with the reason instead of
 * advertising a curl that would reach the other program. Uses a free port instead of 8080 so it
 * cannot collide with proxy-quickstart.test.ts; lvsd passes 8080 the same way (daemon/demo.ts).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { demoServeState, startDemo } from '../../src/daemon/demo.js';
import { freePort, rig } from '../proxy/helpers.js';

async function bannerWith(port: number): Promise<string> {
  const demo = await startDemo({ port });
  const r = rig();
  try {
    for (const c of demo.commands) {
      if (c.op === 'add-service') r.table.addService(c.service, c.config);
      else if (c.op === 'add-dest') r.table.addDest(c.service, c.dest);
    }
    r.plane.sync();
    const status = () =>
      r.plane
        .status()
        .map((s) => ({ service: s.service, serving: s.served, ...(s.reason ? { reason: s.reason } : {}) }));
    const st = await demoServeState(status, `TCP 127.0.0.1:${port}`, 3000);
    return demo.banner('/tmp/x.sock', st);
  } finally {
    await r.close();
    await demo.close();
  }
}

test('with its port taken the demo banner says NOT SERVED and why, and advertises no working curl', async () => {
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((res) => squatter.listen(port, '127.0.0.1', () => res()));
  try {
    const b = await bannerWith(port);
    assert.match(
      b,
      new RegExp(`^NOT SERVED: 127\\.0\\.0\\.1:${port}: port ${port} is busy \\(EADDRINUSE`, 'm'),
    );
    assert.match(b, /lvsd retries every 2 s/);
    assert.doesNotMatch(b, /^Try, in another terminal:$/m);
    assert.match(b, /^Try, in another terminal, once it is served:$/m);
  } finally {
    squatter.close();
  }
});

test('with its port free the banner is the usual one', async () => {
  const b = await bannerWith(await freePort());
  assert.doesNotMatch(b, /NOT SERVED/);
  assert.match(b, /^Try, in another terminal:$/m);
});
