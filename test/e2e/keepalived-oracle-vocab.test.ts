/**
 * `lvsd --check-config` against the installed `keepalived -t` (Debian's 2.2.7) on the two parity
 * points of issue 20: a missing file (same words; keepalived exits 0, lvsd 4 on purpose, as the
 * README says) and a missing interface (a WARNING in keepalived, so a warning in lvsd, exit 5).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../daemon/lvsd-process.js';
import { runBin } from './config-helpers.js';

const haveKeepalived = spawnSync('keepalived', ['--version']).status === 0;
const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function keepalivedT(file: string): { code: number | null; out: string } {
  const r = spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("a missing file: keepalived's words, and exit 4 where keepalived -t exits 0 (documented)", async (t) => {
  const file = join(dir, 'nonexistent.conf');
  const lvsd = await runBin('lvsd', ['--check-config', file]);
  assert.equal(lvsd.code, 4, 'lvsd refuses to run a missing file, so its check says so');
  assert.match(
    lvsd.stderr,
    new RegExp(`^${file}:0: fatal: Config files missing '${file}'\\. \\(ERR_CONFIG_FILE_NOT_FOUND\\)$`, 'm'),
  );
  if (!haveKeepalived) return void t.skip('keepalived is not installed: the oracle half is not run');
  const k = keepalivedT(file);
  assert.equal(k.code, 0, k.out);
  assert.ok(k.out.includes(`Config files missing '${file}'.`), k.out);
});

test('a missing interface is a warning at its line, as keepalived -t reports it, and both exit 5', async (t) => {
  const file = join(dir, 'noif.conf');
  writeFileSync(
    file,
    [
      'vrrp_instance VI_1 {',
      '    state MASTER',
      '    interface lvsnosuch0',
      '    virtual_router_id 51',
      '    priority 100',
      '    virtual_ipaddress {',
      '        192.0.2.10',
      '    }',
      '}',
      '',
    ].join('\n'),
  );
  const lvsd = await runBin('lvsd', ['--check-config', file]);
  assert.equal(lvsd.code, 5, lvsd.stderr);
  assert.match(
    lvsd.stderr,
    new RegExp(
      `^${file}:3: warning: interface lvsnosuch0 for vrrp_instance VI_1 doesn't exist \\(ERR_CONFIG_NO_INTERFACE\\)$`,
      'm',
    ),
  );
  if (!haveKeepalived) return void t.skip('keepalived is not installed: the oracle half is not run');
  const k = keepalivedT(file);
  assert.equal(k.code, 5, k.out);
  assert.match(k.out, /Line 3\) WARNING - interface lvsnosuch0 for vrrp_instance VI_1 doesn't exist/);
});
