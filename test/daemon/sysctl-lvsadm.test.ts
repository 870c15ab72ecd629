/**
 * `lvsadm --sysctl [NAME[=VALUE]]` against an in-process lvsd over its real control socket: the
 * listing is `sysctl -a`'s net.ipv4.vs.* lines, a write goes through the daemon's apply and
 * changes the director's settings, and bad names, bad values and refused writes are coded errors
 * with exit codes 2 (usage) and 255 (refused by lvsd).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { lvsadm } from '../helpers/lvsadm-in-process.js';

describe('lvsadm --sysctl', () => {
  let dir: string;
  let socket: string;
  let d: Daemon;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-sysctl-'));
    socket = join(dir, 'lvsd.sock');
    d = await startDaemon({ socket, connTabBits: 8, tickMs: 1000, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every net.ipv4.vs value as sysctl -a prints them', async () => {
    const r = await lvsadm(socket, ['--sysctl']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.ok(
      lines.every((l) => /^net\.ipv4\.vs\.[a-z_]+ = \d+(\t\d+)?$/.test(l)),
      r.out,
    );
    assert.ok(lines.includes('net.ipv4.vs.expire_nodest_conn = 0'));
    assert.ok(lines.includes('net.ipv4.vs.sync_threshold = 3\t50'));
  });

  it('shows one value, by either spelling of its name', async () => {
    assert.deepEqual(await lvsadm(socket, ['--sysctl', 'conn_reuse_mode']), {
      code: 0,
      out: 'net.ipv4.vs.conn_reuse_mode = 1\n',
      err: '',
    });
    const r = await lvsadm(socket, ['--sysctl=net.ipv4.vs.run_estimation']);
    assert.equal(r.out, 'net.ipv4.vs.run_estimation = 1\n');
  });

  it('sets a value through the daemon, which the director then holds', async () => {
    const r = await lvsadm(socket, ['--sysctl', 'net.ipv4.vs.expire_nodest_conn=1']);
    assert.deepEqual(r, { code: 0, out: 'net.ipv4.vs.expire_nodest_conn = 1\n', err: '' });
    assert.equal(d.director.director.settings.get('expire_nodest_conn'), 1);
    assert.equal(d.director.director.settings.expireNodestConn, true);
    const s = await lvsadm(socket, ['--sysctl', 'sync_threshold=70 200']);
    assert.deepEqual(s, { code: 0, out: 'net.ipv4.vs.sync_threshold = 70\t200\n', err: '' });
    assert.equal(d.director.director.settings.syncPeriod, 200);
  });

  it('refuses unknown names and bad values before asking lvsd, with exit 2 and a code', async () => {
    for (const [arg, code] of [
      ['nonesuch', 'ERR_LVS_SYSCTL_UNKNOWN'],
      ['backup_only=1', 'ERR_LVS_SYSCTL_UNSUPPORTED'],
      ['sync_ports=12', 'ERR_LVS_SYSCTL_VALUE'],
      ['secure_tcp=', 'ERR_LVS_SYSCTL_VALUE'],
    ] as const) {
      const r = await lvsadm(socket, ['--sysctl', arg]);
      assert.equal(r.code, 2, arg);
      assert.equal(r.out, '');
      assert.match(r.err, new RegExp(`^lvsadm: --sysctl: .*\\(${code}\\)\\n$`));
    }
    assert.equal((await lvsadm(socket, ['--sysctl', 'a', 'b'])).code, 2);
  });

  it('reports a write lvsd refuses with its code and exit 255, changing nothing', async () => {
    const before = d.director.director.settings.sysctls();
    const r = await lvsadm(socket, ['--sysctl', 'sync_period=5']);
    assert.equal(r.code, 255);
    assert.match(r.err, /must be below sync_period 5 \(ERR_LVS_INVALID\)/);
    assert.deepEqual(d.director.director.settings.sysctls(), before);
  });
});
