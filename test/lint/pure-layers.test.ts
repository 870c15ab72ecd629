import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// Runs the project's real biome config over probe files in a scratch tree, so the rule that keeps
// I/O out of the pure layers is proven to fire (and to stay quiet where I/O belongs).
const root = resolve(import.meta.dirname, '../..');
const biome = join(root, 'node_modules/.bin/biome');

function lint(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lvsts-lint-'));
  try {
    copyFileSync(join(root, 'biome.json'), join(dir, 'biome.json'));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const r = spawnSync(biome, ['lint', '--max-diagnostics=50', '.'], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ioImport = "import { readFileSync } from 'node:fs';\n\nexport const x = readFileSync;\n";
const timer = 'export const t = setTimeout;\n';

for (const layer of ['core', 'packet', 'forward', 'engine', 'control', 'config']) {
  test(`an I/O import in src/${layer} fails lint`, () => {
    const r = lint({ [`src/${layer}/probe.ts`]: ioImport });
    assert.notEqual(r.status, 0);
    assert.match(r.out, /noRestrictedImports/);
  });
}

test('a pure layer importing the CLI or the daemon fails lint', () => {
  const r = lint({
    'src/config/probe.ts': "import { parse } from '../cli/lvsadm/parse.js';\n\nexport const p = parse;\n",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /dependencies point one way/);
});

test('a timer in a pure layer fails lint', () => {
  const r = lint({ 'src/engine/probe.ts': timer });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /noRestrictedGlobals/);
});

test('I/O in src/daemon and src/io passes lint', () => {
  const r = lint({ 'src/daemon/probe.ts': ioImport, 'src/io/probe.ts': `${ioImport}${timer}` });
  assert.equal(r.status, 0, r.out);
});
