/**
 * lvsd's proxy plane under a low RLIMIT_NOFILE (issue 16, found 1 and point 2's EMFILE): a UDP
 * burst from distinct source ports, or a pile of idle TCP clients, is held to the plane's
 * descriptor budget, refused with a count and a log line, while TCP clients and lvsadm are still
 * served, and everything recovers when the flows time out or the clients leave. Loopback only,
 * like the other lvsd proxy tests; the limit is set with prlimit(1) on the spawned lvsd.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusView } from '../../src/control/protocol.js';
import { probeSocket } from '../../src/daemon/control-server.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { tempDir } from '../daemon/lvsd-process.js';
import { freePort } from '../proxy/helpers.js';

const LIMIT = 256;

interface Director {
  proc: ChildProcess;
  socket: string;
  dir: string;
  log(): string;
}

async function startLowLimit(): Promise<Director> {
  const dir = tempDir();
  const socket = join(dir, 'lvsd.sock');
  const proc = spawn(
    'prlimit',
    [
      `--nofile=${LIMIT}:${LIMIT}`,
      process.execPath,
      'bin/lvsd',
      '--socket',
      socket,
      '--sysctl-files',
      'none',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const end = Date.now() + 20_000;
  while (!(await probeSocket(socket, 200))) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`lvsd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, socket, dir, log: () => log };
}

function lvsadm(d: Director, args: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, ...args.split(' ')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The daemon's status view; rejects after 5 s rather than hang on a daemon that cannot answer. */
async function status(d: Director): Promise<StatusView> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('lvsd did not answer a status query in 5 s')), 5000);
  });
  const ask = (async () => {
    const c = await connectClient(d.socket);
    try {
      const r = await c.request({ query: { q: 'status' } });
      assert.ok(r.ok && 'result' in r && r.result.q === 'status');
      return r.result.status;
    } finally {
      c.close();
    }
  })();
  try {
    return await Promise.race([ask, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls an async condition every 100 ms until it holds or `ms` pass. */
async function eventually(fn: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Connects, resolves with the backend's greeting line (or the error code), and disconnects. */
function fetchOnce(port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1');
    const done = (r: string) => {
      resolve(r);
      s.destroy();
    };
    s.setTimeout(5000, () => done(`timeout ${got}`));
    s.on('data', (b) => {
      got += b.toString();
      if (got.endsWith('\n')) done(got);
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code}`));
    s.on('close', () => done(got));
  });
}

/** Sends one datagram from a fresh socket and resolves with the reply, or '' after `ms`. */
async function udpAsk(port: number, text: string, ms = 3000): Promise<string> {
  const c = dgram.createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', r));
  try {
    return await new Promise<string>((resolve) => {
      const t = setTimeout(() => resolve(''), ms);
      c.once('message', (m) => {
        clearTimeout(t);
        resolve(m.toString());
      });
      c.send(text, port, '127.0.0.1');
    });
  } finally {
    c.close();
  }
}

describe('the proxy plane under a 256-descriptor limit', { timeout: 120_000 }, () => {
  let d: Director;
  let tcpBackend: net.Server;
  let echo: dgram.Socket;
  const held = new Set<net.Socket>();
  let vt = 0;
  let vu = 0;

  before(async () => {
    tcpBackend = net.createServer((s) => {
      held.add(s);
      s.on('close', () => held.delete(s));
      s.on('error', () => {});
      // "T\n" first, then an echo: a client that sends nothing stays connected and idle.
      s.write('T\n');
      s.pipe(s);
    });
    await new Promise<void>((r) => tcpBackend.listen(0, '127.0.0.1', r));
    echo = dgram.createSocket('udp4');
    echo.on('message', (m, ri) => echo.send(m, ri.port, ri.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    d = await startLowLimit();
    vt = await freePort();
    vu = await freePort();
    const bt = (tcpBackend.address() as net.AddressInfo).port;
    for (const a of [
      `-A -t 127.0.0.1:${vt} -s rr`,
      `-a -t 127.0.0.1:${vt} -r 127.0.0.1:${bt} -m`,
      `-A -u 127.0.0.1:${vu} -s rr`,
      `-a -u 127.0.0.1:${vu} -r 127.0.0.1:${echo.address().port} -m`,
      // udp timeout 3 s, so the burst's flows expire within the test.
      '--set 0 0 3',
    ])
      assert.equal(lvsadm(d, a).code, 0, a);
    assert.ok(await eventually(async () => (await status(d)).vips.every((v) => v.serving), 10_000));
  });

  after(async () => {
    d?.proc.kill('SIGKILL');
    for (const s of held) s.destroy();
    tcpBackend?.close();
    echo?.close();
    if (d) rmSync(d.dir, { recursive: true, force: true });
  });

  it('says its open-files limit and the plane budget at start', () => {
    assert.match(d.log(), /open files limit 256 \(soft limit raised to the hard limit at start\)/);
    assert.match(d.log(), /proxy plane file descriptors: up to \d+ of 256/);
  });

  it('a UDP burst from 400 source ports is held to the UDP share; TCP and lvsadm still served; it recovers', {
    timeout: 45_000,
  }, async () => {
    const pid = d.proc.pid as number;
    const senders: dgram.Socket[] = [];
    try {
      for (let i = 0; i < 400; i++) {
        const c = dgram.createSocket('udp4');
        await new Promise<void>((r) => c.bind(0, '127.0.0.1', r));
        c.send('x', vu, '127.0.0.1');
        senders.push(c);
      }
      await eventually(async () => ((await status(d)).plane?.drops.fd_limit_udp ?? 0) > 0, 5000);
    } finally {
      for (const c of senders) c.close();
    }
    assert.ok(fdCount(pid) < LIMIT - 64, `lvsd holds ${fdCount(pid)} descriptors, well inside ${LIMIT}`);
    for (let i = 0; i < 5; i++) assert.equal(await fetchOnce(vt), 'T\n', 'TCP clients are still served');
    const ln = lvsadm(d, '-Ln');
    assert.equal(ln.code, 0, ln.err);
    const st = await status(d);
    assert.ok((st.plane?.drops.fd_limit_udp ?? 0) >= 100, JSON.stringify(st.plane?.drops));
    assert.equal(st.plane?.drops.fd_limit_tcp, 0);
    assert.match(d.log(), /proxy plane at its file-descriptor budget: new connections or UDP flows refused/);
    // One line, not one per datagram.
    assert.ok((d.log().match(/at its file-descriptor budget/g) ?? []).length <= 2);
    // The flows time out (udp 3 s) and a new client gets its answer again.
    assert.ok(
      await eventually(async () => (await udpAsk(vu, 'again', 1000)) === 'again', 15_000),
      'a new UDP client is served once the burst has timed out',
    );
  });

  it('idle TCP clients past the budget are reset; existing ones keep flowing; lvsadm answers; it resumes when they leave', {
    timeout: 45_000,
  }, async () => {
    const pid = d.proc.pid as number;
    const first = net.connect(vt, '127.0.0.1');
    first.on('error', () => {});
    const lines: string[] = [];
    first.on('data', (b) => lines.push(b.toString()));
    assert.ok(await eventually(async () => lines.join('') === 'T\n', 5000));
    const idle: net.Socket[] = [];
    let reset = 0;
    for (let i = 0; i < 150; i++) {
      const s = net.connect(vt, '127.0.0.1');
      s.on('error', () => {
        reset++;
      });
      s.on('close', () => {});
      idle.push(s);
    }
    try {
      assert.ok(await eventually(async () => reset > 0, 10_000), 'clients past the budget are reset');
      assert.ok(fdCount(pid) < LIMIT - 32, `lvsd holds ${fdCount(pid)} descriptors`);
      // The connection made before still relays.
      first.write('ping');
      assert.ok(
        await eventually(async () => lines.join('').endsWith('ping'), 5000),
        'existing connection flows',
      );
      const ln = lvsadm(d, '-Ln');
      assert.equal(ln.code, 0, ln.err);
      const st = await status(d);
      assert.ok((st.plane?.drops.fd_limit_tcp ?? 0) > 0, JSON.stringify(st.plane?.drops));
      assert.equal(st.plane?.drops.local_error, 0, 'no EMFILE reached the relay');
    } finally {
      for (const s of idle) s.destroy();
      first.destroy();
    }
    assert.ok(
      await eventually(async () => (await fetchOnce(vt)) === 'T\n', 10_000),
      'new clients are served once the idle ones have left',
    );
  });
});
