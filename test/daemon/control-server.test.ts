/**
 * The control socket under clients that misbehave (issue: pipelined queries never read stalled
 * traffic and grew lvsd to gigabytes; 64 idle connections locked the operator out for 60 s; 100 k
 * invalid lines stalled traffic 0.75 s). A real Unix socket and a handler whose answers are
 * large, as a `list` of a 400×4 table is.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ControlServer, MAX_CONNECTIONS, startControlServer } from '../../src/daemon/control-server.js';
import { ClientError, connectClient } from '../../src/programs/lvsadm/client.js';
import { noDaemonLine } from '../../src/programs/lvsadm/main.js';

const BIG = 'x'.repeat(600 * 1024);
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvs-ctl-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function server(handle: (line: string) => string): Promise<ControlServer> {
  return startControlServer(join(dir, `s${n++}.sock`), handle);
}
function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A `status` query answered small, anything else with 600 KB.
const answer = (line: string) =>
  line.includes('"status"') ? `{"v":1,"id":1,"ok":true,"result":{}}\n` : `{"big":"${BIG}"}\n`;

describe('control socket backpressure and fairness', () => {
  it('a client pipelining queries it never reads gets answered only as fast as it reads', async () => {
    let handled = 0;
    const srv = await server((l) => {
      handled++;
      return answer(l);
    });
    const hog = await open(srv.path);
    hog.pause();
    try {
      hog.write('{"list":1}\n'.repeat(100));
      await sleep(500);
      // One or two answers fill what lvsd will buffer for it; the rest wait in its socket.
      assert.ok(handled <= 4, `${handled} answers built for a client that reads nothing`);
      // Another client is still served at once.
      const c = await connectClient(srv.path, 2000);
      const t0 = Date.now();
      const r = await c.request({ query: { op: 'status' } } as never);
      assert.equal(r.ok, true);
      assert.ok(Date.now() - t0 < 500, `${Date.now() - t0} ms for the second client`);
      c.close();
      // The hog reads: everything it asked for arrives.
      let lines = 0;
      hog.on('data', (d: Buffer) => {
        for (const b of d) if (b === 10) lines++;
      });
      hog.resume();
      for (let i = 0; i < 400 && lines < 100; i++) await sleep(50);
      assert.equal(lines, 100);
    } finally {
      hog.destroy();
      await srv.close();
    }
  });

  it('the queued work of a client that goes away is dropped', async () => {
    let handled = 0;
    const srv = await server((l) => {
      handled++;
      return answer(l);
    });
    const hog = await open(srv.path);
    hog.pause();
    hog.write('{"list":1}\n'.repeat(300));
    await sleep(200);
    hog.destroy();
    await sleep(300);
    const seen = handled;
    await sleep(300);
    assert.equal(handled, seen, 'still answering a closed client');
    assert.ok(handled < 10, `${handled}`);
    await srv.close();
  });

  it('40,000 invalid lines are answered in slices that leave the event loop free', async () => {
    // Each answer costs what a real one does (decode, look up, encode: tens of microseconds);
    // answering a whole 64 KB read of 8,000 lines at once would hold the loop 200 ms.
    const srv = await server(() => {
      const until = performance.now() + 0.025;
      while (performance.now() < until) {}
      return '{"v":1,"id":null,"ok":false,"error":{"code":"ERR_LVS_PROTO_JSON","message":"x"}}\n';
    });
    const s = await open(srv.path);
    let lines = 0;
    s.on('data', (d: Buffer) => {
      for (const b of d) if (b === 10) lines++;
    });
    // Gaps between 5 ms ticks while the answers are being made: answered in slices, nearly all
    // are short; answered a read at a time, every gap is a 200 ms block. The 90th percentile
    // tells the two apart even on a loaded machine, where single gaps can be long either way.
    const gaps: number[] = [];
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      if (lines < 40_000) gaps.push(now - last);
      last = now;
    }, 5);
    try {
      s.write('garbage\n'.repeat(40_000));
      for (let i = 0; i < 400 && lines < 40_000; i++) await sleep(50);
      assert.equal(lines, 40_000);
      gaps.sort((a, b) => a - b);
      const p90 = gaps[Math.floor(gaps.length * 0.9)] ?? Number.POSITIVE_INFINITY;
      assert.ok(p90 < 50, `90th percentile gap ${p90.toFixed(0)} ms over ${gaps.length} ticks`);
    } finally {
      clearInterval(tick);
      s.destroy();
      await srv.close();
    }
  });
});

describe('control connection limit', () => {
  it(`${MAX_CONNECTIONS} idle clients do not lock an operator out: the longest idle is evicted`, async () => {
    const srv = await server(answer);
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) idle.push(await open(srv.path));
      let firstClosed = false;
      idle[0]?.on('close', () => (firstClosed = true));
      const c = await connectClient(srv.path, 2000);
      const r = await c.request({ query: { op: 'status' } } as never);
      assert.equal(r.ok, true);
      c.close();
      await sleep(50);
      assert.equal(firstClosed, true, 'the oldest idle connection was not the one evicted');
    } finally {
      for (const s of idle) s.destroy();
      await srv.close();
    }
  });

  it('when every connection is busy a newcomer is told so, and lvsadm says lvsd is busy', async () => {
    const srv = await server(answer);
    const busy: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const s = await open(srv.path);
        s.pause();
        s.write('{"list":1}\n'.repeat(20));
        busy.push(s);
      }
      await sleep(300);
      const err = await connectClient(srv.path, 2000)
        .then(
          (c) => c.request({ query: { op: 'status' } } as never).then(() => assert.fail('served while busy')),
          (e: unknown) => e,
        )
        .catch((e: unknown) => e);
      assert.ok(err instanceof ClientError, String(err));
      assert.equal(err.code, 'ERR_LVSADM_BUSY');
      assert.match(
        noDaemonLine(err),
        /^lvsadm: lvsd is busy: 64 control clients are being served at .*; try again$/,
      );
    } finally {
      for (const s of busy) s.destroy();
      await srv.close();
    }
  });
});
