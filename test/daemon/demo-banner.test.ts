/**
 * The quick-start banner's lvsadm commands work as printed, from another terminal in any
 * directory (issue 20, point 4): they never use npx (npm adds over a second a call) and run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { startDemo } from '../../src/daemon/demo.js';
import { VERSION_LINE } from '../../src/ipvsadm/usage.js';

test('the demo banner prints lvsadm commands that run from any directory', async () => {
  const demo = await startDemo({ port: 18080 });
  try {
    const banner = demo.banner('/tmp/demo-banner.sock');
    const lines = banner.split('\n').filter((l) => /lvsadm -L|lvsadm -e/.test(l));
    assert.equal(lines.length, 4, banner);
    for (const l of lines) assert.doesNotMatch(l, /\bnpx\b/);
    // "LVSD_SOCKET=/tmp/demo-banner.sock node /…/bin/lvsadm -Ln   # …": the part before the options.
    const form = /^\s*LVSD_SOCKET=\S+ (.*?) -Ln\s/.exec(lines[0] ?? '')?.[1];
    assert.ok(form, lines[0]);
    const r = spawnSync('sh', ['-c', `${form} -v`], { cwd: tmpdir(), encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.stdout, `${VERSION_LINE}\n`, r.stderr);
  } finally {
    await demo.close();
  }
});
