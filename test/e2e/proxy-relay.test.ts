import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { proxyRefusal } from '../../src/dataplane/proxy-plane/refusal.js';
import { addProxyService } from '../helpers/proxy-service.js';
import {
  type Backend,
  backend,
  dest,
  freePort,
  greet,
  names,
  type Rig,
  rig,
  sleep,
  svcConfig,
  tcpKey,
  until,
} from '../proxy/helpers.js';

let r: Rig;
let A: Backend;
let B: Backend;

before(async () => {
  r = rig({ connectTimeoutMs: 1000 });
  [A, B] = await Promise.all([backend('A'), backend('B')]);
});
after(async () => {
  await r.close();
  await Promise.all([A.close(), B.close()]);
});

const service = (sched: string, ds: [number, number][]) => addProxyService(r, sched, ds);

/** Sends `line` and resolves with the echoed text. */
function echo(sock: net.Socket, line: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const on = (d: Buffer) => {
      got += d.toString();
      if (got.length >= line.length) {
        sock.off('data', on);
        resolve(got);
      }
    };
    sock.on('data', on);
    sock.write(line);
  });
}

test('weight 0 drains: the open connection lives, new ones avoid the server', async () => {
  const port = await service('rr', [
    [A.port, 1],
    [B.port, 1],
  ]);
  const held = await greet(port);
  r.table.editDest(tcpKey(port), dest(held.name === 'A' ? A.port : B.port, 0));
  const others = await names(port, 4);
  assert.ok(others.every((n) => n !== held.name));
  assert.equal(await echo(held.sock, 'still here'), 'still here');
  held.sock.destroy();
});

test('a deleted destination keeps its open connection until it closes', async () => {
  const port = await service('rr', [
    [A.port, 1],
    [B.port, 1],
  ]);
  const held = await greet(port);
  r.table.delDest(tcpKey(port), { addr: '127.0.0.1', port: held.name === 'A' ? A.port : B.port }, Date.now());
  await sleep(1200); // a director tick passes
  assert.equal(await echo(held.sock, 'ping'), 'ping');
  assert.ok((await names(port, 3)).every((n) => n !== held.name));
  held.sock.destroy();
});

test('expire_nodest_conn closes connections of a deleted destination', async () => {
  const port = await service('rr', [[A.port, 1]]);
  const held = await greet(port);
  const closed = new Promise<void>((res) => held.sock.on('close', () => res()));
  held.sock.on('error', () => {});
  r.director.setSysctl('expire_nodest_conn', 1);
  try {
    r.table.delDest(tcpKey(port), { addr: '127.0.0.1', port: A.port }, Date.now());
    await closed;
  } finally {
    r.director.setSysctl('expire_nodest_conn', 0);
  }
});

test('ActiveConn, InActConn, conns and bytes follow the traffic', async () => {
  const port = await service('rr', [[A.port, 1]]);
  const d = r.table.find(tcpKey(port))?.dests[0];
  const h = await greet(port);
  assert.equal(d?.activeConns, 1);
  await echo(h.sock, 'x'.repeat(1000));
  const ended = new Promise<void>((res) => h.sock.on('end', () => res()));
  h.sock.end();
  await ended;
  // Both FINs seen: the entry stays in TIME_WAIT and counts as inactive, as in the kernel.
  assert.ok(await until(() => d?.activeConns === 0 && d?.inactConns === 1));
  const v = d?.stats.view();
  assert.equal(v?.conns, 1);
  assert.equal(v?.inbytes, 1000);
  assert.equal(v?.outbytes, 1002);
  assert.ok((v?.inpkts ?? 0) >= 1 && (v?.outpkts ?? 0) >= 2);
});

test('a 100 MB transfer keeps its sha256 in both directions, with half-close', async () => {
  const port = await service('rr', [[A.port, 1]]);
  const { sock } = await greet(port);
  const total = 100 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024);
  const hin = createHash('sha256');
  const hout = createHash('sha256');
  let got = 0;
  sock.on('data', (d: Buffer) => {
    hout.update(d);
    got += d.length;
  });
  const ended = new Promise<void>((res) => sock.on('end', () => res()));
  for (let i = 0; i < 100; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 7919 + j * 31) >>> 0, j);
    hin.update(chunk);
    if (!sock.write(Buffer.from(chunk))) await new Promise((res) => sock.once('drain', res));
  }
  sock.end(); // half-close: the echo server ends its side only after echoing everything
  await ended;
  assert.equal(got, total);
  assert.equal(hout.digest('hex'), hin.digest('hex'));
});

test('a reset from the real server reaches the client as a reset', async () => {
  const R = await backend('R', (s) => s.once('data', () => s.resetAndDestroy()));
  const port = await service('rr', [[R.port, 1]]);
  const sock = net.connect(port, '127.0.0.1');
  const err = await new Promise<NodeJS.ErrnoException>((res) => {
    sock.on('error', res);
    sock.on('connect', () => sock.write('boom'));
  });
  assert.equal(err.code, 'ECONNRESET');
  await R.close();
});

test('a failed connect is counted and scheduled once more to another server', async () => {
  const dead = await freePort();
  const port = await service('rr', [
    [A.port, 1],
    [dead, 1],
  ]);
  const before = r.plane.tcp.counters.connectFailures;
  const got = await names(port, 4);
  assert.deepEqual(got, ['A', 'A', 'A', 'A']);
  // rr's pointer always moves from A onto the dead server, so every client hits it once.
  assert.equal(r.plane.tcp.counters.connectFailures - before, 4);
  // The log names the server as keepalived writes it.
  assert.ok(
    r.logs.some(
      (l) => l.startsWith('connect to real server failed') && l.includes(`"dest":"[127.0.0.1]:${dead}"`),
    ),
    r.logs.join('\n'),
  );
});

test('the upper threshold (-x) stops new connections until the load drops', async () => {
  const port = await freePort();
  r.table.addService(tcpKey(port), svcConfig('rr'));
  r.table.addDest(tcpKey(port), dest(B.port, 1));
  r.table.addDest(tcpKey(port), dest(A.port, 1, { uThreshold: 1 }));
  r.plane.sync();
  const first = await greet(port);
  assert.equal(first.name, 'A');
  assert.deepEqual(await names(port, 3), ['B', 'B', 'B']);
  first.sock.destroy();
});

test('idle connections close after the ESTABLISHED timeout that --set changes', async () => {
  const port = await service('rr', [[A.port, 1]]);
  r.director.settings.setTimeouts(1, 0, 0);
  try {
    const { sock } = await greet(port);
    sock.on('error', () => {});
    const t0 = Date.now();
    await new Promise<void>((res) => sock.on('close', () => res()));
    assert.ok(Date.now() - t0 < 4000);
  } finally {
    r.director.settings.setTimeouts(900, 0, 0);
  }
});

test('a busy port is reported, then served once it is free', async () => {
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((res) => squatter.listen(port, '127.0.0.1', res));
  r.table.addService(tcpKey(port), svcConfig('rr'));
  r.table.addDest(tcpKey(port), dest(A.port, 1));
  r.plane.sync();
  const st = () => r.plane.status().find((s) => s.service === `TCP 127.0.0.1:${port}`);
  assert.deepEqual(st(), { service: `TCP 127.0.0.1:${port}`, served: false, reason: 'EADDRINUSE' });
  await new Promise<void>((res) => squatter.close(() => res()));
  assert.ok(await until(() => st()?.served === true));
  assert.deepEqual(await names(port, 1), ['A']);
});

test('a VIP that is not local stays in the table and is reported unserved', async () => {
  r.table.addService(tcpKey(80, '192.0.2.1'), svcConfig('rr'));
  r.table.addService({ kind: 'fwmark', af: 4, fwmark: 7 }, svcConfig('rr'));
  r.plane.sync();
  const st = r.plane.status();
  assert.deepEqual(
    st.find((s) => s.service === 'TCP 192.0.2.1:80'),
    { service: 'TCP 192.0.2.1:80', served: false, reason: 'EADDRNOTAVAIL' },
  );
  assert.equal(st.find((s) => s.service === 'FWM 7')?.served, false);
  assert.ok(r.logs.some((l) => l.includes('EADDRNOTAVAIL')));
});

test('deleting one service leaves other services and its own open connections running', async () => {
  const p1 = await service('rr', [[A.port, 1]]);
  const p2 = await service('rr', [[B.port, 1]]);
  const h1 = await greet(p1);
  const h2 = await greet(p2);
  r.table.delService(tcpKey(p1), Date.now());
  r.plane.sync();
  assert.equal(await echo(h1.sock, 'one'), 'one');
  assert.equal(await echo(h2.sock, 'two'), 'two');
  await assert.rejects(greet(p1));
  h1.sock.destroy();
  h2.sock.destroy();
});

test('direct routing and tunnel destinations are refused, naming the packet data plane', () => {
  const svc = tcpKey(80);
  const addr = '198.51.100.9';
  assert.match(
    proxyRefusal({ op: 'add-dest', service: svc, dest: dest(80, 1, { fwd: 3, addr }) }) ?? '',
    /packet/,
  );
  assert.match(
    proxyRefusal({ op: 'edit-dest', service: svc, dest: dest(80, 1, { fwd: 2, addr }) }) ?? '',
    /packet/,
  );
  assert.equal(
    proxyRefusal({ op: 'add-dest', service: svc, dest: dest(80, 1, { fwd: 0, addr }) }),
    undefined,
  );
  assert.equal(
    proxyRefusal({ op: 'add-dest', service: svc, dest: dest(80, 1, { fwd: 5, addr }) }),
    undefined,
  );
});
