/**
 * Includes that are not regular files (issue: a FIFO include blocked lvsd in open(2) on SIGHUP;
 * `include /dev/zero` grew `--check-config` to 2.9 GB): skipped as keepalived skips them, and the
 * configuration still loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsConfigIo } from '../../src/daemon/config-loader.js';

test('a FIFO, a device and a directory read as absent; a regular file reads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-inc-'));
  try {
    const fifo = join(dir, 'fifo.conf');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    writeFileSync(join(dir, 'ok.conf'), 'global_defs {\n}\n');
    const io = fsConfigIo();
    const t0 = Date.now();
    assert.equal(io.readFile(fifo), undefined);
    assert.equal(io.readFile('/dev/zero'), undefined);
    assert.equal(io.readFile(dir), undefined);
    assert.ok(Date.now() - t0 < 1000, 'reading a FIFO blocked');
    assert.equal(io.readFile(join(dir, 'ok.conf')), 'global_defs {\n}\n');
    // A glob over the directory finds the regular file only.
    assert.deepEqual(io.glob(join(dir, '*.conf')), [join(dir, 'ok.conf')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lvsd --check-config with include /dev/zero and a FIFO include finishes at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-inc-'));
  try {
    const fifo = join(dir, 'fifo.conf');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const main = join(dir, 'keepalived.conf');
    writeFileSync(main, `include /dev/zero\ninclude ${fifo}\nglobal_defs {\n  router_id x\n}\n`);
    const r = spawnSync(process.execPath, ['bin/lvsd', '--check-config', main], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.signal, null, 'lvsd --check-config was killed by the timeout');
    assert.notEqual(r.status, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
