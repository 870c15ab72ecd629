/**
 * The `use_vmac` findings agree with keepalived 2.2.7's own (`keepalived -t`, Debian's build, as
 * the oracle): the same message for each malformed argument, at the same line. Skips when
 * keepalived is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { memIo } from './mem-io.js';

const hasKeepalived = spawnSync('keepalived', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasKeepalived ? undefined : 'keepalived is not installed';
if (skip) console.log(`# skipping the keepalived -t use_vmac oracle: ${skip}`);

const CASES = [
  'use_vmac',
  'use_vmac vmac51',
  'use_vmac vmac51 02:11:22:33:44:55',
  'use_vmac 02:11:22:33:44',
  'use_vmac bad/name',
  'use_vmac abcdefghijklmnopq',
  'use_vmac 00:00:5e:00:01:33',
  'use_vmac 00:00:5e:00:02:33',
  'use_vmac 01:00:5e:00:00:01',
  'use_vmac 02:11:22:33',
  'use_vmac 02:11:22:33:44:5g',
  'use_vmac a b',
  'use_vmac 02:11:22:33:44:55 02:11:22:33:44:66',
];

function conf(line: string): string {
  return `vrrp_instance VI_1 {\n  interface lvsts-none0\n  virtual_router_id 51\n  ${line}\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n`;
}

test('use_vmac findings match keepalived -t, message and line, for each form of the keyword', {
  skip,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-kt-'));
  try {
    for (const c of CASES) {
      const file = join(dir, 'k.conf');
      writeFileSync(file, conf(c));
      const r = spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8', timeout: 20_000 });
      const theirs = `${r.stdout}${r.stderr}`
        .split('\n')
        .map((l) => /^\(.*: Line (\d+)\) (.*VMAC.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} ${m[2]}`);
      const ours = parseKeepalived(file, memIo({ [file]: conf(c) }), {})
        .diagnostics.filter((d) => /VMAC/.test(d.text))
        .map((d) => `${d.line} ${d.text}`);
      assert.deepEqual(ours, theirs, c);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
