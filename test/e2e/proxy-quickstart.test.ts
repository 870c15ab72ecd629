import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { DEMO_PORT, startDemo } from '../../src/daemon/demo.js';
import { rig, until } from '../proxy/helpers.js';

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('the quick start answers on 127.0.0.1:8080, round robin over web3, web2, web1', async () => {
  const demo = await startDemo();
  const r = rig();
  try {
    for (const c of demo.commands) {
      if (c.op === 'add-service') r.table.addService(c.service, c.config);
      else if (c.op === 'add-dest') r.table.addDest(c.service, c.dest);
    }
    r.plane.sync();
    assert.ok(await until(() => r.plane.status()[0]?.served === true, 5000), 'port 8080 is free');
    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push(await get(DEMO_PORT));
    assert.deepEqual(
      bodies.map((b) => /Hello from (web\d)/.exec(b)?.[1]),
      ['web3', 'web2', 'web1', 'web3', 'web2', 'web1'],
    );
    assert.match(demo.banner(), /curl -s http:\/\/127\.0\.0\.1:8080\//);
    assert.match(demo.banner(), /lvsadm -Ln --stats/);
    assert.match(demo.banner(), /Ctrl-C/);
  } finally {
    await r.close();
    await demo.close();
  }
});
