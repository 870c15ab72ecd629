/**
 * bin/lvsadm loads its bundle with the V8 code cache the build made (bin/load-bundle.cjs,
 * scripts/bundle-lvsadm.mjs). The cache may only make lvsadm faster: these check that the build's
 * cache is used, and that a launcher whose cache is absent, made for another build, or corrupt
 * still runs lvsadm with the same output and no word on stderr.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const BUNDLE = resolve('dist/programs/lvsadm/lvsadm.cjs');
const CACHE = `${BUNDLE}.v8-cache`;

/** How bin/load-bundle.cjs loads `bundle` in a fresh `node` (flags as an operator's shell has them). */
function cacheState(bundle: string): string {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `process.stdout.write(require('./bin/load-bundle.cjs').loadBundle(${JSON.stringify(bundle)}).cache)`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Runs `node LAUNCHER args`; returns status, stdout and stderr. */
function lvsadm(launcher: string, args: string[], input?: string) {
  return spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', timeout: 30_000, input });
}

describe('lvsadm code cache', () => {
  const root = mkdtempSync(join(tmpdir(), 'lvsadm-cache-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of bin/ and the bundle under a fresh directory, with `cache` as its code cache. */
  function copyTree(name: string, cache: Buffer | undefined): { launcher: string; bundle: string } {
    const dir = join(root, name);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    mkdirSync(join(dir, 'dist/programs/lvsadm'), { recursive: true });
    for (const f of ['lvsadm', 'load-bundle.cjs', 'package.json'])
      copyFileSync(join('bin', f), join(dir, 'bin', f));
    const bundle = join(dir, 'dist/programs/lvsadm/lvsadm.cjs');
    copyFileSync(BUNDLE, bundle);
    if (cache) writeFileSync(`${bundle}.v8-cache`, cache);
    return { launcher: join(dir, 'bin/lvsadm'), bundle };
  }

  it('the build writes a cache for this Node and bundle, and the launcher uses it', () => {
    const head = readFileSync(CACHE).toString('latin1', 0, 200).split('\n')[0] ?? '';
    const id = /\/\/# lvsadm-build=(\w+)\n$/.exec(readFileSync(BUNDLE, 'utf8'))?.[1];
    assert.ok(id, 'the bundle ends with its build id');
    assert.equal(head, `lvsadm-code-cache 1 ${process.version} ${process.arch} ${id}`);
    assert.equal(cacheState(BUNDLE), 'used');
  });

  it('import() still works in a bundle compiled from the cache (-R loads its splitter)', () => {
    assert.equal(cacheState(BUNDLE), 'used');
    const r = lvsadm('bin/lvsadm', ['-R'], '');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });

  const expected = lvsadm('bin/lvsadm', ['--version']);
  const good = readFileSync(CACHE);
  const nl = good.indexOf(10);
  const cases: [string, Buffer | undefined, string][] = [
    ['absent', undefined, 'absent'],
    [
      'made for another build',
      Buffer.concat([Buffer.from('lvsadm-code-cache 1 v0.0.0 x64 0000\n'), good.subarray(nl + 1)]),
      'stale',
    ],
    ['corrupt', Buffer.concat([good.subarray(0, nl + 1), Buffer.alloc(4096, 7)]), 'rejected'],
    ['empty', Buffer.alloc(0), 'stale'],
  ];
  for (const [what, cache, state] of cases) {
    it(`with a cache that is ${what}, lvsadm runs as before and says nothing of it`, () => {
      const t = copyTree(what.replace(/\W/g, '-'), cache);
      assert.equal(cacheState(t.bundle), state);
      const r = lvsadm(t.launcher, ['--version']);
      assert.equal(r.status, expected.status);
      assert.equal(r.stdout, expected.stdout);
      assert.equal(r.stderr, '');
      const bad = lvsadm(t.launcher, ['-Q']);
      assert.equal(bad.status, 2, 'a usage error keeps ipvsadm exit code');
    });
  }
});
