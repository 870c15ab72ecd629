/**
 * bin/lvsadm run from a shell (its `#!/bin/sh` line, as `lvsadm` on PATH runs it) starts Node
 * without NODE_EXTRA_CA_CERTS, which Node 20 loads before any script runs, and puts the variable
 * back for what lvsadm starts. A path that does not exist shows whether Node loaded it: Node warns
 * "Ignoring extra certs from ..." on stderr at start when it tries.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const LAUNCHER = resolve('bin/lvsadm');
const WARNING = 'Ignoring extra certs';

describe('lvsadm launcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsadm-launcher-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'no such dir', 'ca.pem');
  // Loaded into lvsadm's own Node (NODE_OPTIONS): at exit, after the launcher ran, it reports the
  // environment lvsadm hands to what it starts.
  const probe = join(dir, 'env-at-exit.cjs');
  writeFileSync(
    probe,
    "process.on('exit', () => process.stderr.write('env ' + JSON.stringify([process.env.NODE_EXTRA_CA_CERTS, process.env.LVSADM_NODE_EXTRA_CA_CERTS]) + '\\n'));\n",
  );

  /** Runs `argv` with `env` added to this process's environment, NODE_EXTRA_CA_CERTS removed first. */
  function run(argv: string[], env: Record<string, string>) {
    const base = { ...process.env };
    delete base.NODE_EXTRA_CA_CERTS;
    delete base.LVSADM_NODE_EXTRA_CA_CERTS;
    const [cmd = '', ...args] = argv;
    return spawnSync(cmd, args, { encoding: 'utf8', env: { ...base, ...env }, timeout: 30_000 });
  }

  const version = run([process.execPath, LAUNCHER, '--version'], {});

  it('node bin/lvsadm leaves NODE_EXTRA_CA_CERTS to Node, which loads it (the control)', () => {
    const r = run([process.execPath, LAUNCHER, '--version'], { NODE_EXTRA_CA_CERTS: missing });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(WARNING));
  });

  it('lvsadm run from a shell starts Node without loading NODE_EXTRA_CA_CERTS, same output', () => {
    assert.equal(version.status, 0, version.stderr);
    const r = run(['sh', '-c', `"${LAUNCHER}" --version`], { NODE_EXTRA_CA_CERTS: missing });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, version.stdout);
  });

  it('what lvsadm starts sees NODE_EXTRA_CA_CERTS as the user set it, spaces and all', () => {
    const r = run([LAUNCHER, '--version'], {
      NODE_EXTRA_CA_CERTS: missing,
      NODE_OPTIONS: `--require ${probe}`,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, version.stdout);
    assert.equal(r.stderr, `env ${JSON.stringify([missing, undefined])}\n`);
  });

  it('a user without NODE_EXTRA_CA_CERTS hands on none, not an empty one', () => {
    const r = run([LAUNCHER, '--version'], { NODE_OPTIONS: `--require ${probe}` });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `env ${JSON.stringify([undefined, undefined])}\n`);
  });

  it('arguments reach lvsadm unchanged through sh (spaces, quotes, an empty one)', () => {
    const args = ['-A', '-t', "192.0.2.1:80 'x'", ''];
    const viaNode = run([process.execPath, LAUNCHER, '--socket', join(dir, 'none.sock'), ...args], {});
    const viaSh = run([LAUNCHER, '--socket', join(dir, 'none.sock'), ...args], {});
    assert.notEqual(viaNode.status, 0);
    assert.equal(viaSh.status, viaNode.status);
    assert.equal(viaSh.stderr, viaNode.stderr);
    assert.equal(viaSh.stdout, viaNode.stdout);
  });
});
