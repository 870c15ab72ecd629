import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';
import { DNS_HEADER_LEN, decodeMessage } from '../../src/health/dns-codec.js';
import { DnsChecker } from '../../src/health/probes/dns.js';
import { PingChecker } from '../../src/health/probes/ping.js';
import { SimpleTcpChecker } from '../../src/health/probes/simpletcp.js';
import { SmtpChecker } from '../../src/health/probes/smtp.js';
import { TcpChecker } from '../../src/health/probes/tcp.js';
import { UdpChecker, type UdpTarget } from '../../src/health/probes/udp.js';
import { freePort } from './servers.js';

const ctx = { timeoutMs: 1000, part: 0 };

async function tcpServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer(onConn);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    close: () => {
      srv.close();
    },
  };
}

async function udpServer(onMsg: (m: Buffer, reply: (b: Uint8Array) => void) => void) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, rinfo) => onMsg(m, (b) => s.send(b, rinfo.port, rinfo.address)));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => s.close() };
}

test('TCP connect passes on a listening port and fails with ECONNREFUSED on a closed one', async () => {
  const srv = await tcpServer((s) => s.end());
  assert.equal((await new TcpChecker({ host: '127.0.0.1', port: srv.port }).check(ctx)).ok, true);
  srv.close();
  const r = await new TcpChecker({ host: '127.0.0.1', port: await freePort() }).check(ctx);
  assert.equal(r.ok, false);
  assert.match(r.message, /ECONNREFUSED/);
});

test('SMTP: multi-line 220 banner and 250 to HELO pass; the server sees HELO and QUIT', async () => {
  const seen: string[] = [];
  const srv = await tcpServer((s) => {
    s.write('220-mail.test ESMTP\r\n220 ready\r\n');
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      for (const line of d.split('\r\n').filter(Boolean)) {
        seen.push(line);
        if (line.startsWith('HELO')) s.write('250 mail.test\r\n');
        if (line === 'QUIT') s.end('221 bye\r\n');
      }
    });
  });
  const r = await new SmtpChecker({ host: '127.0.0.1', port: srv.port }, 'checker.test').check(ctx);
  await new Promise((res) => setTimeout(res, 50));
  srv.close();
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(seen, ['HELO checker.test', 'QUIT']);
});

test('SMTP: a 554 banner fails, and a silent server fails at the timeout', async () => {
  const bad = await tcpServer((s) => s.end('554 go away\r\n'));
  const r1 = await new SmtpChecker({ host: '127.0.0.1', port: bad.port }, 'x').check(ctx);
  bad.close();
  assert.equal(r1.ok, false);
  assert.match(r1.message, /bad banner/);
  const silent = await tcpServer(() => {});
  const r2 = await new SmtpChecker({ host: '127.0.0.1', port: silent.port }, 'x').check({
    timeoutMs: 200,
    part: 0,
  });
  silent.close();
  assert.equal(r2.ok, false);
  assert.match(r2.message, /no SMTP banner/);
});

test('simpletcp: request sent with \\n expanded, a received line must match receive', async () => {
  const srv = await tcpServer((s) =>
    s.on('data', (d) => s.end(String(d) === 'PING\n' ? 'hello\n+PONG\n' : '-ERR\n')),
  );
  const ok = await new SimpleTcpChecker({ host: '127.0.0.1', port: srv.port }, 'PING\\n', '^\\+PONG').check(
    ctx,
  );
  const no = await new SimpleTcpChecker({ host: '127.0.0.1', port: srv.port }, 'HI\\n', '^\\+PONG').check(
    ctx,
  );
  srv.close();
  assert.equal(ok.ok, true, ok.message);
  assert.equal(no.ok, false);
});

function udpTarget(port: number, over: Partial<UdpTarget> = {}): UdpTarget {
  return {
    host: '127.0.0.1',
    port,
    payload: Uint8Array.of(1, 2, 3),
    minReplyLength: 0,
    maxReplyLength: 255,
    ...over,
  };
}

test('UDP require_reply: a matching reply passes, X nibbles are wildcards, a wrong reply fails', async () => {
  const srv = await udpServer((m, reply) => reply(Uint8Array.of(0xab, 0x12, m[0] ?? 0)));
  const want = (bytes: number[], mask: number[]) => ({
    bytes: Uint8Array.from(bytes),
    mask: Uint8Array.from(mask),
  });
  const exact = await new UdpChecker(
    udpTarget(srv.port, { requireReply: want([0xab, 0x12, 1], [255, 255, 255]) }),
  ).check(ctx);
  const wild = await new UdpChecker(
    udpTarget(srv.port, { requireReply: want([0xa0, 0x12], [0xf0, 255]) }),
  ).check(ctx);
  const wrong = await new UdpChecker(udpTarget(srv.port, { requireReply: want([0xcd], [255]) })).check(ctx);
  const short = await new UdpChecker(
    udpTarget(srv.port, { requireReply: want([0xab], [255]), minReplyLength: 4 }),
  ).check(ctx);
  srv.close();
  assert.deepEqual([exact.ok, wild.ok, wrong.ok, short.ok], [true, true, false, false]);
});

test('UDP: ICMP port unreachable on the connected socket means down', async () => {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  s.close();
  const r = await new UdpChecker(udpTarget(port)).check(ctx);
  assert.equal(r.ok, false);
  assert.match(r.message, /port unreachable/);
  assert.ok(r.durationMs < 500, 'the ICMP error arrives long before the timeout');
});

test('UDP without require_reply: a silent listener passes once the timeout passes with no ICMP error', async () => {
  const srv = await udpServer(() => {});
  const r = await new UdpChecker(udpTarget(srv.port)).check({ timeoutMs: 200, part: 0 });
  srv.close();
  assert.equal(r.ok, true, r.message);
});

/** A tiny authoritative responder: `a.test` → A 192.0.2.7, anything else → NXDOMAIN. */
async function dnsServer() {
  return udpServer((m, reply) => {
    const q = decodeMessage(m);
    const qlen = m.length - DNS_HEADER_LEN;
    const nx = q.questions[0]?.name !== 'a.test';
    const out = Buffer.alloc(DNS_HEADER_LEN + qlen + (nx ? 0 : 16));
    m.copy(out, 0, 0, 2);
    out.writeUInt16BE(nx ? 0x8183 : 0x8180, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(nx ? 0 : 1, 6);
    m.copy(out, DNS_HEADER_LEN, DNS_HEADER_LEN);
    if (!nx)
      Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]).copy(out, DNS_HEADER_LEN + qlen);
    reply(out);
  });
}

test('DNS_CHECK against a UDP responder: RCODE 0 passes, NXDOMAIN fails, ldirectord receive checks the answer', async () => {
  const srv = await dnsServer();
  const dns = (name: string, expect?: string) =>
    new DnsChecker({
      host: '127.0.0.1',
      port: srv.port,
      name,
      queryType: 'A',
      ...(expect ? { expect } : {}),
    }).check(ctx);
  const ok = await dns('a.test');
  const nx = await dns('b.test');
  const match = await dns('a.test', '^192\\.0\\.2\\.7$');
  const miss = await dns('a.test', '^10\\.');
  srv.close();
  assert.equal(ok.ok, true, ok.message);
  assert.deepEqual([nx.ok, nx.message], [false, 'rcode 3']);
  assert.equal(match.ok, true);
  assert.equal(miss.ok, false);
});

test('PING_CHECK: 127.0.0.1 answers an echo; a missing ping binary fails with a clear message', async () => {
  const r = await new PingChecker('127.0.0.1').check({ timeoutMs: 2000, part: 0 });
  assert.equal(r.ok, true, r.message);
  const none = await new PingChecker('127.0.0.1', null, '/nonexistent/ping').check(ctx);
  assert.equal(none.ok, false);
  assert.match(none.message, /cannot run ping: ENOENT/);
});

test('PING_CHECK uses an injected in-process ICMP echo instead of spawning', async () => {
  const hosts: string[] = [];
  const icmp = {
    echo: async (h: string) => {
      hosts.push(h);
      return false;
    },
  };
  const r = await new PingChecker('127.0.0.1', icmp, '/nonexistent/ping').check(ctx);
  assert.deepEqual([r.ok, r.message, hosts], [false, 'no echo reply', ['127.0.0.1']]);
});
