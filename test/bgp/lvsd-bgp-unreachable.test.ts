/**
 * `lvsd --bgp` with no BIRD behind the socket: lvsd starts and serves, logs the failure once with
 * its code however often it retries, writes the include anyway, and `lvsadm --bgp` shows the error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { type LvsdProc, spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';

const run = promisify(execFile);
let d: LvsdProc | undefined;
after(() => d?.stop());

async function lvsadm(socket: string, ...args: string[]) {
  return run(process.execPath, ['bin/lvsadm', '--socket', socket, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

test('without BIRD lvsd serves, logs ERR_LVS_BIRD_UNREACHABLE once, and lvsadm --bgp shows it', async () => {
  const dir = tempDir();
  const include = join(dir, 'lvs-vips.conf');
  d = spawnLvsd(
    [
      '--dataplane',
      'none',
      '--sysctl-files',
      'none',
      '--log-format',
      'json',
      '--bgp',
      '--bgp-include',
      include,
      '--bgp-socket',
      join(dir, 'no-bird.ctl'),
    ],
    { dir },
  );
  await waitReady(d);
  const add = await lvsadm(d.socket, '-A', '-t', '192.0.2.10:80');
  assert.equal(add.code, 0, add.stderr);
  // Several retries (every 2 s) and polls (every 3 s) pass.
  await new Promise((r) => setTimeout(r, 5000));
  const lines = d
    .stderr()
    .split('\n')
    .filter((l) => l.includes('ERR_LVS_BIRD_UNREACHABLE'));
  assert.equal(lines.length, 1, d.stderr());
  assert.match(lines[0] ?? '', /no such socket \(is BIRD running\?\)/);
  assert.match(readFileSync(include, 'utf8'), /protocol static lvs_vips \{\n {2}ipv4;\n\}/);
  const show = await lvsadm(d.socket, '--bgp');
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Error: .*no such socket.*\(ERR_LVS_BIRD_UNREACHABLE\)/);
  assert.match(show.stdout, /192\.0\.2\.10\/32\s+withheld\s+TCP 192\.0\.2\.10:80: no data plane/);
  const list = await lvsadm(d.socket, '-Ln');
  assert.match(list.stdout, /TCP {2}192\.0\.2\.10:80/);
});

test('lvsadm --bgp-drain answers ERR_LVS_NO_BGP from an lvsd without --bgp', async () => {
  const plain = spawnLvsd(['--dataplane', 'none', '--sysctl-files', 'none']);
  try {
    await waitReady(plain);
    const r = await lvsadm(plain.socket, '--bgp-drain');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERR_LVS_NO_BGP/);
    const bad = await lvsadm(plain.socket, '--bgp-drain', 'not-an-ip');
    assert.equal(bad.code, 2);
  } finally {
    await plain.stop();
  }
});
