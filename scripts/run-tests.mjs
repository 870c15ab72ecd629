#!/usr/bin/env node
// Runs every test/**/*.test.ts under node:test with tsx. Node 20's --test takes no globs,
// so the file list is gathered here. Extra arguments narrow the run to matching paths.
// Before anything runs, the Debian peers the tests use are installed when missing (as root with
// apt-get; see test-peers.mjs), so `npm test` alone works on a fresh machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestPeers } from './test-peers.mjs';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('test', [])
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
ensureTestPeers();
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
