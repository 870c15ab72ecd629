import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { tuneV8, V8_FLAGS } from '../../src/daemon/v8-tuning.js';

const root = resolve(import.meta.dirname, '../..');

test('LVS_V8_DEFAULTS keeps V8 defaults and applies nothing', () => {
  assert.deepEqual(tuneV8({ LVS_V8_DEFAULTS: '1' }), []);
});

// A callee of ~600-900 bytes of bytecode: over V8's default single-inlining limit (460), under lvsd's.
function bigCallee(): string {
  let body = 'let x = i | 0;\n';
  for (let k = 0; k < 30; k++) body += `x = (x * ${k + 3} + (a[(i + ${k}) & 7] | 0)) | 0;\n`;
  return `function bigCallee(a, i) {\n${body}return x;\n}\n`;
}

function inlinedWith(env: NodeJS.ProcessEnv): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'lvsts-v8-'));
  try {
    const script = join(dir, 'probe.mjs');
    const tuning = pathToFileURL(join(root, 'src/daemon/v8-tuning.ts')).href;
    writeFileSync(
      script,
      `import { tuneV8 } from '${tuning}';\ntuneV8();\n${bigCallee()}` +
        'function hotCaller(a) { let s = 0; for (let i = 0; i < 200; i++) s = (s + bigCallee(a, i)) | 0; return s; }\n' +
        'const a = new Int32Array(8).fill(3); let t = 0;\n' +
        'for (let k = 0; k < 30000; k++) t ^= hotCaller(a);\nconsole.log(t);\n',
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--trace-turbo-inlining', script], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return /Inlining .*bigCallee.* into .*hotCaller/.test(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('lvsd inlining limits let TurboFan inline a callee the defaults refuse', () => {
  assert.ok(V8_FLAGS.length > 0);
  assert.equal(inlinedWith({ LVS_V8_DEFAULTS: '1' }), false);
  assert.equal(inlinedWith({ LVS_V8_DEFAULTS: '' }), true);
});
