import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileChecker } from '../../src/health/probes/file.js';
import { MiscChecker, runAsOf } from '../../src/health/probes/misc.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-misc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ctx = { timeoutMs: 2000, part: 0 };
const sh = (code: string) => ['/bin/sh', '-c', code];

/** Running (a zombie left for a non-reaping PID 1 counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('MISC_CHECK: exit 0 passes, exit 1 fails, a missing program fails with ENOENT', async () => {
  assert.equal((await new MiscChecker(sh('exit 0'), false).check(ctx)).ok, true);
  const r1 = await new MiscChecker(sh('exit 1'), false).check(ctx);
  assert.deepEqual([r1.ok, r1.message], [false, 'exit 1']);
  const r2 = await new MiscChecker(['/nonexistent/check'], false).check(ctx);
  assert.equal(r2.ok, false);
  assert.match(r2.message, /ENOENT/);
});

test('misc_dynamic: exit 2..255 passes with weight status-2, exit 1 fails, non-dynamic exit 7 fails', async () => {
  const r = await new MiscChecker(sh('exit 7'), true).check(ctx);
  assert.deepEqual([r.ok, r.weight], [true, 5]);
  assert.equal((await new MiscChecker(sh('exit 255'), true).check(ctx)).weight, 253);
  assert.equal((await new MiscChecker(sh('exit 1'), true).check(ctx)).ok, false);
  assert.equal((await new MiscChecker(sh('exit 7'), false).check(ctx)).ok, false);
});

test('MISC_CHECK timeout kills the script and its children and fails', async () => {
  const pidFile = join(dir, 'pids');
  // The shell starts a child sleeper; both must die with the process group.
  const argv = sh(`sleep 30 & echo $$ $! > ${pidFile}; wait`);
  const t0 = Date.now();
  const r = await new MiscChecker(argv, false).check({ timeoutMs: 300, part: 0 });
  assert.equal(r.ok, false);
  assert.match(r.message, /timed out after 300 ms, killed/);
  assert.ok(Date.now() - t0 < 2000);
  const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
  await new Promise((res) => setTimeout(res, 100));
  for (const p of pids) assert.equal(alive(p), false, `pid ${p} still alive`);
});

test('a script ignoring SIGTERM is SIGKILLed 2 s later', async () => {
  const pidFile = join(dir, 'stubborn');
  const argv = sh(`trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done`);
  const r = await new MiscChecker(argv, false).check({ timeoutMs: 200, part: 0 });
  assert.equal(r.ok, false);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(existsSync(pidFile));
  assert.equal(alive(pid), false);
});

test('FILE_CHECK: value × weight becomes the weight offset; reverse negates; a missing file reads 0', async () => {
  const f = join(dir, 'track');
  writeFileSync(f, '3\n');
  assert.equal((await new FileChecker(f, 2, false).check(ctx)).weightOffset, 6);
  assert.equal((await new FileChecker(f, 2, true).check(ctx)).weightOffset, -6);
  const missing = await new FileChecker(join(dir, 'nope'), 5, false).check(ctx);
  assert.deepEqual([missing.ok, missing.weightOffset], [true, 0]);
  writeFileSync(f, '-2147483648\n');
  assert.equal((await new FileChecker(f, 1, false).check(ctx)).ok, false, 'INT32_MIN is a fault');
});

test('a script runs as the uid:gid the daemon resolved, else numeric user/group as written, else as lvsd', () => {
  assert.deepEqual(runAsOf({ command: 'c', argv: ['c'], user: 'nobody', uid: 65534, gid: 65534 }), {
    uid: 65534,
    gid: 65534,
  });
  assert.deepEqual(runAsOf({ command: 'c', argv: ['c'], user: '1000', group: '100' }), {
    uid: 1000,
    gid: 100,
  });
  // A uid alone must not keep lvsd's gid 0: the group defaults to the same number.
  assert.deepEqual(runAsOf({ command: 'c', argv: ['c'], user: '1000' }), { uid: 1000, gid: 1000 });
  assert.deepEqual(runAsOf({ command: 'c', argv: ['c'], user: 'nobody' }), {});
  assert.deepEqual(runAsOf({ command: 'c', argv: ['c'] }), {});
});

test('MISC_CHECK runs as the given uid:gid (root only)', {
  skip: process.getuid?.() === 0 ? false : 'needs root to setuid',
}, async () => {
  const d = mkdtempSync(join(tmpdir(), 'lvs-misc-as-'));
  try {
    // The temp dir is root's 0700: opened up so the script, run as 65534, can write its answer.
    chmodSync(d, 0o777);
    const out = join(d, 'id');
    const r = await new MiscChecker(['/bin/sh', '-c', `{ id -u; id -g; id -G; } > ${out}`], false, {
      uid: 65534,
      gid: 65534,
    }).check({ timeoutMs: 5000, part: 0 });
    assert.equal(r.ok, true, r.message);
    // uid, gid, and no supplementary group of lvsd's left (keepalived set_script_env(): setgroups).
    assert.equal(readFileSync(out, 'utf8'), '65534\n65534\n65534\n');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
