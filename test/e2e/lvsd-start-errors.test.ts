/**
 * lvsd's start failures as an operator meets them: one plain line on stderr with what to do, no
 * JSON log line and no stack unless `--log-level debug`. Run as `nobody` through setpriv
 * (util-linux), so the test needs root to drop to that user.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../daemon/lvsd-process.js';

const isRoot = process.geteuid?.() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const skip = !isRoot
  ? 'needs root to run lvsd as nobody'
  : !haveSetpriv
    ? 'setpriv (util-linux) missing'
    : undefined;
if (skip) console.log(`# lvsd-start-errors skipped: ${skip}`);
const dir = tempDir();
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));

function asNobody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, 'bin/lvsd', ...args],
      { env: { ...process.env, LVSD_SOCKET: '' }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 255) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('as nobody, a control socket under /run fails in one plain line with the fix, no stack', async (t) => {
  if (skip) return void t.skip(skip);
  const socket = `/run/lvs-ts-test-${process.pid}.sock`;
  const r = await asNobody(['--socket', socket]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `lvsd: cannot create the control socket ${socket}: permission denied (run lvsd as root, or choose a path this user may write with --socket or LVSD_SOCKET)\n`,
  );
  const debug = await asNobody(['--socket', socket, '--log-level', 'debug']);
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^lvsd: cannot create the control socket /m);
  assert.match(debug.stderr, /"stack":"Error: listen EACCES/, 'the stack is there for debugging');
});

test('as nobody, the packet plane names the missing privilege: root or CAP_NET_RAW and CAP_NET_ADMIN', async (t) => {
  if (skip) return void t.skip(skip);
  const r = await asNobody(['--socket', join(dir, 'p.sock'), '--dataplane', 'packet', '--interface', 'lo']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'lvsd: cannot open the packet socket on lo (bind: EPERM): the packet data plane needs root, or CAP_NET_RAW and CAP_NET_ADMIN\n',
  );
});
