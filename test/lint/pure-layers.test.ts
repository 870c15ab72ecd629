import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintProbe as lint } from './lint-probe.js';

// Runs the project's real biome config over probe files in a scratch tree, so the rule that keeps
// I/O out of the pure layers is proven to fire (and to stay quiet where I/O belongs).
const ioImport = "import { readFileSync } from 'node:fs';\n\nexport const x = readFileSync;\n";
const timer = 'export const t = setTimeout;\n';

for (const layer of ['core', 'packet', 'forward', 'engine', 'control', 'config', 'ipvsadm']) {
  test(`an I/O import in src/${layer} fails lint`, () => {
    const r = lint({ [`src/${layer}/probe.ts`]: ioImport });
    assert.notEqual(r.status, 0);
    assert.match(r.out, /noRestrictedImports/);
  });
}

test('a pure layer importing the ipvsadm grammar or the daemon fails lint', () => {
  const r = lint({
    'src/config/probe.ts': "import { parse } from '../ipvsadm/parse.js';\n\nexport const p = parse;\n",
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
