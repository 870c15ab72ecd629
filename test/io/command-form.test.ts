/**
 * commandForm: the bare program name only when the shell's PATH lookup finds this package's own
 * script (as after `npm link`), else `node SCRIPT`; and the real answer actually runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { type CommandFormEnv, commandForm, processCommandFormEnv } from '../../src/io/command-form.js';
import { VERSION_LINE } from '../../src/ipvsadm/usage.js';

/** A made-up file system: `links` maps a path to the file it finally names. */
function fakeEnv(path: string, links: Record<string, string>, cwd = '/home/u/lvs-ts'): CommandFormEnv {
  return {
    path,
    cwd,
    binDir: '/home/u/lvs-ts/bin',
    realpath: (p) => links[p] ?? (p.startsWith('/home/u/lvs-ts/bin/') ? p : undefined),
  };
}

test('a bare name when PATH finds this package (npm link symlinks)', () => {
  const env = fakeEnv('/usr/local/bin:/usr/bin', {
    '/usr/local/bin/lvsadm': '/home/u/lvs-ts/bin/lvsadm',
  });
  assert.equal(commandForm('lvsadm', env), 'lvsadm');
});

test('node and a relative script path when PATH has no lvsadm and the shell is in the checkout', () => {
  assert.equal(commandForm('lvsadm', fakeEnv('/usr/bin:/bin', {})), 'node bin/lvsadm');
});

test('an absolute script path outside the checkout, or when asked for one', () => {
  assert.equal(
    commandForm('lvsd', fakeEnv('/usr/bin', {}, '/home/u/lvs-ts/test')),
    'node /home/u/lvs-ts/bin/lvsd',
  );
  assert.equal(commandForm('lvsd', fakeEnv('/usr/bin', {}, '/tmp')), 'node /home/u/lvs-ts/bin/lvsd');
  assert.equal(commandForm('lvsd', fakeEnv('/usr/bin', {}), true), 'node /home/u/lvs-ts/bin/lvsd');
});

test('not the bare name when PATH first finds another program of that name', () => {
  const env = fakeEnv('/opt/other/bin:/usr/local/bin', {
    '/opt/other/bin/lvsd': '/opt/other/lib/lvsd',
    '/usr/local/bin/lvsd': '/home/u/lvs-ts/bin/lvsd',
  });
  assert.equal(commandForm('lvsd', env), 'node bin/lvsd');
});

test('quotes a script path the shell would split', () => {
  const env = { ...fakeEnv('/usr/bin', {}, '/tmp'), binDir: "/home/u/my lvs's/bin" };
  assert.equal(commandForm('lvsd', env), `node '/home/u/my lvs'\\''s/bin/lvsd'`);
});

test('the answer for this process runs lvsadm, bare through a linked PATH too', () => {
  const real = processCommandFormEnv();
  assert.equal(real.binDir.replace(/\/$/, ''), resolve('bin'));
  const run = (form: string, path: string) =>
    spawnSync('sh', ['-c', `${form} -v`], { encoding: 'utf8', env: { ...process.env, PATH: path } });
  const noLink = `${process.env.PATH ?? ''}`;
  const form = commandForm('lvsadm', { ...real, path: noLink });
  assert.equal(run(form, noLink).stdout, `${VERSION_LINE}\n`);
  // What `npm link` does: a symlink to bin/lvsadm in a PATH directory.
  const dir = mkdtempSync(join(tmpdir(), 'lvs-cmdform-'));
  mkdirSync(join(dir, 'bin'));
  symlinkSync(resolve('bin/lvsadm'), join(dir, 'bin', 'lvsadm'));
  const linked = `${join(dir, 'bin')}:${noLink}`;
  assert.equal(commandForm('lvsadm', { ...real, path: linked }), 'lvsadm');
  assert.equal(run('lvsadm', linked).stdout, `${VERSION_LINE}\n`);
});
