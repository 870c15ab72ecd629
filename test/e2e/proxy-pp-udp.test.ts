import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { SVC_F } from '../../src/core/types.js';
import {
  type Backend,
  backend,
  dest,
  freePort,
  type Rig,
  rig,
  svcConfig,
  tcpKey,
  udpKey,
  until,
} from '../proxy/helpers.js';

let r: Rig;
before(() => {
  r = rig();
});
after(() => r.close());

/** A backend that records the first bytes it receives, then closes. */
async function recorder(): Promise<{ b: Backend; first: Promise<Buffer> }> {
  let done: (b: Buffer) => void = () => {};
  const first = new Promise<Buffer>((res) => {
    done = res;
  });
  const b = await backend('rec', (s) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => {
      done(Buffer.concat(parts));
      s.end();
    });
  });
  return { b, first };
}

/** Connects to the VIP, sends `hello`, half-closes, and returns the client's local port. */
async function sendHello(port: number): Promise<number> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((res) => sock.on('connect', () => res()));
  const local = sock.localPort as number;
  sock.end('hello');
  sock.resume();
  return local;
}

for (const v of [1, 2] as const) {
  test(`the real server receives an exact PROXY v${v} header before the client's bytes`, async () => {
    const { b, first } = await recorder();
    const port = await freePort();
    r.table.addService(tcpKey(port), svcConfig('rr'));
    r.table.addDest(tcpKey(port), dest(b.port, 1, { proxyProtocol: v }));
    r.plane.sync();
    const cport = await sendHello(port);
    const got = await first;
    const expected =
      v === 1
        ? Buffer.from(`PROXY TCP4 127.0.0.1 127.0.0.1 ${cport} ${port}\r\n`)
        : Buffer.concat([
            Buffer.from('0d0a0d0a000d0a515549540a2111000c7f0000017f000001', 'hex'),
            Buffer.from([cport >> 8, cport & 255, port >> 8, port & 255]),
          ]);
    assert.equal(got.toString('hex'), Buffer.concat([expected, Buffer.from('hello')]).toString('hex'));
    await b.close();
  });
}

/** A UDP echo server that prefixes replies with its name. */
async function udpEcho(name: string): Promise<{ sock: dgram.Socket; port: number; peers: Set<number> }> {
  const sock = dgram.createSocket('udp4');
  const peers = new Set<number>();
  sock.on('message', (m, ri) => {
    peers.add(ri.port);
    sock.send(Buffer.concat([Buffer.from(`${name}:`), m]), ri.port, ri.address);
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  return { sock, port: sock.address().port, peers };
}

async function udpService(port: number, flags: number, ports: number[]): Promise<void> {
  r.table.addService(udpKey(port), svcConfig('rr', { flags }));
  for (const p of ports) r.table.addDest(udpKey(port), dest(p, 1));
  r.plane.sync();
  await until(() => r.plane.status().some((s) => s.service === `UDP 127.0.0.1:${port}` && s.served));
}

/** Sends datagrams from one client socket and collects replies with their source port. */
async function exchange(port: number, msgs: string[]): Promise<{ text: string; from: number }[]> {
  const c = dgram.createSocket('udp4');
  const out: { text: string; from: number }[] = [];
  c.on('message', (m, ri) => out.push({ text: m.toString(), from: ri.port }));
  await new Promise<void>((res) => c.bind(0, '127.0.0.1', res));
  for (const m of msgs) {
    c.send(m, port, '127.0.0.1');
    const n = out.length;
    await until(() => out.length > n, 2000);
  }
  c.close();
  return out;
}

test('UDP echo goes through one flow per client and replies come from the VIP', async () => {
  const [X, Y] = await Promise.all([udpEcho('X'), udpEcho('Y')]);
  const port = await freePort();
  await udpService(port, 0, [X.port, Y.port]);
  const got = await exchange(port, ['a', 'b', 'c']);
  assert.equal(got.length, 3);
  assert.ok(got.every((g) => g.from === port));
  const names = new Set(got.map((g) => g.text.split(':')[0]));
  assert.equal(names.size, 1, 'one client stays on one real server while its flow lives');
  assert.deepEqual(
    got.map((g) => g.text.split(':')[1]),
    ['a', 'b', 'c'],
  );
  const svc = r.table.find(udpKey(port));
  const d = svc?.dests.find((x) => x.inactConns === 1);
  assert.equal(d?.activeConns, 0, 'UDP entries count as InActConn');
  X.sock.close();
  Y.sock.close();
});

test('a UDP flow ends after the udp timeout, and the next datagram is scheduled afresh', async () => {
  const [X, Y] = await Promise.all([udpEcho('X'), udpEcho('Y')]);
  const port = await freePort();
  await udpService(port, 0, [X.port, Y.port]);
  r.director.settings.setTimeouts(0, 0, 1);
  try {
    const c = dgram.createSocket('udp4');
    const got: string[] = [];
    c.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((res) => c.bind(0, '127.0.0.1', res));
    c.send('one', port, '127.0.0.1');
    assert.ok(await until(() => got.length === 1));
    const svc = r.table.find(udpKey(port));
    const inact = () => (svc?.dests ?? []).reduce((n, d) => n + d.inactConns, 0);
    assert.equal(inact(), 1);
    assert.ok(await until(() => inact() === 0, 4000), 'entry expired after 1 s idle');
    c.send('two', port, '127.0.0.1');
    assert.ok(await until(() => got.length === 2));
    // rr moved on, so the new flow went to the other server.
    assert.notEqual(got[0]?.split(':')[0], got[1]?.split(':')[0]);
    c.close();
  } finally {
    r.director.settings.setTimeouts(0, 0, 300);
    X.sock.close();
    Y.sock.close();
  }
});

test('one-packet scheduling (-o) schedules every datagram on its own', async () => {
  const [X, Y] = await Promise.all([udpEcho('X'), udpEcho('Y')]);
  const port = await freePort();
  await udpService(port, SVC_F.ONEPACKET, [X.port, Y.port]);
  const got = await exchange(port, ['1', '2', '3', '4']);
  assert.deepEqual(
    got.map((g) => g.text.split(':')[0]),
    ['Y', 'X', 'Y', 'X'],
  );
  const svc = r.table.find(udpKey(port));
  assert.equal(svc?.stats.view().conns, 4);
  assert.equal(
    (svc?.dests ?? []).reduce((n, d) => n + d.inactConns, 0),
    0,
    'OPS entries are not kept',
  );
  X.sock.close();
  Y.sock.close();
});

test('UDP bytes are counted as the kernel counts them: IP length, 20 + 8 + payload per IPv4 datagram, both ways', async () => {
  const X = await udpEcho('X');
  try {
    const port = await freePort();
    await udpService(port, 0, [X.port]);
    // Four 7-byte datagrams in; each reply is 'X:' + 7 bytes = 9 bytes out.
    const got = await exchange(port, ['datagr1', 'datagr2', 'datagr3', 'datagr4']);
    assert.equal(got.length, 4);
    const svc = r.table.find(udpKey(port));
    const v = () => svc?.stats.view();
    assert.ok(await until(() => v()?.outpkts === 4));
    assert.equal(v()?.inpkts, 4);
    assert.equal(v()?.inbytes, 4 * (20 + 8 + 7), 'ip_vs_in_stats adds skb->len: 140, not the payload 28');
    assert.equal(v()?.outbytes, 4 * (20 + 8 + 9));
  } finally {
    X.sock.close();
  }
});
