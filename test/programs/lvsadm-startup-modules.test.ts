/**
 * lvsadm starts once per command, as ipvsadm does, so what it loads is its cost (BENCHMARKS.md,
 * "lvsadm start-up"). These run the real bin/lvsadm against a real lvsd with a loader hook that
 * records every ES module, and read the module list of the one-file bundle bin/lvsadm requires
 * (scripts/bundle-lvsadm.mjs; esbuild heads each module with a `// dist/…` line), and check that
 * a plain listing loads the listing path alone, from the bundle: no pino, no health checkers,
 * config parsers, data planes or tools, and no DNS module for `-n`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type LvsdProc, spawnLvsd, waitReady } from '../daemon/lvsd-process.js';

const dist = pathToFileURL(resolve('dist')).href;
const BUNDLE = 'dist/programs/lvsadm/lvsadm.cjs';

/** The dist/ modules esbuild put in lvsadm's bundle. */
function bundled(): string[] {
  return [...readFileSync(BUNDLE, 'utf8').matchAll(/^\/\/ (dist\/\S+\.js)$/gm)].map((m) => m[1] as string);
}

/** Runs bin/lvsadm with `args`; returns its exit code and the modules it loaded. */
function loads(socket: string, args: string[]): { code: number | null; out: string; modules: string[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'lvsadm-loads-')), 'loads');
  const r = spawnSync(
    process.execPath,
    ['--import', './test/helpers/record-loads.mjs', 'bin/lvsadm', '--socket', socket, ...args],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LVS_LOAD_LOG: log } },
  );
  const modules = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((u) => (u.startsWith(dist) ? `dist${u.slice(dist.length)}` : u));
  return { code: r.status, out: r.stdout, modules };
}

/** Folders of dist/ a listing has no use for (each drags in more, pino among them). */
const HEAVY = /^dist\/(health|config|dataplane|engine|forward|packet|tools|vrrp|sync)\//;

describe('lvsadm start-up', () => {
  let d: LvsdProc;
  before(async () => {
    d = spawnLvsd(['--dataplane', 'none', '--log-level', 'warn']);
    await waitReady(d, 20_000);
    const add = spawnSync(
      process.execPath,
      ['bin/lvsadm', '--socket', d.socket, '-A', '-t', '192.0.2.1:80'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(add.status, 0, add.stderr);
  });
  after(() => d?.stop());

  it('lvsadm -Ln loads its one-file bundle and no ES module of dist/', () => {
    const r = loads(d.socket, ['-Ln']);
    assert.equal(r.code, 0);
    assert.match(r.out, /192\.0\.2\.1:80/);
    assert.ok(
      r.modules.some((m) => m.endsWith('/bin/lvsadm')),
      'the recorder saw bin/lvsadm',
    );
    assert.deepEqual(
      r.modules.filter((m) => m.startsWith('dist/')),
      [],
    );
    assert.ok(bundled().includes('dist/programs/lvsadm/main.js'), 'the bundle holds lvsadm');
  });

  it('lvsadm -Ln loads only the listing path', () => {
    const r = loads(d.socket, ['-Ln']);
    assert.equal(r.code, 0);
    const modules = [...r.modules, ...bundled()];
    assert.deepEqual(
      modules.filter((m) => HEAVY.test(m) || m.includes('/node_modules/') || m === 'node:dns'),
      [],
    );
    assert.deepEqual(
      modules.filter((m) => /^dist\/(daemon|io)\//.test(m)),
      ['dist/daemon/socket-path.js', 'dist/io/command-form.js'],
      'of daemon/ and io/, only the socket path and the command form',
    );
  });
});
