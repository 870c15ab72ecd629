import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import type { StatusView } from '../../src/control/protocol.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { spawnLvsd, waitReady } from './lvsd-process.js';

function lvsadm(socket: string, args: string): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', socket, ...args.split(' ')], {
    encoding: 'utf8',
  });
  return { code: r.status, err: r.stderr };
}

async function status(socket: string): Promise<StatusView> {
  const c = await connectClient(socket);
  try {
    const r = await c.request({ query: { q: 'status' } });
    assert.ok(r.ok && 'result' in r && r.result.q === 'status');
    return r.result.status;
  } finally {
    c.close();
  }
}

/** A TCP server on loopback that answers every connection with `tag` and closes. */
async function tagServer(tag: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end(tag));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  assert.ok(a && typeof a === 'object');
  return { server, port: a.port };
}

function fetchTag(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect(port, '127.0.0.1');
    s.on('data', (b) => {
      got += b.toString();
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const { server, port } = await tagServer('');
  await new Promise((r) => server.close(r));
  return port;
}

async function until<T>(f: () => Promise<T>, ok: (x: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const x = await f();
    if (ok(x) || Date.now() > end) return x;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lvsd with the proxy data plane', () => {
  it('serves a loopback VIP round-robin over the real servers added with lvsadm', async () => {
    const a = await tagServer('A');
    const b = await tagServer('B');
    const vport = await freePort();
    const d = spawnLvsd();
    try {
      await waitReady(d);
      assert.equal(lvsadm(d.socket, `-A -t 127.0.0.1:${vport} -s rr`).code, 0);
      assert.equal(lvsadm(d.socket, `-a -t 127.0.0.1:${vport} -r 127.0.0.1:${a.port} -m`).code, 0);
      assert.equal(lvsadm(d.socket, `-a -t 127.0.0.1:${vport} -r 127.0.0.1:${b.port} -m`).code, 0);
      const st = await until(
        () => status(d.socket),
        (s) => s.vips[0]?.serving === true,
      );
      assert.deepEqual(st.vips, [
        {
          service: `TCP 127.0.0.1:${vport}`,
          serving: true,
          dests: [
            { dest: `127.0.0.1:${b.port}`, serving: true },
            { dest: `127.0.0.1:${a.port}`, serving: true },
          ],
        },
      ]);
      assert.equal(st.dataplane, 'proxy');
      const tags = [
        await fetchTag(vport),
        await fetchTag(vport),
        await fetchTag(vport),
        await fetchTag(vport),
      ];
      assert.deepEqual([...tags].sort(), ['A', 'A', 'B', 'B']);
      assert.notEqual(tags[0], tags[1]);
    } finally {
      await d.stop();
      a.server.close();
      b.server.close();
    }
  });

  it('accepts a VIP the host cannot bind, reporting it as not served', async () => {
    const d = spawnLvsd();
    try {
      await waitReady(d);
      // 192.0.2.1 (TEST-NET-1) is not a local address here, so no socket can bind it.
      assert.deepEqual(lvsadm(d.socket, '-A -t 192.0.2.1:80 -s rr'), { code: 0, err: '' });
      assert.deepEqual(lvsadm(d.socket, '-a -t 192.0.2.1:80 -r 198.51.100.7:80 -m'), { code: 0, err: '' });
      const st = await until(
        () => status(d.socket),
        (s) => s.vips[0]?.reason !== undefined && s.vips[0].reason !== 'opening',
      );
      assert.equal(st.vips[0]?.service, 'TCP 192.0.2.1:80');
      assert.equal(st.vips[0]?.serving, false);
      assert.match(st.vips[0]?.reason ?? '', /EADDRNOTAVAIL/);
    } finally {
      await d.stop();
    }
  });

  it('refuses -g and -i destinations naming the packet data plane, leaving the table unchanged', async () => {
    const d = spawnLvsd();
    try {
      await waitReady(d);
      assert.equal(lvsadm(d.socket, '-A -t 127.0.0.1:80 -s rr').code, 0);
      assert.equal(lvsadm(d.socket, '-a -t 127.0.0.1:80 -r 198.51.100.7:80 -m').code, 0);
      const before = spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, '-Sn'], {
        encoding: 'utf8',
      });
      for (const [flag, what] of [
        ['-g', /direct routing \(-g\) needs the packet data plane/],
        ['-i', /tunnelling \(-i\) needs the packet data plane/],
      ] as const) {
        const add = lvsadm(d.socket, `-a -t 127.0.0.1:80 -r 198.51.100.8:80 ${flag}`);
        assert.equal(add.code, 255);
        assert.match(add.err, what);
        assert.match(add.err, /lvsd --dataplane packet/);
        // -e replaces the whole entry, so an edit without -m asks for DR and is refused too.
        const edit = lvsadm(d.socket, `-e -t 127.0.0.1:80 -r 198.51.100.7:80 ${flag} -w 0`);
        assert.equal(edit.code, 255);
      }
      const after = spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, '-Sn'], {
        encoding: 'utf8',
      });
      assert.equal(after.stdout, before.stdout);
      assert.match(after.stdout, /-a -t 127\.0\.0\.1:80 -r 198\.51\.100\.7:80 -m -w 1/);
    } finally {
      await d.stop();
    }
  });
});
