/**
 * conn_max on the proxy plane, with real sockets: a burst of 300 concurrent clients against a
 * service bounded at 25 entries. The table never holds more than 25, every other client is
 * refused and counted (the director's refusedConnMax, the relay's `refused` drop reason), and the
 * connections admitted keep flowing through the burst.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { addProxyService } from '../helpers/proxy-service.js';
import { type Backend, backend, greet, type Rig, rig, sleep, until } from '../proxy/helpers.js';

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

// One client: 'ok' once it got the greeting (kept open), 'refused' when closed first.
function client(port: number, held: net.Socket[]): Promise<'ok' | 'refused'> {
  return greet(port).then(
    ({ sock }) => {
      sock.on('error', () => {});
      held.push(sock);
      return 'ok' as const;
    },
    () => 'refused' as const,
  );
}

test('a burst of new connections leaves the table at conn_max, the rest refused and counted', async () => {
  const port = await addProxyService(r, 'rr', [[A.port, 1]]);
  r.director.setSysctl('conn_max', 25);
  const held: net.Socket[] = [];
  let peak = 0;
  const watch = setInterval(() => {
    peak = Math.max(peak, r.director.conns.count);
  }, 2);
  try {
    const results = await Promise.all(Array.from({ length: 300 }, () => client(port, held)));
    peak = Math.max(peak, r.director.conns.count);
    const ok = results.filter((x) => x === 'ok').length;
    assert.equal(ok, 25);
    assert.ok(peak <= 25, `table peaked at ${peak}`);
    assert.equal(r.director.defense.refusedConnMax, 275);
    assert.equal(r.plane.tcp.counters.refused, 275);
    assert.equal(r.plane.tcp.counters.noDest, 0);
    // Admitted connections still flow after the burst.
    const s = held[0] as net.Socket;
    const echo = new Promise<string>((res) => s.once('data', (d: Buffer) => res(d.toString())));
    s.write('still here');
    assert.equal(await echo, 'still here');
    // Closing one frees no place before its TIME_WAIT entry expires: the bound counts entries.
    for (const h of held.splice(0, 5)) h.destroy();
    await sleep(100);
    assert.equal(await client(port, held), 'refused');
    // Raising the bound admits new clients at once.
    r.director.setSysctl('conn_max', 0);
    assert.equal(await client(port, held), 'ok');
    assert.ok(await until(() => r.director.conns.count >= 26));
  } finally {
    clearInterval(watch);
    for (const h of held) h.destroy();
  }
});
