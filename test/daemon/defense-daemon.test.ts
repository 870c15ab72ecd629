/**
 * The defense timer of a running lvsd: once per period it reads available memory (a fake here),
 * runs update_defense_level() on the director, says in the log when a defense engages and
 * disengages, and `lvsadm --sysctl` / `--status` show the modes the kernel would show.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { StatusView } from '../../src/control/protocol.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { FakeMemorySource } from '../../src/io/host/fake-memory-source.js';
import { lvsadm } from '../helpers/lvsadm-in-process.js';

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lvsd defense timer', () => {
  let dir: string;
  let socket: string;
  let d: Daemon;
  const mem = new FakeMemorySource(1_000_000);
  const lines: { level: number; msg: string; availableKiB?: number; amemthreshPages?: number }[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-defense-'));
    socket = join(dir, 'lvsd.sock');
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    d = await startDaemon({
      socket,
      connTabBits: 8,
      tickMs: 1000,
      logger: pino({ level: 'info' }, sink),
      memory: mem,
      defenseMs: 20,
    });
  });
  after(async () => {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const status = () => {
    const r = d.query({ q: 'status' });
    assert.equal(r.q, 'status');
    return (r as { status: StatusView }).status;
  };

  it('engages drop_entry when memory falls below amemthresh and disengages when it recovers, logging both', async () => {
    assert.deepEqual(await lvsadm(socket, ['--sysctl', 'drop_entry=1']), {
      code: 0,
      out: 'net.ipv4.vs.drop_entry = 1\n',
      err: '',
    });
    mem.kib = 1000; // 250 pages, below the default 1024
    await until('drop_entry engaged', () => status().defense?.active.includes('drop_entry') === true);
    assert.equal((await lvsadm(socket, ['--sysctl', 'drop_entry'])).out, 'net.ipv4.vs.drop_entry = 2\n');
    const on = lines.find((l) => l.msg === 'defense engaged: drop_entry');
    assert.ok(on, JSON.stringify(lines));
    assert.equal(on.level, 40);
    assert.equal(on.availableKiB, 1000);
    assert.equal(on.amemthreshPages, 1024);
    const st = await lvsadm(socket, ['-L', '--status']);
    assert.match(st.out, /defenses in force: drop_entry;/);
    mem.kib = 1_000_000;
    await until('drop_entry disengaged', () => status().defense?.active.length === 0);
    assert.equal((await lvsadm(socket, ['--sysctl', 'drop_entry'])).out, 'net.ipv4.vs.drop_entry = 1\n');
    assert.ok(lines.some((l) => l.msg === 'defense disengaged: drop_entry' && l.level === 30));
    assert.equal(lines.filter((l) => l.msg.startsWith('defense engaged')).length, 1);
  });

  it('an unreadable meminfo keeps the last measurement', async () => {
    mem.kib = undefined;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(status().defense?.active, []);
    assert.equal(status().defense?.availableKiB, undefined);
  });

  it('conn_max is a sysctl lvsadm sets and --status reports', async () => {
    assert.equal((await lvsadm(socket, ['--sysctl', 'conn_max=2'])).out, 'net.ipv4.vs.conn_max = 2\n');
    assert.equal(d.director.director.settings.connMax, 2);
    assert.equal(status().defense?.connMax, 2);
    assert.match(
      (await lvsadm(socket, ['-L', '--status'])).out,
      /connections 0 \(conn_max 2\), defenses in force: none;/,
    );
  });
});
