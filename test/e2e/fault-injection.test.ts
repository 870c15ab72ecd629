/**
 * Fault injection on the proxy plane (issue #16 point 3): one virtual service, two real servers
 * with HTTP_GET checks, and real server B made to fail in each way a real one does: SYNs
 * blackholed and connections reset (nftables in the namespace), a server that accepts and never
 * answers, one that answers slowly, and one that dies mid-transfer. For each: what the client
 * sees (curl, inside the namespace), how fast the health check takes B out, and that nothing
 * leaks (lvsd's open fds back to where they were, no conn left in an open state). Root only;
 * everything lives in a namespace of its own.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Lvsd, startLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const VIP = '192.0.2.20';
const A = '198.51.100.21';
const B = '198.51.100.22';
const PORT = 8080;

// A real server by mode: `ok` answers at once, `hold` accepts and never answers, `slow` answers
// /slow after 1.5 s (its health page at / stays quick, as a slow application's does), `big` streams 8 MB in 64 KB chunks every 20 ms (about 2.5 s).
const SERVER = `
const net = require('node:net');
const http = require('node:http');
const [addr, port, mode] = process.argv.slice(1);
if (mode === 'hold') {
  net.createServer((s) => { s.on('error', () => {}); }).listen(Number(port), addr);
} else {
  http.createServer((q, s) => {
    if (mode === 'slow' && q.url === '/slow') return setTimeout(() => s.end('slow ' + addr), 1500);
    if (mode === 'big' && q.url === '/big') {
      s.writeHead(200, { 'content-length': String(128 * 65536) });
      let n = 0;
      const t = setInterval(() => { s.write(Buffer.alloc(65536, 120)); if (++n === 128) { clearInterval(t); s.end(); } }, 20);
      s.on('close', () => clearInterval(t));
      return;
    }
    s.end('ok ' + addr);
  }).listen(Number(port), addr);
}
`;

const CONF = `global_defs {
    router_id LVS_FAULTS
}
virtual_server ${VIP} 80 {
    delay_loop 1
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server ${A} ${PORT} {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server ${B} ${PORT} {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
}
`;

const skip = netnsSkipReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fault injection on the proxy plane', { skip, timeout: 480_000 }, () => {
  let ns: Netns;
  let dir: string;
  let lvsd: Lvsd;
  let serverA: ChildProcess;
  let serverB: ChildProcess | undefined;

  const lvsadm = (...args: string[]): string => {
    const r = ns.exec('f', [process.execPath, 'bin/lvsadm', '--socket', lvsd.socket, ...args], 20_000);
    assert.equal(r.status, 0, `lvsadm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const fds = (): number => readdirSync(`/proc/${lvsd.proc.pid}/fd`).length;
  /** Conns not yet closed: every state but TIME_WAIT, CLOSE and the FIN states' tail. */
  const openConns = (): number =>
    lvsadm('-Lnc')
      .split('\n')
      .slice(2)
      .filter((l) => /ESTABLISHED|SYN_RECV|SYN_SENT|NONE/.test(l)).length;
  const hasB = (): boolean => lvsadm('-Ln').includes(`${B}:${PORT}`);
  const startB = (mode: string): void => {
    serverB = ns.spawn('f', [process.execPath, '-e', SERVER, B, String(PORT), mode]);
  };
  const stopB = async (): Promise<void> => {
    if (!serverB || serverB.exitCode !== null || serverB.signalCode !== null) return;
    const gone = new Promise((r) => serverB?.once('exit', r));
    serverB.kill('SIGKILL');
    await gone;
  };
  /** Waits until `cond` holds; returns the ms it took. */
  const until = async (cond: () => boolean, ms: number, what: string): Promise<number> => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms\n${lvsd.log().slice(-1500)}`);
      await sleep(100);
    }
    return Date.now() - t0;
  };
  /** `n` curl requests at once; each result: HTTP code (0: none), seconds and curl's exit code. */
  const requests = async (
    n: number,
    path = '/',
    maxTime = 10,
  ): Promise<{ code: number; secs: number; exit: number }[]> =>
    Promise.all(
      Array.from({ length: n }, () => {
        const c = ns.spawn('f', [
          'curl',
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code} %{time_total}',
          '--max-time',
          String(maxTime),
          `http://${VIP}${path}`,
        ]);
        let out = '';
        c.stdout?.on('data', (d) => (out += d));
        return new Promise<{ code: number; secs: number; exit: number }>((r) =>
          // 'close', not 'exit': curl's -w line may still be in the pipe when it exits.
          c.once('close', (exit) => {
            const [code = '0', secs = '0'] = out.trim().split(' ');
            r({ code: Number(code), secs: Number(secs), exit: exit ?? -1 });
          }),
        );
      }),
    );
  /** Waits until something listens on `addr`:PORT (curl gets past the connect: not exit 7). */
  const listening = async (addr: string): Promise<void> => {
    await until(
      () =>
        ns.exec('f', ['curl', '-s', '-o', '/dev/null', '--max-time', '0.3', `http://${addr}:${PORT}/`], 5_000)
          .status !== 7,
      15_000,
      `a server listening on ${addr}`,
    );
  };
  /** Restores B as a healthy server and waits for the check to bring it back. */
  const healthyB = async (): Promise<void> => {
    ns.exec('f', ['nft', 'flush', 'ruleset']);
    await stopB();
    startB('ok');
    await until(hasB, 15_000, 'B back in the table');
  };

  before(async () => {
    ns = createNetns({ namespaces: ['f'] });
    for (const a of [VIP, A, B]) ns.ip('f', 'addr', 'add', `${a}/32`, 'dev', 'lo');
    dir = mkdtempSync(join(tmpdir(), 'lvs-faults-'));
    serverA = ns.spawn('f', [process.execPath, '-e', SERVER, A, String(PORT), 'ok']);
    startB('ok');
    lvsd = startLvsd(ns, 'f', dir, 'lvsd', CONF, ['--dataplane', 'proxy']);
    await until(
      () => {
        const r = ns.exec('f', [process.execPath, 'bin/lvsadm', '--socket', lvsd.socket, '-Ln'], 10_000);
        return r.status === 0 && r.stdout.includes(`${A}:${PORT}`) && r.stdout.includes(`${B}:${PORT}`);
      },
      30_000,
      'lvsd up with both real servers',
    );
    // Warm the relay so the fd baseline includes what the first connections open once.
    await requests(4);
  });

  // A test that failed half-way must not leave its fault for the next one.
  beforeEach(() => {
    ns.exec('f', ['nft', 'flush', 'ruleset']);
  });

  after(() => {
    serverA?.kill('SIGKILL');
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a real server that blackholes SYNs: every request still succeeds (retried after the connect timeout), and the check takes it out', async (t) => {
    const base = fds();
    const r = ns.exec('f', [
      'sh',
      '-c',
      `nft add table inet f && nft add chain inet f in '{ type filter hook input priority 0; }' && nft add rule inet f in ip daddr ${B} tcp dport ${PORT} tcp flags syn drop`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const t0 = Date.now();
    const [res, out] = await Promise.all([requests(6), until(() => !hasB(), 10_000, 'B taken out')]);
    t.diagnostic(
      `blackhole: ${res.filter((x) => x.code === 200).length}/6 ok, slowest ${Math.max(...res.map((x) => x.secs))} s; B out ${out} ms after the fault (${Date.now() - t0} ms in all)`,
    );
    assert.ok(
      res.every((x) => x.code === 200),
      JSON.stringify(res),
    );
    await healthyB();
    await until(() => openConns() === 0, 15_000, 'no open conn left');
    await until(() => fds() <= base + 2, 15_000, `fds back to ${base}`);
  });

  it('a real server that resets connections: every request succeeds at once (retried), and the check takes it out', async (t) => {
    const base = fds();
    const r = ns.exec('f', [
      'sh',
      '-c',
      `nft add table inet f && nft add chain inet f in '{ type filter hook input priority 0; }' && nft add rule inet f in ip daddr ${B} tcp dport ${PORT} reject with tcp reset`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const t0 = Date.now();
    const res = await requests(6);
    assert.ok(
      res.every((x) => x.code === 200),
      JSON.stringify(res),
    );
    assert.ok(Math.max(...res.map((x) => x.secs)) < 3, `a reset is retried at once: ${JSON.stringify(res)}`);
    await until(() => !hasB(), 10_000, 'B taken out');
    t.diagnostic(
      `reset: 6/6 ok, slowest ${Math.max(...res.map((x) => x.secs))} s; B out after ${Date.now() - t0} ms`,
    );
    await healthyB();
    await until(() => openConns() === 0, 15_000, 'no open conn left');
    await until(() => fds() <= base + 2, 15_000, `fds back to ${base}`);
  });

  it('a real server that accepts and never answers: the check takes it out, clients sent there time out, and nothing leaks', async (t) => {
    const base = fds();
    await stopB();
    startB('hold');
    await listening(B);
    const t0 = Date.now();
    const out = await until(() => !hasB(), 10_000, 'B taken out');
    t.diagnostic(`hold: B out after ${out} ms`);
    // Once out, every request reaches A.
    const res = await requests(6);
    assert.ok(
      res.every((x) => x.code === 200),
      JSON.stringify(res),
    );
    // A client that was sent to B before the check acted waits (L4 cannot know), then gives up:
    // put B back by hand and see one such client time out and its conn go away.
    lvsadm('-a', '-t', `${VIP}:80`, '-r', `${B}:${PORT}`, '-m', '-w', '1');
    const held = await requests(2, '/', 2);
    assert.ok(
      held.some((x) => x.code === 0),
      `one of two rr requests reached the silent server: ${JSON.stringify(held)}`,
    );
    t.diagnostic(`hold: ${Date.now() - t0} ms in all`);
    await healthyB();
    await until(() => openConns() === 0, 20_000, 'no open conn left');
    await until(() => fds() <= base + 2, 15_000, `fds back to ${base}`);
  });

  it('a slow real server: requests sent there succeed, slowly, and its quick health page keeps it in', async (t) => {
    await stopB();
    startB('slow');
    await listening(B);
    await until(hasB, 15_000, 'B in the table');
    const res = await requests(4, '/slow');
    assert.ok(
      res.every((x) => x.code === 200),
      JSON.stringify(res),
    );
    const slowest = Math.max(...res.map((x) => x.secs));
    assert.ok(slowest >= 1.4, `two of four went to the slow server: ${JSON.stringify(res)}`);
    assert.ok(hasB(), 'B stays in');
    t.diagnostic(`slow: 4/4 ok, slowest ${slowest} s; B stayed in`);
    await healthyB();
  });

  it('a real server that dies mid-transfer: the client sees the transfer cut short at once, not a hang, and nothing leaks', async (t) => {
    const base = fds();
    await stopB();
    serverA.kill('SIGKILL');
    serverA = ns.spawn('f', [process.execPath, '-e', SERVER, A, String(PORT), 'big']);
    startB('big');
    await listening(A);
    await listening(B);
    await until(() => hasB() && lvsadm('-Ln').includes(`${A}:${PORT}`), 15_000, 'A and B in the table');
    const pending = requests(2, '/big', 20);
    await sleep(800);
    const t0 = Date.now();
    await stopB();
    const res = await pending;
    t.diagnostic(`mid-transfer: ${JSON.stringify(res)}; both done ${Date.now() - t0} ms after the kill`);
    // rr sent one download to each server: A's completes, B's ends in a curl error (18: partial
    // file, or 56: receive failure) well before its 20 s limit, not in a hang.
    assert.deepEqual(
      res.map((x) => x.exit === 0).sort(),
      [false, true],
      `one download cut, one complete: ${JSON.stringify(res)}`,
    );
    const cut = res.find((x) => x.exit !== 0);
    assert.ok(cut && cut.exit !== 28, `the cut download failed, not timed out: ${JSON.stringify(cut)}`);
    serverA.kill('SIGKILL');
    serverA = ns.spawn('f', [process.execPath, '-e', SERVER, A, String(PORT), 'ok']);
    await healthyB();
    await until(() => openConns() === 0, 20_000, 'no open conn left');
    await until(() => fds() <= base + 2, 15_000, `fds back to ${base}`);
  });
});
