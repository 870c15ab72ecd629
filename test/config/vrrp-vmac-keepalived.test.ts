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

function conf(line: string, name = 'VI_1', vrid = 51): string {
  return `vrrp_instance ${name} {\n  interface lvsts-none0\n  virtual_router_id ${vrid}\n  ${line}\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n`;
}

/** Texts of whole files: a name taken by an earlier instance. */
const FILES = [
  ...CASES.map((c) => conf(c)),
  conf('use_vmac vm1') + conf('use_vmac vm1', 'VI_2', 52),
  conf('use_vmac vm1') + conf('use_vmac vm2', 'VI_2', 52) + conf('use_vmac vm2 vm1', 'VI_3', 53),
];
const OURS = /VMAC|already using/;

test('use_vmac findings match keepalived -t, message and line, for each form of the keyword', {
  skip,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-kt-'));
  try {
    let seen = 0;
    for (const text of FILES) {
      const file = join(dir, 'k.conf');
      writeFileSync(file, text);
      const r = spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8', timeout: 20_000 });
      const theirs = `${r.stdout}${r.stderr}`
        .split('\n')
        .map((l) => /^\(.*: Line (\d+)\) (.*(?:VMAC|already using).*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} ${m[2]}`);
      const ours = parseKeepalived(file, memIo({ [file]: text }), {})
        .diagnostics.filter((d) => OURS.test(d.text))
        .map((d) => `${d.line} ${d.text}`);
      assert.deepEqual(ours, theirs, text);
      seen += theirs.length;
    }
    // keepalived reported something for most files: the comparison is not of two empty lists.
    assert.ok(seen >= 10, `keepalived reported ${seen} use_vmac findings`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
