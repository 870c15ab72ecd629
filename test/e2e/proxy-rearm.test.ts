import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addProxyService } from '../helpers/proxy-service.js';
import { type Backend, backend, greet, type Rig, rig, sleep } from '../proxy/helpers.js';

// Traffic re-arms a proxied connection's entry (as every packet does in the kernel), so a busy
// connection outlives its state timeout while an idle one is closed by it.

let r: Rig;
let A: Backend;

before(async () => {
  r = rig();
  A = await backend('A');
});
after(async () => {
  await r.close();
  await A.close();
});

test('a connection with traffic outlives the ESTABLISHED timeout; once idle it is closed by it', async () => {
  const port = await addProxyService(r, 'rr', [[A.port, 1]]);
  r.director.settings.setTimeouts(2, 0, 0);
  try {
    const { sock } = await greet(port);
    sock.on('error', () => {});
    let closedAt = 0;
    sock.on('close', () => {
      closedAt = Date.now();
    });
    let echoed = '';
    let lastData = 0;
    sock.on('data', (d: Buffer) => {
      echoed += d.toString();
      lastData = Date.now();
    });
    // 4.5 s of traffic every 400 ms: more than twice the 2 s timeout.
    for (let i = 0; i < 11; i++) {
      sock.write('x');
      await sleep(400);
    }
    assert.equal(closedAt, 0, 'closed while busy');
    assert.equal(echoed, 'x'.repeat(11));
    while (closedAt === 0 && Date.now() - lastData < 6000) await sleep(50);
    assert.ok(closedAt > 0, 'not closed once idle');
    // Never before the 2 s timeout after the last byte; at most a tick (1 s), the relay's clock
    // step (250 ms) and some slack after it.
    const idle = closedAt - lastData;
    assert.ok(idle >= 1990 && idle < 4000, `closed after ${idle} ms idle`);
  } finally {
    r.director.settings.setTimeouts(900, 0, 0);
  }
});
