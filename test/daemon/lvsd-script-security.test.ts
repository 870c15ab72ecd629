/**
 * keepalived's script security in a real lvsd with real files (lib/notify.c
 * check_script_secure()): with `enable_script_security`, a MISC_CHECK script writable by others,
 * or in a world-writable directory, never runs and keepalived's lines are logged; without it the
 * same script runs with keepalived's warnings; `user nobody` runs the script as 65534. Each
 * script writes `id -u` to a file named after its argument, so what ran, and as whom, is read
 * back from the disk. Root only: the files must be root's for the check to pass, and setuid
 * needs root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnLvsd, tempDir } from './lvsd-process.js';

const notRoot =
  process.getuid?.() === 0
    ? undefined
    : 'needs root: scripts are checked for root ownership and run with setuid';
const noNobody =
  spawnSync('getent', ['passwd', 'nobody']).status === 0 ? undefined : 'the host has no user nobody';

const ID_SCRIPT =
  '#!/bin/sh\nid -u > "$(dirname "$0")/out/$1.tmp" && mv "$(dirname "$0")/out/$1.tmp" "$(dirname "$0")/out/$1"\n';

/** A directory of scripts: safe id.sh, world-writable ww.sh, and open/s.sh in a 0777 directory. */
function scripts(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'out'), { mode: 0o777 });
  chmodSync(join(dir, 'out'), 0o777);
  writeFileSync(join(dir, 'id.sh'), ID_SCRIPT, { mode: 0o755 });
  writeFileSync(join(dir, 'ww.sh'), ID_SCRIPT, { mode: 0o757 });
  chmodSync(join(dir, 'ww.sh'), 0o757);
  mkdirSync(join(dir, 'open'), { mode: 0o777 });
  chmodSync(join(dir, 'open'), 0o777);
  writeFileSync(join(dir, 'open', 's.sh'), `#!/bin/sh\nexec ${join(dir, 'id.sh')} "$@"\n`, { mode: 0o755 });
  return dir;
}

const real = (n: number, misc: string, extra = '') => `  real_server 198.51.100.${n} 80 {
    MISC_CHECK {
      misc_path "${misc}"
      misc_timeout 5
${extra}
    }
  }
`;

function conf(dir: string, secure: boolean): string {
  return `global_defs {
${secure ? '  enable_script_security\n' : ''}  script_user root
}
virtual_server 192.0.2.10 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
${real(2, `${dir}/ww.sh ww`)}${real(3, `${dir}/id.sh nobody`, '      user nobody')}${real(4, `${dir}/open/s.sh open`)}${real(5, `${dir}/id.sh root`)}}
`;
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const out = (dir: string, name: string) => {
  const p = join(dir, 'out', name);
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
};

describe('lvsd applies keepalived script security to MISC_CHECK', {
  timeout: 90_000,
  skip: notRoot ?? noNobody,
}, () => {
  it('refuses unsafe scripts with enable_script_security and runs `user nobody` as 65534', async () => {
    const dir = scripts();
    const cfg = join(dir, 'keepalived.conf');
    writeFileSync(cfg, conf(dir, true));
    const d = spawnLvsd(['--dataplane', 'none', '--sysctl-files', 'none', '--config', cfg], { dir });
    try {
      await until(
        'the root and nobody checks',
        () => out(dir, 'root') !== undefined && out(dir, 'nobody') !== undefined,
      );
      assert.equal(out(dir, 'root'), '0');
      assert.equal(out(dir, 'nobody'), '65534');
      // Two more check rounds: the refused scripts had their chance to run and did not.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(out(dir, 'ww'), undefined, 'the world-writable script ran');
      assert.equal(out(dir, 'open'), undefined, 'the script in a world-writable directory ran');
      const log = d.stderr();
      assert.match(log, new RegExp(`Unsafe permissions found for script '${dir}/ww.sh' - disabling\\.`));
      assert.match(log, new RegExp(`Disabling misc script '${dir}/ww.sh' 'ww' due to insecure`));
      assert.match(log, new RegExp(`Unsafe permissions found for script '${dir}/open/s.sh' - disabling\\.`));
      assert.doesNotMatch(log, /SECURITY VIOLATION/);
    } finally {
      await d.stop();
    }
  });

  it('runs the same unsafe scripts without enable_script_security, with keepalived warnings', async () => {
    const dir = scripts();
    const cfg = join(dir, 'keepalived.conf');
    writeFileSync(cfg, conf(dir, false));
    const d = spawnLvsd(['--dataplane', 'none', '--sysctl-files', 'none', '--config', cfg], { dir });
    try {
      await until('the unsafe checks', () => out(dir, 'ww') !== undefined && out(dir, 'open') !== undefined);
      assert.equal(out(dir, 'ww'), '0');
      const log = d.stderr();
      assert.match(log, new RegExp(`Unsafe permissions found for script '${dir}/ww.sh'\\.`));
      assert.match(
        log,
        /SECURITY VIOLATION - check scripts are being executed but script_security not enabled\. There are insecure scripts\./,
      );
    } finally {
      await d.stop();
    }
  });
});
