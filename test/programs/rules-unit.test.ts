/**
 * packaging/systemd/lvsd-rules.service's own commands, run as systemd would run them (its
 * Environment= lines, /bin/sh -c) against real lvsds: ExecStop saves the table with lvsadm -S,
 * ExecStart restores it into a fresh lvsd with lvsadm -C and -R, and does nothing without a file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';

const UNIT = readFileSync('packaging/systemd/lvsd-rules.service', 'utf8');
const BIN = join(process.cwd(), 'test/programs/fixtures-bin');

/** The value of `Key=` (the first), with the installed path replaced by this checkout's lvsadm. */
function line(key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(UNIT);
  assert.ok(m?.[1], `${key}= in the unit`);
  return m[1].replaceAll('/usr/local/bin/', `${BIN}/`);
}

/** Runs an Exec line's `/bin/sh -c '...'` with the unit's RULES and the test's socket. */
function exec(key: 'ExecStart' | 'ExecStop', socket: string, rules: string): void {
  const m = /^\/bin\/sh -c '(.*)'$/.exec(line(key));
  assert.ok(m?.[1], `${key} is a /bin/sh -c command`);
  const r = spawnSync('/bin/sh', ['-c', m[1]], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, LVSD_SOCKET: socket, RULES: rules },
  });
  assert.equal(r.status, 0, `${key}: ${r.stderr}`);
}

function lvsadm(socket: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', socket, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('lvsd-rules.service', { timeout: 60_000 }, () => {
  it('names the rules file and socket lvsd.service uses', () => {
    assert.equal(line('Environment=RULES').replace(/^RULES=/, ''), '/var/lib/lvsd/lvsd.rules');
    assert.match(UNIT, /^Environment=LVSD_SOCKET=\/run\/lvsd\/lvsd\.sock$/m);
    assert.match(
      readFileSync('packaging/systemd/lvsd.service', 'utf8'),
      /^Environment=LVSD_SOCKET=\/run\/lvsd\/lvsd\.sock$/m,
    );
  });

  it('saves the table at stop and restores it into the next lvsd', async () => {
    const dir = tempDir();
    const rules = join(dir, 'lvsd.rules');
    const a = spawnLvsd(['--dataplane', 'none'], { dir, socket: join(dir, 'a.sock') });
    try {
      await waitReady(a);
      // Nothing saved yet: ExecStart leaves the table alone and succeeds.
      exec('ExecStart', a.socket, rules);
      lvsadm(a.socket, '-A', '-t', '192.0.2.10:80', '-s', 'wrr');
      lvsadm(a.socket, '-a', '-t', '192.0.2.10:80', '-r', '198.51.100.2:80', '-m', '-w', '3');
      lvsadm(a.socket, '-A', '-u', '192.0.2.10:53');
      exec('ExecStop', a.socket, rules);
      assert.ok(existsSync(rules) && !existsSync(`${rules}.new`));
      assert.equal(readFileSync(rules, 'utf8'), lvsadm(a.socket, '-S', '-n'));
      const before = lvsadm(a.socket, '-Ln');
      a.proc.kill('SIGTERM');
      await a.exited;

      const b = spawnLvsd(['--dataplane', 'none'], { dir, socket: join(dir, 'b.sock') });
      try {
        await waitReady(b);
        lvsadm(b.socket, '-A', '-t', '203.0.113.1:80');
        exec('ExecStart', b.socket, rules);
        // -C first: what the new lvsd held is replaced, not merged.
        assert.equal(lvsadm(b.socket, '-Ln'), before);
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
    }
  });
});
