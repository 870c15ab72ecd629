/**
 * Native accept (native/tcp_acceptor.c): clients accepted in batches by C, scheduled by JS once
 * per batch, connected by C. Checked against the JS accept path where order matters: the same
 * clients, one after another, meet the same real servers in the same order under rr and wrr.
 * Skips, saying why, only where the addon cannot be built.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { loadRelayBinding } from '../../src/io/proxy/native-relay.js';
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
  svcConfig,
  tcpKey,
  until,
} from '../proxy/helpers.js';

const b = loadRelayBinding();
const skip = b instanceof Error ? b.message : false;
if (skip) console.log(`native accept tests skipped: ${skip}`);

let r: Rig;
let A: Backend;
let B: Backend;
let C: Backend;
before(async () => {
  if (skip) return;
  r = rig({ connectTimeoutMs: 1000 });
  [A, B, C] = await Promise.all([backend('A'), backend('B'), backend('C')]);
});
after(async () => {
  if (skip) return;
  await r.close();
  await Promise.all([A.close(), B.close(), C.close()]);
});

/** Backend names met by `n` sequential clients on a fresh plane accepting in `accept`. */
async function sequence(accept: 'js' | 'native', sched: string, weights: number[], n: number) {
  const saved = process.env.LVS_PROXY_RELAY;
  // JS accept with the JS relay: one process holds one native relay context, owned by `r`.
  if (accept === 'js') process.env.LVS_PROXY_RELAY = 'js';
  const x = accept === 'js' ? rig() : r;
  if (saved === undefined) delete process.env.LVS_PROXY_RELAY;
  else process.env.LVS_PROXY_RELAY = saved;
  try {
    assert.equal(x.plane.tcp.acceptKind, accept);
    const ports = [A.port, B.port, C.port];
    const port = await addProxyService(
      x,
      sched,
      weights.map((w, i) => [ports[i] as number, w] as [number, number]),
    );
    return await names(port, n);
  } finally {
    if (x !== r) await x.close();
  }
}

test('rr and wrr meet the real servers in the same order as the JS accept path', { skip }, async () => {
  for (const [sched, weights] of [
    ['rr', [1, 1, 1]],
    ['wrr', [3, 2, 1]],
    ['wlc', [2, 1, 1]],
  ] as const) {
    const js = await sequence('js', sched, [...weights], 12);
    const native = await sequence('native', sched, [...weights], 12);
    assert.deepEqual(native, js, sched);
  }
});

test('300 clients at once are accepted in batches, all served, spread exactly by rr', { skip }, async () => {
  const port = await addProxyService(r, 'rr', [
    [A.port, 1],
    [B.port, 1],
    [C.port, 1],
  ]);
  const s0 = r.plane.tcp.acceptStats();
  assert.ok(s0);
  const n0 = r.plane.tcp.counters.native;
  const got = await Promise.all(Array.from({ length: 300 }, () => greet(port)));
  const per: Record<string, number> = {};
  for (const g of got) per[g.name] = (per[g.name] ?? 0) + 1;
  assert.deepEqual(per, { A: 100, B: 100, C: 100 });
  const s1 = r.plane.tcp.acceptStats();
  assert.ok(s1);
  assert.equal(s1.clients - s0.clients, 300);
  // One JS call per wakeup: some wakeups carried several clients.
  assert.ok(s1.batches - s0.batches < 300, `batches ${s1.batches - s0.batches} for 300 clients`);
  assert.equal(r.plane.tcp.counters.native - n0, 300);
  for (const g of got) g.sock.destroy();
});

test('a refused connect is retried on another server and the client counts once', { skip }, async () => {
  const dead = await freePort();
  const vport = await freePort();
  r.table.addService(tcpKey(vport), svcConfig('rr'));
  r.table.addDest(tcpKey(vport), dest(dead));
  r.table.addDest(tcpKey(vport), dest(A.port));
  r.plane.sync();
  const c0 = { ...r.plane.tcp.counters };
  assert.deepEqual(await names(vport, 6), ['A', 'A', 'A', 'A', 'A', 'A']);
  const c = r.plane.tcp.counters;
  assert.ok(c.connectFailures - c0.connectFailures >= 3, 'rr sent some clients to the dead server');
  assert.equal(c.retries - c0.retries, c.connectFailures - c0.connectFailures);
  const svc = r.table.find(tcpKey(vport));
  assert.ok(svc);
  const conns = (p: number) => svc.dests.find((d) => d.port === p)?.stats.view().conns;
  assert.equal(svc.stats.view().conns, 6, 'six clients, six conns on the service');
  assert.equal(conns(A.port), 6);
  assert.equal(conns(dead), 0);
});

test('a client no server takes after a failed connect is reset', { skip }, async () => {
  const dead = await freePort();
  const vport = await freePort();
  r.table.addService(tcpKey(vport), svcConfig('rr'));
  r.table.addDest(tcpKey(vport), dest(dead));
  r.plane.sync();
  const err = await new Promise<string>((res) => {
    const s = net.connect({ port: vport, host: '127.0.0.1' });
    s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
    s.on('close', () => res('closed'));
  });
  assert.equal(err, 'ECONNRESET');
  assert.ok(await until(() => r.plane.tcp.liveConnections === 0));
});

/** A backend that answers each connection with all it got, hex, once it ends with `hello`. */
async function recorder(): Promise<Backend> {
  return backend('rec', (s) => {
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.subarray(-5).toString() === 'hello') s.end(`${got.toString('hex')}\n`);
    });
  });
}

test('the PROXY protocol header (v1 and v2) reaches the real server before the client bytes', {
  skip,
}, async () => {
  for (const pp of [1, 2] as const) {
    const hello = Buffer.from('hello');
    const rec = await recorder();
    try {
      const vport = await freePort();
      r.table.addService(tcpKey(vport), svcConfig('rr'));
      r.table.addDest(tcpKey(vport), dest(rec.port, 1, { proxyProtocol: pp }));
      r.plane.sync();
      const line = await new Promise<string>((res, rej) => {
        const s = net.connect({ port: vport, host: '127.0.0.1' }, () => s.write(hello));
        let buf = '';
        s.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) {
            res(buf.trim());
            s.destroy();
          }
        });
        s.on('error', rej);
      });
      const got = Buffer.from(line, 'hex');
      if (pp === 1) {
        assert.match(
          got.toString(),
          new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${vport}\\r\\nhello`),
        );
      } else {
        assert.deepEqual(got.subarray(0, 12), Buffer.from('0d0a0d0a000d0a515549540a', 'hex'));
        assert.equal(got[12], 0x21);
        assert.equal(got[13], 0x11);
        assert.equal(got.readUInt16BE(26), vport);
        assert.equal(got.subarray(28).toString(), 'hello');
      }
    } finally {
      await rec.close();
    }
  }
});
